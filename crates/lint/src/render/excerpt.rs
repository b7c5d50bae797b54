//! The part of a file one diagnostic shows: the lines its labels touch, each longer line cut
//! to a window around the labels (`...` marking what is left out), as rustc shortens lines.
//! A one-line lock file of 28 MB is then a few hundred bytes per diagnostic, not 28 MB.

use std::ops::Range;

use codespan_reporting::files::{Error, Files};

use crate::source::SourceFile;

/// Characters of one source line shown at most; longer lines are cut around the labels.
pub const MAX_SHOWN_COLUMNS: usize = 120;

const ELLIPSIS: &str = "...";

/// Lines codespan shows after the start and before the end of a label over several lines
/// (its defaults); the lines between are left empty in the excerpt.
const START_CONTEXT_LINES: usize = 3;
const END_CONTEXT_LINES: usize = 1;

/// How an excerpt line maps back to its source line.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// Byte offset of the source line's start in the source text.
    line_start: usize,
    /// First byte of the line shown, relative to `line_start`.
    start: usize,
    /// Bytes of the line shown.
    len: usize,
    /// Bytes of `...` written before the shown part (0 or 3).
    prefix: usize,
}

/// The lines of one file one diagnostic needs, in a text of their own.
pub struct Excerpt<'s> {
    name: String,
    source: &'s SourceFile,
    text: String,
    /// Where each excerpt line starts in `text`.
    starts: Vec<usize>,
    /// Source line index of excerpt line 0.
    first_line: usize,
    /// Per excerpt line: how it maps back (`None`: a line not shown, left empty).
    windows: Vec<Option<Window>>,
}

