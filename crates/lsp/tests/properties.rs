//! Property tests of the document-edit path: any sequence of LSP changes applied to an open
//! buffer gives the text a plain string model gives, and the lint of that buffer is the lint of
//! its final text parsed from scratch.

use nixpilot_lsp::documents::Document;
use proptest::prelude::*;
use tower_lsp::lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// Where lines start as LSP counts them: after `\n`, `\r\n` or `\r`, and nowhere else.
fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
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

/// The model's byte offset of a position: columns in UTF-16 units, clamped to the line's end.
fn offset(text: &str, line: u32, character: u32) -> Option<usize> {
    let starts = line_starts(text);
    let line = line as usize;
    if line >= starts.len() {
        return (line == starts.len() && character == 0).then_some(text.len());
    }
    let start = starts[line];
    let end = starts.get(line + 1).copied().unwrap_or(text.len());
    let content = text[start..end].trim_end_matches(['\n', '\r']);
    let mut units = 0;
    for (i, c) in content.char_indices() {
        units += c.len_utf16() as u32;
        if units > character {
            return Some(start + i);
        }
    }
    Some(start + content.len())
}

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z ={};]{0,6}",
        prop::sample::select(vec![
            "\n",
            "\r\n",
            "\r",
            "𝔸",
            "é",
            "\u{2028}",
            "\u{85}",
            "\u{b}",
            "\u{c}",
            "let x = 1; in x",
            "# c\n",
        ])
        .prop_map(str::to_string),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..8).prop_map(|p| p.concat())
}

#[derive(Debug, Clone)]
enum Change {
    Replace(u32, u32, u32, u32, String),
    Full(String),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        8 => (0u32..6, 0u32..12, 0u32..6, 0u32..12, text()).prop_map(|(a, b, c, d, t)| Change::Replace(a, b, c, d, t)),
        1 => text().prop_map(Change::Full),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn incremental_edits_equal_the_model_and_a_fresh_parse(start in text(), changes in prop::collection::vec(change(), 0..12)) {
        let mut doc = Document::new(&start, 0);
        let mut model = start.clone();
        for change in changes {
            let event = match &change {
                Change::Full(t) => {
                    model = t.clone();
                    TextDocumentContentChangeEvent { range: None, range_length: None, text: t.clone() }
                }
                Change::Replace(sl, sc, el, ec, t) => {
                    let event = TextDocumentContentChangeEvent {
                        range: Some(Range {
                            start: Position { line: *sl, character: *sc },
                            end: Position { line: *el, character: *ec },
                        }),
                        range_length: None,
                        text: t.clone(),
                    };
                    match (offset(&model, *sl, *sc), offset(&model, *el, *ec)) {
                        (Some(s), Some(e)) if s <= e => model.replace_range(s..e, t),
                        _ => {
                            prop_assert!(doc.apply(&event).is_err(), "applied an edit outside the text: {:?}", change);
                            continue;
                        }
                    }
                    event
                }
            };
            prop_assert!(doc.apply(&event).is_ok(), "refused {:?} on {:?}", change, model);
            prop_assert_eq!(doc.text(), model.clone());
        }
        let incremental = nixpilot_lint::lint_text("a.nix", &doc.text());
        let fresh = nixpilot_lint::lint_text("a.nix", &Document::new(&model, 1).text());
        prop_assert_eq!(format!("{incremental:?}"), format!("{fresh:?}"));
        // Positions of character boundaries map back to themselves (but the `\n` of `\r\n`).
        for (i, _) in model.char_indices().chain(std::iter::once((model.len(), ' '))) {
            if i > 0 && model.as_bytes().get(i) == Some(&b'\n') && model.as_bytes()[i - 1] == b'\r' {
                continue;
            }
            let p = doc.position(i);
            prop_assert_eq!(offset(&model, p.line, p.character), Some(i), "position {:?} of offset {}", p, i);
            prop_assert_eq!(doc.byte_offset(p), Some(i));
        }
    }
}
