//! The language server's document-edit path: an opened text and a sequence of LSP changes
//! (UTF-16 positions, full replacements), against a plain string model of the same edits.
//! Oracles: no panic; the rope equals the model; positions map back and forth.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use nixpilot_lsp::documents::Document;
use tower_lsp::lsp_types::{Position, Range, TextDocumentContentChangeEvent};

#[derive(Arbitrary, Debug)]
struct Input {
    text: String,
    changes: Vec<Change>,
}

#[derive(Arbitrary, Debug)]
enum Change {
    Replace {
        start: (u32, u32),
        end: (u32, u32),
        text: String,
    },
    Full(String),
}

/// Lines as LSP counts them: ended by `\n`, `\r\n` or `\r`.
fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => starts.push(i + 1),
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                starts.push(i + 2);
                i += 1;
            }
            b'\r' => starts.push(i + 1),
            _ => {}
        }
        i += 1;
    }
    starts
}

/// The model's byte offset of an LSP position; `None` past the last line.
fn offset(text: &str, p: (u32, u32)) -> Option<usize> {
    let starts = line_starts(text);
    let line = p.0 as usize;
    if line >= starts.len() {
        return (line == starts.len() && p.1 == 0).then_some(text.len());
    }
    let start = starts[line];
    let end = starts.get(line + 1).copied().unwrap_or(text.len());
    let content = text[start..end].trim_end_matches(['\n', '\r']);
    let mut units = 0u32;
    for (i, c) in content.char_indices() {
        if units >= p.1 {
            return Some(start + i);
        }
        units += c.len_utf16() as u32;
        // A column inside a surrogate pair points at the character's start in ropey.
        if units > p.1 {
            return Some(start + i);
        }
    }
    Some(start + content.len())
}

fuzz_target!(|input: Input| {
    let mut doc = Document::new(&input.text, 0);
    let mut model = input.text.clone();
    for change in input.changes.iter().take(64) {
        let event = match change {
            Change::Full(text) => {
                model = text.clone();
                TextDocumentContentChangeEvent {
                    range: None,
                    range_length: None,
                    text: text.clone(),
                }
            }
            Change::Replace { start, end, text } => {
                let (s, e) = (offset(&model, *start), offset(&model, *end));
                let event = TextDocumentContentChangeEvent {
                    range: Some(Range {
                        start: Position {
                            line: start.0,
                            character: start.1,
                        },
                        end: Position {
                            line: end.0,
                            character: end.1,
                        },
                    }),
                    range_length: None,
                    text: text.clone(),
                };
                match (s, e) {
                    (Some(s), Some(e)) if s <= e => model.replace_range(s..e, text),
                    _ => {
                        assert!(doc.apply(&event).is_err(), "an edit the model refuses was applied");
                        continue;
                    }
                }
                event
            }
        };
        assert!(doc.apply(&event).is_ok(), "a valid edit was refused: {event:?}");
        assert_eq!(doc.text(), model);
    }
    // Every character boundary maps to a position and back (but the `\n` of a `\r\n`, which
    // no position can name).
    for (i, _) in model.char_indices().chain(std::iter::once((model.len(), ' '))) {
        if i > 0 && model.as_bytes().get(i) == Some(&b'\n') && model.as_bytes()[i - 1] == b'\r' {
            continue;
        }
        let p = doc.position(i);
        assert_eq!(doc.byte_offset(p), Some(i), "offset {i} -> {p:?}");
    }
});
