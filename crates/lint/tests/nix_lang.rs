//! Nix's own language tests (`tests/vectors/nix-lang`, from NixOS/nix) as the peer test:
//! `nixpilot lint` reports an error on exactly the files Nix's parser rejects.
//!
//! Every `parse-fail-*` file must get an error-severity diagnostic, no `parse-okay-*` or
//! `eval-okay-*` file may get one, and `eval-fail-*` files (which fail only when evaluated)
//! get one exactly when Nix 2.8's parser already rejects them: the list below.

use std::path::Path;

use nixpilot_lint::engine::Scope;
use nixpilot_lint::{engine, Config, Severity, SourceFile};

/// `eval-fail-*` files that Nix 2.8's `nix-instantiate --parse` rejects, and why. Newer Nix
/// accepts some of them at parse time and fails only when evaluating; nixpilot follows 2.8,
/// whose parser still rejects them.
const EVAL_FAIL_REJECTED_AT_PARSE: &[(&str, &str)] = &[
    ("eval-fail-attrset-merge-drops-later-rec.nix", "undefined variable `d`"),
    (
        "eval-fail-dynamic-attrs-inherit-2.nix",
        "dynamic attribute in `inherit`",
    ),
    ("eval-fail-dynamic-attrs-inherit.nix", "dynamic attribute in `inherit`"),
    ("eval-fail-dynamic-attrs-let-2.nix", "dynamic attribute in `let`"),
    ("eval-fail-dynamic-attrs-let-3.nix", "dynamic attribute in `let`"),
    ("eval-fail-dynamic-attrs-let.nix", "dynamic attribute in `let`"),
    ("eval-fail-eol-1.nix", "undefined variable `invalid`"),
    ("eval-fail-eol-2.nix", "undefined variable `invalid`"),
    ("eval-fail-eol-3.nix", "undefined variable `invalid`"),
    ("eval-fail-path-slash.nix", "path with a trailing slash"),
    ("eval-fail-set.nix", "undefined variable `x`"),
];

/// Files where nixpilot knowingly differs from Nix 2.8: syntax a newer Nix accepts.
const NEWER_SYNTAX: &[(&str, &str)] = &[(
    "eval-fail-pipe-operators.nix",
    "`|>` is the pipe operator of newer Nix (the `pipe-operators` experimental feature); Nix 2.8 \
     rejects it, rnix and nixpilot accept it (see docs/nix-compatibility.md)",
)];

fn errors_of(name: &str, bytes: Vec<u8>) -> Vec<String> {
    let files = vec![SourceFile::from_bytes(name, bytes)];
    let result = engine::lint(&files, None, &Scope::whole(), &Config::default(), &|| {});
    result
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{}: {}", d.rule, d.message))
        .collect()
}

#[test]
fn nixpilot_rejects_exactly_what_nix_2_8_rejects_in_nix_s_language_tests() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/nix-lang");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/vectors/nix-lang")
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".nix"))
        .collect();
    names.sort();
    let mut wrong = Vec::new();
    let mut counts = [0usize; 4];
    for name in &names {
        let bytes = std::fs::read(dir.join(name)).expect("readable");
        let expect_error = if name.starts_with("parse-fail-") {
            counts[0] += 1;
            true
        } else if name.starts_with("parse-okay-") || name.starts_with("eval-okay-") {
            counts[1] += 1;
            false
        } else if name.starts_with("eval-fail-") {
            counts[2] += 1;
            EVAL_FAIL_REJECTED_AT_PARSE.iter().any(|(n, _)| n == name)
        } else {
            continue;
        };
        counts[3] += 1;
        if NEWER_SYNTAX.iter().any(|(n, _)| n == name) {
            continue;
        }
        let errors = errors_of(name, bytes);
        match (expect_error, errors.is_empty()) {
            (true, true) => wrong.push(format!("{name}: Nix rejects it, nixpilot reports no error")),
            (false, false) => wrong.push(format!("{name}: Nix accepts it, nixpilot reports {errors:?}")),
            _ => {}
        }
    }
    // The upstream suite as copied: 41 parse-fail, 162 parse-okay/eval-okay, 283 eval-fail.
    assert_eq!(counts, [41, 162, 283, 486], "the copied suite changed");
    assert!(wrong.is_empty(), "{} disagreements:\n{}", wrong.len(), wrong.join("\n"));
}
