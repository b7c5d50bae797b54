//! Re-parsing one binding after an edit gives exactly the tree a full parse gives: checked
//! on thousands of edits (typing, deleting, brackets, quotes, comments) over real fixtures
//! and generated modules.

use std::path::Path;

use nixpilot_bench::generate::{self, Rng};
use nixpilot_lint::project::ParsedFile;
use nixpilot_lint::SourceFile;

const INSERTS: &[&str] = &[
    "a",
    "1",
    "_",
    " ",
    "\n",
    ";",
    "\"",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "#",
    "/*",
    "${",
    "''",
    "=",
    ".",
    "-",
    "x = 1;",
    "inherit",
    "let",
    "in",
    "rec",
    "?",
    "@",
    ":",
    "\\",
    "$",
    "'",
    "or",
    "# comment\n",
];

fn nix_files(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            nix_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "nix") {
            if let Ok(text) = std::fs::read_to_string(&path) {
                out.push(text);
            }
        }
    }
}

fn check(text: &str, rng: &mut Rng, edits: usize, spliced: &mut usize, total: &mut usize) {
    let old = ParsedFile::parse(SourceFile::new("f.nix", text));
    for _ in 0..edits {
        let mut start = rng.below(text.len() + 1);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + rng.below(4)).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let insert = if rng.chance(25) { "" } else { rng.pick(INSERTS) };
        let new_text = format!("{}{insert}{}", &text[..start], &text[end..]);
        *total += 1;
        let Some(incremental) = old.reparse(SourceFile::new("f.nix", new_text.as_str()), start, end) else {
            continue;
        };
        *spliced += 1;
        let full = rnix::Root::parse(&new_text);
        assert!(
            full.errors().is_empty(),
            "a splice was accepted where the full parse fails: {new_text}"
        );
        assert!(incremental.errors.is_empty());
        assert!(
            *incremental.syntax().green() == *full.syntax().green(),
            "trees differ after replacing {start}..{end} by {insert:?}:\n{new_text}\nincremental: {:#?}\nfull: {:#?}",
            incremental.syntax(),
            full.syntax()
        );
    }
}

#[test]
fn splicing_one_binding_matches_a_full_parse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    nix_files(&root.join("tests/fixtures"), &mut texts);
    nix_files(&root.join("../../examples"), &mut texts);
    let mut rng = Rng::new(7);
    for i in 0..40 {
        texts.push(generate::module_file(&mut rng, i));
        texts.push(generate::package_file(&mut rng, i));
    }
    texts.push(generate::big_file_text(&mut rng, 400));
    let (mut spliced, mut total) = (0, 0);
    let mut rng = Rng::new(42);
    for text in texts.iter().filter(|t| !t.is_empty()) {
        check(text, &mut rng, 60, &mut spliced, &mut total);
    }
    // The test means something only when many edits took the incremental path.
    assert!(spliced * 4 > total, "only {spliced} of {total} edits were spliced");
}

#[test]
fn edits_outside_any_binding_or_in_broken_files_parse_in_full() {
    let text = "{ a = 1; }";
    let old = ParsedFile::parse(SourceFile::new("f.nix", text));
    // Touching the binding's `;` or its first character, or the set's braces.
    assert!(old.reparse(SourceFile::new("f.nix", "{ a = 1: }"), 7, 8).is_none());
    assert!(old.reparse(SourceFile::new("f.nix", "{ b = 1; }"), 2, 3).is_none());
    assert!(old.reparse(SourceFile::new("f.nix", "{ a = 1; } "), 10, 10).is_none());
    // Inside the value: spliced.
    assert!(old.reparse(SourceFile::new("f.nix", "{ a = 12; }"), 7, 7).is_some());
    // The binding is parsed from the new text: a change elsewhere inside it is still seen;
    // a change outside it (the edit given does not match the texts) means a full parse.
    let other = old.reparse(SourceFile::new("f.nix", "{ z = 12; }"), 7, 7).unwrap();
    assert!(*other.syntax().green() == *rnix::Root::parse("{ z = 12; }").syntax().green());
    assert!(old.reparse(SourceFile::new("f.nix", "{ a = 12; } "), 7, 7).is_none());
    // Inside a comment or blanks between bindings: the token is replaced.
    let commented = ParsedFile::parse(SourceFile::new("f.nix", "{\n  a = 1; # note\n  b = 2;\n}\n"));
    for (new_text, start, end) in [
        ("{\n  a = 1; # notes\n  b = 2;\n}\n", 16, 16),
        ("{\n  a = 1; # note\n\n  b = 2;\n}\n", 17, 17),
    ] {
        let spliced = commented
            .reparse(SourceFile::new("f.nix", new_text), start, end)
            .unwrap();
        assert!(*spliced.syntax().green() == *rnix::Root::parse(new_text).syntax().green());
    }
    // A comment that would swallow the rest of the line or file is not one token any more.
    assert!(commented
        .reparse(SourceFile::new("f.nix", "{\n  a = 1; # no\nte\n  b = 2;\n}\n"), 14, 14)
        .is_none());
    let broken = ParsedFile::parse(SourceFile::new("f.nix", "{ a = 1; b = }"));
    assert!(broken
        .reparse(SourceFile::new("f.nix", "{ a = 12; b = }"), 7, 7)
        .is_none());
}

#[test]
fn deleting_the_line_break_after_a_line_comment_joins_what_follows_to_it() {
    // `# a` ends at its line break: blanks without one make the next comment (or code) part of
    // it, which no single-token splice can express.
    let text = "let\n  # a\n  # b\n  x = 1;\nin\nx\n";
    let old = ParsedFile::parse(SourceFile::new("f.nix", text));
    let start = text.find("# a").unwrap() + 3;
    let new_text = format!("{}{}", &text[..start], &text[start + 2..]);
    match old.reparse(SourceFile::new("f.nix", new_text.as_str()), start, start + 2) {
        None => {}
        Some(p) => assert!(*p.syntax().green() == *rnix::Root::parse(&new_text).syntax().green()),
    }
    // Blanks that keep a line break after the comment are still spliced.
    let kept = format!("{}\n{}", &text[..start], &text[start + 1..]);
    let spliced = old
        .reparse(SourceFile::new("f.nix", kept.as_str()), start, start + 1)
        .expect("spliced");
    assert!(*spliced.syntax().green() == *rnix::Root::parse(&kept).syntax().green());
}