/// Moves `at` back to a character boundary of `s`.
fn floor_boundary(s: &str, mut at: usize) -> usize {
    at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The byte `chars` characters after `from` in `s` (or its end).
fn forward(s: &str, from: usize, chars: usize) -> usize {
    s[from..].char_indices().nth(chars).map_or(s.len(), |(i, _)| from + i)
}

/// The byte `chars` characters before `from` in `s` (or 0).
fn backward(s: &str, from: usize, chars: usize) -> usize {
    if chars == 0 {
        return from;
    }
    s[..from].char_indices().rev().nth(chars - 1).map_or(0, |(i, _)| i)
}

/// The part of `line` to show so that `interest` (bytes of the line the labels cover) is in
/// it, at most `MAX_SHOWN_COLUMNS` characters: centred on a short interest, its start for a
/// long one.
fn window(line: &str, interest: Range<usize>) -> Range<usize> {
    let a = floor_boundary(line, interest.start);
    let b = floor_boundary(line, interest.end.max(a));
    let span_end = forward(line, a, MAX_SHOWN_COLUMNS);
    if span_end < b {
        return a..span_end;
    }
    let span_chars = line[a..b].chars().count();
    let spare = MAX_SHOWN_COLUMNS - span_chars;
    let start = backward(line, a, spare / 2);
    let before = line[start..a].chars().count();
    let end = forward(line, b, spare - before);
    let after = line[b..end].chars().count();
    // Near the end of the line, what is left over goes before the interest.
    let start = backward(line, start, spare - before - after);
    start..end
}

impl<'s> Excerpt<'s> {
    /// The excerpt of `source` showing `ranges` (byte ranges of one diagnostic's labels).
    pub fn new(name: String, source: &'s SourceFile, ranges: &[Range<usize>]) -> Excerpt<'s> {
        let text_len = source.text.len();
        let clamp = |r: &Range<usize>| {
            let start = floor_boundary(&source.text, r.start.min(text_len));
            start..floor_boundary(&source.text, r.end.clamp(start, text_len))
        };
        let ranges: Vec<Range<usize>> = ranges.iter().map(clamp).collect();
        let line_of = |offset: usize| source.line_index((offset as u32).into());
        let first_line = ranges.iter().map(|r| line_of(r.start)).min().unwrap_or(0);
        let last_line = ranges.iter().map(|r| line_of(r.end)).max().unwrap_or(0);
        let mut shown = vec![false; last_line - first_line + 1];
        for r in &ranges {
            let (s, e) = (line_of(r.start), line_of(r.end));
            for l in (s..=e.min(s + START_CONTEXT_LINES)).chain(e.saturating_sub(END_CONTEXT_LINES).max(s)..=e) {
                shown[l - first_line] = true;
            }
        }
        let mut text = String::new();
        let mut starts = Vec::with_capacity(shown.len());
        let mut windows = Vec::with_capacity(shown.len());
        for (i, show) in shown.iter().enumerate() {
            let line = first_line + i;
            starts.push(text.len());
            let line_start = source.line_start(line).unwrap_or(text_len);
            let content = source.line_text(line);
            if *show {
                let line_end = line_start + content.len();
                // What the labels cover of this line.
                let covered = ranges
                    .iter()
                    .filter(|r| r.start <= line_end && r.end >= line_start)
                    .map(|r| r.start.max(line_start) - line_start..r.end.min(line_end) - line_start);
                let interest = covered
                    .reduce(|x, y| x.start.min(y.start)..x.end.max(y.end))
                    .unwrap_or(0..0);
                let long = content.char_indices().nth(MAX_SHOWN_COLUMNS).is_some();
                let shown = if long {
                    window(content, interest)
                } else {
                    0..content.len()
                };
                let prefix = if shown.start > 0 { ELLIPSIS.len() } else { 0 };
                if prefix > 0 {
                    text.push_str(ELLIPSIS);
                }
                text.push_str(&content[shown.clone()]);
                if shown.end < content.len() {
                    text.push_str(ELLIPSIS);
                }
                windows.push(Some(Window {
                    line_start,
                    start: shown.start,
                    len: shown.len(),
                    prefix,
                }));
            } else {
                windows.push(None);
            }
            text.push('\n');
        }
        Excerpt {
            name,
            source,
            text,
            starts,
            first_line,
            windows,
        }
    }

    /// Where a byte offset of the source is in the excerpt: offsets left of a window take its
    /// `...`, offsets right of it the `...` after it.
    pub fn offset(&self, source_offset: usize) -> usize {
        let line = self
            .source
            .line_index((source_offset.min(self.source.text.len()) as u32).into());
        let Some(i) = line.checked_sub(self.first_line).filter(|i| *i < self.windows.len()) else {
            return 0;
        };
        let Some(w) = self.windows[i] else {
            return self.starts[i];
        };
        let in_line = source_offset.saturating_sub(w.line_start);
        let content_end = self.line_end(i);
        if in_line < w.start {
            self.starts[i]
        } else if in_line > w.start + w.len {
            content_end
        } else {
            self.starts[i] + w.prefix + (in_line - w.start)
        }
    }

    /// End of excerpt line `i` without its line break.
    fn line_end(&self, i: usize) -> usize {
        self.starts.get(i + 1).copied().unwrap_or(self.text.len()) - 1
    }

    fn excerpt_line(&self, byte_index: usize) -> usize {
        match self.starts.binary_search(&byte_index) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }
}

/// Every excerpt of one diagnostic, as codespan reads files.
pub struct Excerpts<'s>(pub Vec<Excerpt<'s>>);

impl<'a> Files<'a> for Excerpts<'_> {
    type FileId = usize;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<&'a str, Error> {
        Ok(&self.0.get(id).ok_or(Error::FileMissing)?.name)
    }

    fn source(&'a self, id: usize) -> Result<&'a str, Error> {
        Ok(&self.0.get(id).ok_or(Error::FileMissing)?.text)
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> Result<usize, Error> {
        Ok(self.0.get(id).ok_or(Error::FileMissing)?.excerpt_line(byte_index))
    }

    fn line_number(&'a self, id: usize, line_index: usize) -> Result<usize, Error> {
        Ok(self.0.get(id).ok_or(Error::FileMissing)?.first_line + line_index + 1)
    }

    /// The column in the source line, not in the excerpt line.
    fn column_number(&'a self, id: usize, line_index: usize, byte_index: usize) -> Result<usize, Error> {
        let e = self.0.get(id).ok_or(Error::FileMissing)?;
        let start = *e.starts.get(line_index).ok_or(Error::LineTooLarge {
            given: line_index,
            max: e.starts.len(),
        })?;
        let in_excerpt = |from: usize, to: usize| e.text.get(from..to.max(from)).map_or(0, |s| s.chars().count());
        let column = match e.windows[line_index] {
            Some(w) => {
                let before = &e.source.text[w.line_start..w.line_start + w.start];
                before.chars().count() + in_excerpt(start + w.prefix, byte_index)
            }
            None => 0,
        };
        Ok(column + 1)
    }

    fn line_range(&'a self, id: usize, line_index: usize) -> Result<Range<usize>, Error> {
        let e = self.0.get(id).ok_or(Error::FileMissing)?;
        let start = *e.starts.get(line_index).ok_or(Error::LineTooLarge {
            given: line_index,
            max: e.starts.len(),
        })?;
        Ok(start..e.starts.get(line_index + 1).copied().unwrap_or(e.text.len()))
    }
}

#[cfg(test)]
// A diagnostic's label ranges, here often one.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    fn excerpt_of(text: &str, ranges: &[Range<usize>]) -> String {
        let source = SourceFile::new("f", text.to_string());
        Excerpt::new("f".into(), &source, ranges).text
    }

    #[test]
    fn short_lines_are_shown_whole() {
        assert_eq!(excerpt_of("a = 1;\nb = 2;\n", &[0..1]), "a = 1;\n");
        assert_eq!(excerpt_of("a = 1;\nb = 2;\nc", &[4..9]), "a = 1;\nb = 2;\n");
    }

    #[test]
    fn a_long_line_is_cut_around_the_label() {
        let line = format!("{}NEEDLE{}", "x".repeat(10_000), "y".repeat(10_000));
        let text = excerpt_of(&line, &[10_000..10_006]);
        assert!(text.starts_with("...x") && text.ends_with("y...\n"), "{text}");
        assert_eq!(text.trim_end().chars().count(), MAX_SHOWN_COLUMNS + 6);
        assert!(text.contains("NEEDLE"));
        // At the start and at the end of the line: one `...` only.
        let text = excerpt_of(&line, &[0..1]);
        assert!(text.starts_with("xxx") && text.ends_with("x...\n") && text.len() == MAX_SHOWN_COLUMNS + 4);
        let text = excerpt_of(&line, &[line.len()..line.len()]);
        assert!(text.starts_with("...y") && text.ends_with("y\n") && text.len() == MAX_SHOWN_COLUMNS + 4);
    }

    #[test]
    fn windows_are_counted_in_characters_and_cut_on_their_boundaries() {
        let line = "é€😀".repeat(5_000);
        let at = "é€😀".len() * 2_500;
        let text = excerpt_of(&line, &[at..at + "é".len()]);
        assert_eq!(text.trim_end().chars().count(), MAX_SHOWN_COLUMNS + 6, "{text}");
        // A range inside a character is moved to its start instead of splitting it.
        let text = excerpt_of(&line, &[at + 1..at + 3]);
        assert!(text.is_char_boundary(text.len()));
    }

    #[test]
    fn offsets_and_columns_map_back_to_the_source() {
        let line = format!("{}NEEDLE{}\nshort\n", "é".repeat(10_000), "y".repeat(10_000));
        let source = SourceFile::new("f", line.clone());
        let at = "é".len() * 10_000;
        let e = Excerpt::new("f".into(), &source, &[at..at + 6]);
        let files = Excerpts(vec![e]);
        let offset = files.0[0].offset(at);
        assert_eq!(&files.0[0].text[offset..offset + 6], "NEEDLE");
        let location = files.location(0, offset).expect("location");
        assert_eq!((location.line_number, location.column_number), (1, 10_001));
        // Offsets outside the window land on its `...`.
        assert_eq!(files.0[0].offset(0), 0);
        assert_eq!(files.0[0].offset(line.find('\n').unwrap()), files.0[0].text.len() - 1);
    }

    #[test]
    fn lines_inside_a_long_label_are_left_out() {
        let text: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let source = SourceFile::new("f", text.clone());
        let e = Excerpt::new("f".into(), &source, &[0..text.len() - 1]);
        assert_eq!(e.text.lines().filter(|l| !l.is_empty()).count(), 6, "{}", e.text);
        assert!(e.text.starts_with("line 0\nline 1\nline 2\nline 3\n\n"));
        assert!(e.text.ends_with("line 998\nline 999\n"));
    }
}
