//! Re-parsing after a small edit: an edit inside a comment or blanks replaces that token, one
//! inside a binding (`name = value;`) re-parses that binding alone; anything else parses it all.

use rnix::{SyntaxKind, SyntaxNode};
use rowan::{GreenNode, NodeOrToken, TextRange, TextSize};

use super::ParsedFile;
use crate::source::SourceFile;

/// rnix stops at an expression depth of 512; a splice deeper than this parses everything, so
/// a file at the limit gets the full parse's error.
const MAX_SPLICE_DEPTH: usize = 256;

impl ParsedFile {
    /// This file after the bytes `start..old_end` of its text were replaced, giving
    /// `new_source`, with the same tree a full parse of `new_source` gives.
    ///
    /// Only edits strictly inside one binding of a file without parse errors are handled;
    /// the binding is parsed alone (as the only entry of `{ … }`) and must come back clean
    /// and whole. `None` means: parse `new_source` in full.
    pub fn reparse(&self, new_source: SourceFile, start: usize, old_end: usize) -> Option<ParsedFile> {
        let started = std::time::Instant::now();
        if self.has_errors() || new_source.invalid_utf8_at.is_some() || start > old_end {
            return None;
        }
        let old = &*self.source.text;
        let new = &*new_source.text;
        let old_end_size = TextSize::try_from(old_end).ok()?;
        if old_end > old.len() {
            return None;
        }
        let root = self.syntax();
        let edit = TextRange::new(TextSize::try_from(start).ok()?, old_end_size);
        if let Some(green) = splice_trivia(&root, edit, old, new) {
            return Some(ParsedFile {
                green,
                errors: Vec::new(),
                source: new_source,
                refused: None,
                parse_time: started.elapsed(),
            });
        }
        let binding = innermost_binding(&root, edit)?;
        let range = binding.text_range();
        let (node_start, node_end) = (usize::from(range.start()), usize::from(range.end()));
        // The edit must leave the binding's first character and its `;` alone.
        if !(node_start < start && old_end < node_end) {
            return None;
        }
        let new_end = (node_end + new.len()).checked_sub(old.len())?;
        // Everything outside the binding must be unchanged (this also checks that the caller's
        // edit and text agree).
        if new_end < node_start
            || new.get(..node_start) != old.get(..node_start)
            || new.get(new_end..) != old.get(node_end..)
        {
            return None;
        }
        let text = new.get(node_start..new_end)?;
        let fragment = format!("{{{text}\n}}");
        // Through the guarded parse: the new binding may nest as deep as any text.
        let parsed = crate::parse::parse(&fragment);
        if !parsed.errors.is_empty() || parsed.refused.is_some() {
            return None;
        }
        let replacement = only_binding(&SyntaxNode::new_root(parsed.green), text.len())?;
        if binding.ancestors().count() + depth(&replacement) > MAX_SPLICE_DEPTH {
            return None;
        }
        Some(ParsedFile {
            green: binding.replace_with(replacement),
            errors: Vec::new(),
            source: new_source,
            refused: None,
            parse_time: started.elapsed(),
        })
    }
}

/// An edit inside one comment or whitespace token that leaves it one token of its kind:
/// the token is replaced and nothing is parsed.
fn splice_trivia(root: &SyntaxNode, edit: TextRange, old: &str, new: &str) -> Option<GreenNode> {
    if edit.end() > root.text_range().end() {
        return None;
    }
    // At a boundary (typing at the end of a comment) either neighbour may be the one edited.
    let candidates = root.token_at_offset(edit.start());
    candidates
        .into_iter()
        .filter(|t| t.text_range().start() <= edit.start() && edit.end() <= t.text_range().end())
        .find_map(|t| splice_token(&t, old, new))
}

fn splice_token(token: &rnix::SyntaxToken, old: &str, new: &str) -> Option<GreenNode> {
    let range = token.text_range();
    let (tok_start, tok_end) = (usize::from(range.start()), usize::from(range.end()));
    let new_end = (tok_end + new.len()).checked_sub(old.len())?;
    if new_end < tok_start || new.get(..tok_start) != old.get(..tok_start) || new.get(new_end..) != old.get(tok_end..) {
        return None;
    }
    let text = new.get(tok_start..new_end)?;
    let still_one = match token.kind() {
        // Any run of blanks separates the same tokens as before, except after a `#` comment:
        // that one ends at the line break, so blanks without one would join what follows to it.
        SyntaxKind::TOKEN_WHITESPACE => {
            let ends_line_comment = token
                .prev_token()
                .is_some_and(|t| t.kind() == SyntaxKind::TOKEN_COMMENT && t.text().starts_with('#'));
            !text.is_empty()
                && text.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                && (!ends_line_comment || text.contains('\n'))
        }
        SyntaxKind::TOKEN_COMMENT => {
            let shape = if text.starts_with('#') {
                !text.contains(['\n', '\r'])
            } else {
                text.len() >= 4 && text.starts_with("/*") && text.ends_with("*/")
            };
            let mut tokens = rnix::tokenize(text);
            shape
                && matches!(tokens.next(), Some((SyntaxKind::TOKEN_COMMENT, t)) if t == text)
                && tokens.next().is_none()
        }
        _ => false,
    };
    if !still_one {
        return None;
    }
    let kind = <rnix::NixLanguage as rowan::Language>::kind_to_raw(token.kind());
    Some(token.replace_with(rowan::GreenToken::new(kind, text)))
}

/// The innermost `name = value;` whose range holds `edit`.
fn innermost_binding(root: &SyntaxNode, edit: TextRange) -> Option<SyntaxNode> {
    if edit.end() > root.text_range().end() {
        return None;
    }
    let start = match root.covering_element(edit) {
        NodeOrToken::Node(n) => n,
        NodeOrToken::Token(t) => t.parent()?,
    };
    start.ancestors().find(|n| n.kind() == SyntaxKind::NODE_ATTRPATH_VALUE)
}

/// The single binding of a parsed `{ binding\n}`, when it spans all `len` bytes of the binding text.
fn only_binding(root: &SyntaxNode, len: usize) -> Option<GreenNode> {
    let set = root.first_child().filter(|n| n.kind() == SyntaxKind::NODE_ATTR_SET)?;
    let mut children = set.children();
    let binding = children
        .next()
        .filter(|n| n.kind() == SyntaxKind::NODE_ATTRPATH_VALUE)?;
    if children.next().is_some() || binding.text_range() != TextRange::at(1.into(), TextSize::try_from(len).ok()?) {
        return None;
    }
    Some(binding.green().to_owned())
}

fn depth(green: &GreenNode) -> usize {
    1 + green
        .children()
        .filter_map(|c| c.into_node())
        .map(|n| depth(&n.to_owned()))
        .max()
        .unwrap_or(0)
}
