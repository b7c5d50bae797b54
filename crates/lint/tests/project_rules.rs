//! Project-rule fixtures: every `tests/fixtures/<rule>/<case>.repo` is a whole mini-repository
//! in one string (`//- /path` starts a file). All its Nix files are linted with the project
//! model; the diagnostics of every rule, their fixes and the fixed files are snapshotted.

use std::fmt::Write as _;
use std::path::Path;

use nixpilot_lint::engine::{self, Scope};
use nixpilot_lint::fix::{fix_until_stable, FixMode};
use nixpilot_lint::project::{FileSource, MemorySource};
use nixpilot_lint::{rules, Config, SourceFile};

/// Lints a fixture repository and renders the result as the snapshot text.
pub fn check_repo(fixture: &str) -> String {
    let source = MemorySource::from_fixture(fixture);
    let files: Vec<SourceFile> = source.nix_files().iter().filter_map(|p| source.read(p)).collect();
    let result = engine::lint(&files, Some(&source), &Scope::whole(), &Config::default(), &|| {});
    let project = result.project.as_ref().unwrap();
    let text_of = |path: &str| -> Option<SourceFile> {
        files
            .iter()
            .find(|f| &*f.path == path)
            .cloned()
            .or_else(|| project.sources().find(|s| &*s.path == path).cloned())
    };
    let pos = |path: &str, offset: rowan::TextSize| -> String {
        text_of(path).map_or("?".into(), |f| {
            let lc = f.line_col(offset);
            format!("{}:{}", lc.line, lc.column)
        })
    };
    let mut out = String::new();
    for d in &result.diagnostics {
        writeln!(
            out,
            "{}:{}-{} {} {}: {}",
            d.span.file,
            pos(&d.span.file, d.span.range.start()),
            pos(&d.span.file, d.span.range.end()),
            d.severity,
            d.rule,
            d.message
        )
        .unwrap();
        for l in &d.labels {
            writeln!(
                out,
                "  label {}:{}: {}",
                l.span.file,
                pos(&l.span.file, l.span.range.start()),
                l.message
            )
            .unwrap();
        }
        for f in &d.fixes {
            writeln!(out, "  fix ({}): {}", f.applicability.as_str(), f.title).unwrap();
        }
    }
    let mut fixed = files.clone();
    let outcome = fix_until_stable(
        &mut fixed,
        Some(&source),
        &Scope::whole(),
        &Config::default(),
        FixMode::SafeAndUnsafe,
        &|| {},
    );
    for (path, text) in &outcome.changed {
        write!(out, "\n--- {path} after --fix --unsafe-fixes ---\n{text}").unwrap();
    }
    if !outcome.changed.is_empty() {
        let had_syntax_errors = result.diagnostics.iter().any(|d| d.rule == "syntax-error");
        assert!(
            had_syntax_errors || !outcome.result.diagnostics.iter().any(|d| d.rule == "syntax-error"),
            "a fix broke the syntax:\n{out}"
        );
    }
    out
}

#[test]
fn project_rule_fixtures() {
    let mut failures = Vec::new();
    insta::glob!("fixtures/**/*.repo", |path: &Path| {
        let rule = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap();
        assert!(rules::by_name(rule).is_some(), "fixture folder `{rule}` names no rule");
        let fixture = std::fs::read_to_string(path).unwrap();
        let snapshot = check_repo(&fixture);
        // Each hit fixture must show its own rule; each `no-*` fixture must not.
        let name = path.file_stem().unwrap().to_str().unwrap();
        let fires = snapshot.lines().any(|l| l.contains(&format!(" {rule}: ")));
        if name.starts_with("no-") && fires {
            failures.push(format!("{rule}/{name} should not report {rule}:\n{snapshot}"));
        } else if !name.starts_with("no-") && !fires {
            failures.push(format!("{rule}/{name} should report {rule}:\n{snapshot}"));
        }
        // A fixture is a broken variant for one rule: no other project rule may fire.
        let others: Vec<&str> = rules::PROJECT_RULES
            .iter()
            .map(|r| r.meta().name)
            .filter(|other| *other != rule && snapshot.lines().any(|l| l.contains(&format!(" {other}: "))))
            .collect();
        if !others.is_empty() {
            failures.push(format!("{rule}/{name} also reports {others:?}:\n{snapshot}"));
        }
        insta::assert_snapshot!(snapshot);
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_example_repository_is_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo");
    let mut fixture = String::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                let rel = p.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
                write!(fixture, "//- /{rel}\n{text}").unwrap();
                if !text.ends_with('\n') {
                    fixture.push('\n');
                }
            }
        }
    }
    let snapshot = check_repo(&fixture);
    assert_eq!(snapshot, "", "examples/demo should lint clean");
}
