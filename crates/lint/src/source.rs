//! One Nix file as the analysis sees it: its project-relative path, its text and a line index.
//! Invalid UTF-8 is kept as a lossy text plus a marker, so it is reported, not skipped, and never rewritten.

use std::sync::Arc;

use rowan::{TextRange, TextSize};

use crate::diagnostic::FilePath;

/// A file's text with what is needed to turn byte offsets into lines and columns.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: FilePath,
    pub text: Arc<str>,
    /// Byte offset of the first invalid UTF-8 sequence, when the bytes on disk were not UTF-8.
    /// `text` is then a lossy conversion, and such a file is never written back.
    pub invalid_utf8_at: Option<usize>,
    line_starts: Arc<[u32]>,
}

/// A 1-based line and 1-based column counted in Unicode scalar values (characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

impl SourceFile {
    pub fn new(path: impl Into<FilePath>, text: impl Into<Arc<str>>) -> SourceFile {
        let text: Arc<str> = text.into();
        let line_starts = line_starts(&text);
        SourceFile {
            path: path.into(),
            text,
            invalid_utf8_at: None,
            line_starts,
        }
    }

    /// Builds a file from raw bytes, recording where they stop being UTF-8.
    pub fn from_bytes(path: impl Into<FilePath>, bytes: Vec<u8>) -> SourceFile {
        match String::from_utf8(bytes) {
            Ok(text) => SourceFile::new(path, text),
            Err(err) => {
                let at = err.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
                let mut file = SourceFile::new(path, text);
                file.invalid_utf8_at = Some(at);
                file
            }
        }
    }

    /// Number of lines (a file without a trailing newline still counts its last line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset where 0-based `line` starts.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line).map(|&s| s as usize)
    }

    /// 0-based line index of a byte offset.
    pub fn line_index(&self, offset: TextSize) -> usize {
        let offset = u32::from(offset);
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub fn line_col(&self, offset: TextSize) -> LineCol {
        let offset = usize::from(offset).min(self.text.len());
        let line = self.line_index(TextSize::from(offset as u32));
        let start = self.line_starts[line] as usize;
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        LineCol {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// Text of the 0-based line without its line terminator.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_starts.get(line).copied().unwrap_or(0) as usize;
        let end = self.line_starts.get(line + 1).map_or(self.text.len(), |&e| e as usize);
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn full_range(&self) -> TextRange {
        TextRange::up_to(TextSize::of(&*self.text))
    }
}

fn line_starts(text: &str) -> Arc<[u32]> {
    let mut starts = vec![0u32];
    starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i as u32 + 1));
    starts.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let f = SourceFile::new("a.nix", "x\n  \"ü\" y\n");
        assert_eq!(f.line_col(TextSize::from(0)), LineCol { line: 1, column: 1 });
        // `y` is at byte 9 (ü is two bytes) but column 7.
        assert_eq!(f.line_col(TextSize::from(9)), LineCol { line: 2, column: 7 });
        assert_eq!(f.line_col(TextSize::of(&*f.text)), LineCol { line: 3, column: 1 });
        assert_eq!(f.line_text(1), "  \"ü\" y");
    }

    #[test]
    fn invalid_utf8_is_recorded() {
        let f = SourceFile::from_bytes("b.nix", b"ab\xffcd".to_vec());
        assert_eq!(f.invalid_utf8_at, Some(2));
        assert_eq!(&*f.text, "ab\u{fffd}cd");
    }
}
