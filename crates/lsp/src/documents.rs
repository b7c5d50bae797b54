//! Open editor buffers: ropes with incremental edits, and conversion between LSP positions
//! (UTF-16 code units) and the byte offsets the analysis uses.

use std::sync::Arc;

use nixpilot_lint::project::ParsedFile;
use nixpilot_lint::SourceFile;
use ropey::Rope;
use tower_lsp::lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// One open document.
#[derive(Debug, Clone)]
pub struct Document {
    pub rope: Rope,
    pub version: i32,
    /// The Nix syntax tree of the current text, when known: kept across edits (re-parsing only
    /// the binding an edit falls in) so an analysis does not parse a large file again.
    pub parsed: Option<Arc<ParsedFile>>,
}

/// An edit that cannot be applied (a range outside the document).
#[derive(Debug, PartialEq, Eq)]
pub struct OutOfRange;

impl Document {
    pub fn new(text: &str, version: i32) -> Document {
        Document {
            rope: Rope::from_str(text),
            version,
            parsed: None,
        }
    }

    pub fn text(&self) -> String {
        self.rope.to_string()
    }

    /// Applies one change event: a range replacement, or the whole text when no range.
    pub fn apply(&mut self, change: &TextDocumentContentChangeEvent) -> Result<(), OutOfRange> {
        match change.range {
            None => {
                self.rope = Rope::from_str(&change.text);
                self.parsed = None;
            }
            Some(range) => {
                let start = self.char_index(range.start).ok_or(OutOfRange)?;
                let end = self.char_index(range.end).ok_or(OutOfRange)?;
                if end < start {
                    return Err(OutOfRange);
                }
                let (start_byte, end_byte) = (self.rope.char_to_byte(start), self.rope.char_to_byte(end));
                self.rope.remove(start..end);
                self.rope.insert(start, &change.text);
                self.parsed = self.parsed.take().and_then(|old| {
                    let text = SourceFile::new(old.path().clone(), self.rope.to_string());
                    old.reparse(text, start_byte, end_byte).map(Arc::new)
                });
            }
        }
        Ok(())
    }

    /// The char index of an LSP position; a column past the end of its line is clamped to the
    /// line end (as the spec allows), a line past the end is an error.
    pub fn char_index(&self, position: Position) -> Option<usize> {
        let line = position.line as usize;
        if line > self.rope.len_lines() {
            return None;
        }
        if line == self.rope.len_lines() {
            return (position.character == 0).then_some(self.rope.len_chars());
        }
        let line_start = self.rope.line_to_char(line);
        let slice = self.rope.line(line);
        // Exclude the line break from the addressable columns.
        let mut content_chars = slice.len_chars();
        while content_chars > 0 && matches!(slice.char(content_chars - 1), '\n' | '\r') {
            content_chars -= 1;
        }
        let content_utf16 = slice.char_to_utf16_cu(content_chars);
        let col = (position.character as usize).min(content_utf16);
        Some(line_start + slice.utf16_cu_to_char(col))
    }

    /// The LSP position of a byte offset.
    pub fn position(&self, byte: usize) -> Position {
        let byte = byte.min(self.rope.len_bytes());
        let char_idx = self.rope.byte_to_char(byte);
        let line = self.rope.char_to_line(char_idx);
        let line_start = self.rope.line_to_char(line);
        let col = self.rope.line(line).char_to_utf16_cu(char_idx - line_start);
        Position {
            line: line as u32,
            character: col as u32,
        }
    }

    pub fn range(&self, range: rowan::TextRange) -> Range {
        Range {
            start: self.position(range.start().into()),
            end: self.position(range.end().into()),
        }
    }

    /// The byte offset of an LSP position.
    pub fn byte_offset(&self, position: Position) -> Option<usize> {
        self.char_index(position).map(|c| self.rope.char_to_byte(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(sl: u32, sc: u32, el: u32, ec: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range {
                start: Position {
                    line: sl,
                    character: sc,
                },
                end: Position {
                    line: el,
                    character: ec,
                },
            }),
            range_length: None,
            text: text.into(),
        }
    }

    #[test]
    fn edits_count_utf16_units() {
        // "𝔸" is two UTF-16 units, four UTF-8 bytes.
        let mut d = Document::new("a𝔸b\nxyz\n", 1);
        d.apply(&change(0, 3, 0, 4, "B")).unwrap();
        assert_eq!(d.text(), "a𝔸B\nxyz\n");
        assert_eq!(d.position(5), Position { line: 0, character: 3 });
        d.apply(&change(1, 0, 2, 0, "")).unwrap();
        assert_eq!(d.text(), "a𝔸B\n");
        assert_eq!(d.apply(&change(9, 0, 9, 0, "x")), Err(OutOfRange));
        // A column past the line end is clamped, not an error.
        d.apply(&change(0, 99, 0, 99, "!")).unwrap();
        assert_eq!(d.text(), "a𝔸B!\n");
    }

    #[test]
    fn only_lsp_line_endings_end_lines() {
        // Found by tests/properties.rs: ropey's default features also broke lines at U+2028,
        // NEL, VT and FF, so positions after them disagreed with every client.
        let d = Document::new("a\u{2028}b\u{85}c\u{b}d\u{c}e\rf\r\ng\nh", 1);
        assert_eq!(d.position(d.rope.len_bytes()), Position { line: 3, character: 1 });
        assert_eq!(d.position(11), Position { line: 0, character: 8 });
    }
}
