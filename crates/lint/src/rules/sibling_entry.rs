//! Fixes that edit one entry of a nested attribute set in place: add a sibling next to an
//! existing entry (in its attribute-path style and indentation), replace a string, delete it.

use rnix::ast;
use rowan::ast::AstNode;
use rowan::{TextRange, TextSize};

use crate::diagnostic::{Edit, FilePath, Span};
use crate::project::Project;

/// An edit adding `<sub> = <value>;` to the set that holds the entry at `entry` (which must
/// define a direct child of that set, possibly through a dotted path such as
/// `datasets.root.type = …`, in which case the same prefix is used).
pub fn add_sibling(project: &Project, file: &FilePath, entry: TextRange, sub: &str, value: &str) -> Option<Edit> {
    let parsed = project.file(file)?;
    let root = parsed.syntax();
    // rowan asserts the range lies in the tree; the file may have changed since.
    if !root.text_range().contains_range(entry) {
        return None;
    }
    let node = root
        .covering_element(entry)
        .into_node()?
        .ancestors()
        .find(|n| n.text_range() == entry)?;
    let apv = ast::AttrpathValue::cast(node)?;
    let path = apv.attrpath()?;
    let attrs: Vec<ast::Attr> = path.attrs().collect();
    let last = attrs.last()?;
    // The text of the attribute path before its last attribute, dot included.
    let prefix_end = last.syntax().text_range().start();
    let path_start = path.syntax().text_range().start();
    let text = &parsed.source.text;
    let prefix = text.get(usize::from(path_start)..usize::from(prefix_end))?;
    let line = format!("{prefix}{sub} = {value};");
    let start = usize::from(entry.start());
    let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    let before = text.get(line_start..start)?;
    let new_text = if before.chars().all(|c| c == ' ' || c == '\t') {
        format!("\n{before}{line}")
    } else {
        format!(" {line}")
    };
    Some(Edit {
        span: Span::new(file.clone(), TextRange::empty(entry.end())),
        new_text,
    })
}

/// An edit replacing a string literal at `value_range` with `"new"`; `None` when the text
/// there is not a plain string (a variable, a function call).
pub fn replace_string(project: &Project, file: &FilePath, value_range: TextRange, new: &str) -> Option<Edit> {
    let text = &project.file(file)?.source.text;
    let old = text.get(usize::from(value_range.start())..usize::from(value_range.end()))?;
    if !(old.starts_with('"') && old.ends_with('"') && !old.contains("${")) {
        return None;
    }
    Some(Edit {
        span: Span::new(file.clone(), value_range),
        new_text: format!("{new:?}"),
    })
}

/// An edit deleting the entry at `entry`, with its line when nothing else is on it.
pub fn remove_entry(project: &Project, file: &FilePath, entry: TextRange) -> Option<Edit> {
    let text = &project.file(file)?.source.text;
    let start = usize::from(entry.start());
    let end = usize::from(entry.end());
    let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text.get(end..)?.find('\n').map_or(text.len(), |i| end + i);
    let alone = text.get(line_start..start)?.trim().is_empty() && text.get(end..line_end)?.trim().is_empty();
    let range = if alone && line_start > 0 {
        // From the end of the previous line: the whole line goes, its newline with it.
        TextRange::new(
            TextSize::try_from(line_start - 1).ok()?,
            TextSize::try_from(line_end).ok()?,
        )
    } else {
        entry
    };
    Some(Edit {
        span: Span::new(file.clone(), range),
        new_text: String::new(),
    })
}
