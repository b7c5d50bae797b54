//! Rule fixtures: every `tests/fixtures/<rule>/<case>.nix` is linted on its own (with
//! `<case>.nixpilot.toml` as its configuration when there is one), and the diagnostics, their
//! fixes and the text after `--fix` are snapshotted.

use std::fmt::Write as _;
use std::path::Path;

use nixpilot_lint::engine::Scope;
use nixpilot_lint::fix::{fix_until_stable, FixMode};
use nixpilot_lint::{engine, rules, Config, SourceFile};

fn describe(file: &SourceFile, diagnostics: &[nixpilot_lint::Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let s = file.line_col(d.span.range.start());
        let e = file.line_col(d.span.range.end());
        writeln!(
            out,
            "{}:{}-{}:{} {} {}: {}",
            s.line, s.column, e.line, e.column, d.severity, d.rule, d.message
        )
        .unwrap();
        for l in &d.labels {
            let s = file.line_col(l.span.range.start());
            writeln!(out, "  label {}:{}: {}", s.line, s.column, l.message).unwrap();
        }
        for f in &d.fixes {
            writeln!(out, "  fix ({}): {}", f.applicability.as_str(), f.title).unwrap();
        }
    }
    out
}

#[test]
fn rule_fixtures() {
    insta::glob!("fixtures/**/*.nix", |path: &Path| {
        let rule = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap();
        assert!(rules::by_name(rule).is_some(), "fixture folder `{rule}` names no rule");
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        let files = vec![SourceFile::new(name, text.clone())];
        let config_path = path.with_extension("nixpilot.toml");
        let config = match std::fs::read_to_string(&config_path) {
            Ok(toml) => Config::parse(&config_path.display().to_string(), &toml).unwrap(),
            Err(_) => Config::default(),
        };
        let result = engine::lint(&files, None, &Scope::whole(), &config, &|| {});
        let mut snapshot = describe(&files[0], &result.diagnostics);

        let had_syntax_errors = result.diagnostics.iter().any(|d| d.rule == "syntax-error");
        let mut fixed = files.clone();
        let outcome = fix_until_stable(&mut fixed, None, &Scope::whole(), &config, FixMode::SafeOnly, &|| {});
        if !outcome.changed.is_empty() {
            write!(
                snapshot,
                "\n--- after --fix ({} rounds) ---\n{}",
                outcome.rounds, fixed[0].text
            )
            .unwrap();
            // A fix must never turn parseable code into a syntax error.
            if !had_syntax_errors {
                assert!(
                    !outcome.result.diagnostics.iter().any(|d| d.rule == "syntax-error"),
                    "fix broke the syntax of {name}:\n{}",
                    fixed[0].text
                );
            }
            // Fixing is idempotent: a second run changes nothing.
            let mut again = fixed.clone();
            let second = fix_until_stable(
                &mut again,
                None,
                &Scope::whole(),
                &Config::default(),
                FixMode::SafeOnly,
                &|| {},
            );
            assert!(second.changed.is_empty(), "second --fix changed {name} again");
        }
        insta::assert_snapshot!(snapshot);
    });
}

#[test]
fn every_rule_has_fixtures_and_docs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for meta in rules::all() {
        assert!(
            root.join(meta.name).is_dir(),
            "rule `{}` has no fixture folder",
            meta.name
        );
        let docs = meta.documentation();
        for section in ["## What it does", "## Why is this bad?", "## Example", "## Fix"] {
            assert!(docs.contains(section), "rule `{}` docs lack `{section}`", meta.name);
        }
    }
}

#[test]
fn docs_rules_md_is_generated_from_the_rules() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
    let expected = rules::catalogue_markdown();
    if std::env::var_os("NIXPILOT_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/rules.md is out of date; run `NIXPILOT_UPDATE_DOCS=1 cargo test -p nixpilot-lint --test rules`"
    );
}

#[test]
fn style_rules_default_to_info() {
    for meta in rules::all().into_iter().filter(|m| m.group == rules::Group::Style) {
        assert_eq!(
            meta.default_severity,
            nixpilot_lint::Severity::Info,
            "style rule `{}` must not fail CI by default",
            meta.name
        );
    }
}
