//! Property tests of `--fix`: on generated Nix code full of what the fixable rules fix (unused
//! `let` bindings, hand-written inherits, stale suppressions, comments in between) and in every
//! scope position Nix has, and on every Nix file of the repository (examples, fixtures),
//! applying every fix until stable never turns a file that parses into one that does not, and
//! the safe fixes never leave a name unbound: the free variables after are among those before.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use nixpilot_lint::engine::Scope;
use nixpilot_lint::fix::{fix_until_stable, FixMode};
use nixpilot_lint::project::{FileSource, MemorySource};
use nixpilot_lint::scope::{NameResolution, Target};
use nixpilot_lint::{engine, Config, SourceFile};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "x", "pkgs", "lib", "self", "config"]).prop_map(str::to_string)
}

fn comment() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        " # note",
        "\n  # nixpilot: allow(manual-inherit)\n  ",
        " # nixpilot: allow(unused-let-binding)",
        "\n# nixpilot: allow(unused-let-binding, manual-inherit)\n",
        " # nixpilot: allow(no-such-rule)",
        "\n  /* block */ ",
    ])
    .prop_map(str::to_string)
}

fn binding(expr: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        (name(), expr, comment()).prop_map(|(n, e, c)| format!("{n} = {e};{c}")),
        (name(), comment()).prop_map(|(n, c)| format!("{n} = {n};{c}")),
        (name(), name(), comment()).prop_map(|(s, n, c)| format!("{n} = {s}.{n};{c}")),
        (name(), comment()).prop_map(|(n, c)| format!("inherit {n};{c}")),
        (name(), name()).prop_map(|(s, n)| format!("inherit ({s}) {n};")),
        (name(), name(), comment()).prop_map(|(n, m, c)| format!("{n}.{m} = {m};{c}")),
    ]
}

fn bindings(expr: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    prop::collection::vec((binding(expr), comment()), 0..4)
        .prop_map(|bs| bs.into_iter().map(|(b, c)| format!("{c}{b} ")).collect::<String>())
}

fn expr() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        name(),
        Just("1".to_string()),
        Just("\"s ${x}\"".to_string()),
        Just("./p.nix".to_string()),
        Just("[ ]".to_string()),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        let e = inner.clone().boxed();
        // Every place a name can be read or bound, beside the plain ones.
        let scoped = prop_oneof![
            (name(), e.clone(), name(), e.clone())
                .prop_map(|(n, d, m, body)| format!("({{ {n} ? {d}, ... }}@{m}: {body})")),
            (e.clone(), e.clone()).prop_map(|(c, body)| format!("assert {c}; {body}")),
            (e.clone(), name(), e.clone()).prop_map(|(s, n, d)| format!("({s}).{n} or ({d})")),
            (name(), e.clone()).prop_map(|(n, v)| format!("{{ ${{{n}}} = {v}; \"k-${{{n}}}\" = ./p/${{{n}}}.nix; }}")),
            (e.clone(), name()).prop_map(|(s, n)| format!("{{ inherit ({s}) {n}; }}")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("''${{{a}}} ${{{b}}}''")),
        ];
        prop_oneof![
            scoped,
            bindings(e.clone()).prop_map(|b| format!("{{ {b}}}")),
            bindings(e.clone()).prop_map(|b| format!("rec {{ {b}}}")),
            (bindings(e.clone()), e.clone(), comment()).prop_map(|(b, body, c)| format!("let {b}in{c} {body}")),
            (name(), e.clone()).prop_map(|(n, body)| format!("{n}: {body}")),
            (name(), e.clone()).prop_map(|(n, body)| format!("{{ {n}, ... }}: {body}")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("[ ({a}) {b} ]")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("({a}) // ({b})")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("if {a} then {b} else null")),
            (name(), e.clone()).prop_map(|(n, body)| format!("with {n}; {body}")),
            (e.clone(), e).prop_map(|(f, a)| format!("({f}) ({a})")),
        ]
    })
    .boxed()
}

/// The names a text reads without binding them, Nix's globals aside (a fix may well write
/// `builtins.x`), or `None` when it does not parse.
fn free_names(text: &str) -> Option<BTreeSet<String>> {
    let root = nixpilot_lint::parse::syntax(text)?;
    Some(
        NameResolution::of(&root)
            .references
            .iter()
            .filter(|r| !matches!(r.target, Target::Binding(_)) && !r.is_global())
            .map(|r| r.name.clone())
            .collect(),
    )
}

/// What applying every safe fix broke in `before` -> `after`, if anything: a syntax error, or a
/// name read but no longer bound.
fn broken_by_fix(before: &str, after: &str, after_diagnostics: &[&nixpilot_lint::Diagnostic]) -> Option<String> {
    if let Some(d) = after_diagnostics.iter().find(|d| d.rule == "syntax-error") {
        return Some(format!("syntax error: {}", d.message));
    }
    let (Some(free_before), Some(free_after)) = (free_names(before), free_names(after)) else {
        return Some("no longer parses".into());
    };
    let unbound: Vec<&String> = free_after.difference(&free_before).collect();
    (!unbound.is_empty()).then(|| format!("names left unbound: {unbound:?}"))
}

fn lint(text: &str) -> Vec<nixpilot_lint::Diagnostic> {
    let files = [SourceFile::new("gen.nix", text)];
    engine::lint(&files, None, &Scope::whole(), &Config::default(), &|| {}).diagnostics
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn fixes_never_break_a_file_that_parses(text in expr()) {
        let before = lint(&text);
        prop_assume!(!before.iter().any(|d| d.rule == "syntax-error"));
        for mode in [FixMode::SafeOnly, FixMode::SafeAndUnsafe] {
            let mut files = vec![SourceFile::new("gen.nix", text.clone())];
            let outcome = fix_until_stable(&mut files, None, &Scope::whole(), &Config::default(), mode, &|| {});
            let broken: Vec<&str> = outcome
                .result
                .diagnostics
                .iter()
                .filter(|d| d.rule == "syntax-error")
                .map(|d| d.message.as_str())
                .collect();
            prop_assert!(broken.is_empty(), "{:?} broke\n{}\ninto\n{}\n{:?}", mode, text, files[0].text, broken);
            if mode == FixMode::SafeOnly {
                let after: Vec<&nixpilot_lint::Diagnostic> = outcome.result.diagnostics.iter().collect();
                let problem = broken_by_fix(&text, &files[0].text, &after);
                prop_assert!(problem.is_none(), "safe fixes broke\n{}\ninto\n{}\n{:?}", text, files[0].text, problem);
            }
        }
    }
}

/// Every file below `dir` whose name ends in `suffix`.
fn files_under(dir: &Path, suffix: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, suffix, out);
        } else if path.to_string_lossy().ends_with(suffix) {
            out.push(path);
        }
    }
}

/// Applies every safe fix of every rule (project rules too, with the files around them) and
/// records what broke, by file.
fn check_safe_fixes(label: &str, source: &MemorySource, problems: &mut Vec<String>) {
    let originals: Vec<SourceFile> = source.nix_files().iter().filter_map(|p| source.read(p)).collect();
    let mut files = originals.clone();
    let outcome = fix_until_stable(
        &mut files,
        Some(source),
        &Scope::whole(),
        &Config::default(),
        FixMode::SafeOnly,
        &|| {},
    );
    for (path, after) in &outcome.changed {
        let Some(before) = originals.iter().find(|f| f.path == *path) else {
            continue;
        };
        let broken_before = lint(&before.text).iter().any(|d| d.rule == "syntax-error");
        if broken_before {
            continue;
        }
        let after_diagnostics: Vec<&nixpilot_lint::Diagnostic> = outcome
            .result
            .diagnostics
            .iter()
            .filter(|d| d.span.file == *path)
            .collect();
        if let Some(problem) = broken_by_fix(&before.text, after, &after_diagnostics) {
            problems.push(format!(
                "{label}: {path}: {problem}\n--- before\n{}\n--- after\n{after}",
                before.text
            ));
        }
    }
}

#[test]
fn safe_fixes_never_unbind_a_name_in_the_repositorys_nix_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut problems = Vec::new();
    let mut checked = 0;
    // Single files: the examples, the rule fixtures and the end-to-end fixtures.
    let mut nix = Vec::new();
    for dir in ["examples", "crates/lint/tests/fixtures", "tests/fixtures"] {
        files_under(&root.join(dir), ".nix", &mut nix);
    }
    nix.sort();
    for path in &nix {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let mut source = MemorySource::new();
        source.insert("file.nix", &text);
        check_safe_fixes(&path.display().to_string(), &source, &mut problems);
        checked += 1;
    }
    // Whole fixture repositories, where project rules fix too.
    let mut repos = Vec::new();
    files_under(&root.join("crates/lint/tests/fixtures"), ".repo", &mut repos);
    repos.sort();
    for path in &repos {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        check_safe_fixes(
            &path.display().to_string(),
            &MemorySource::from_fixture(&text),
            &mut problems,
        );
        checked += 1;
    }
    assert!(checked > 100, "only {checked} files and repositories found");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// A `let` whose binding is read in exactly one scope position, around generated code.
fn read_in_one_position() -> impl Strategy<Value = String> {
    let templates: Vec<&'static str> = vec![
        "({ M ? N, ... }: M)",
        "(M@{ q ? N, ... }: M)",
        "{ inherit (N) M; }",
        "{ ${N} = E; }",
        "{ \"k-${N}\" = E; }",
        "assert N; E",
        "with E; N",
        "rec { M = N; }",
        "let M = E; in N",
        "\"s ${N}\"",
        "''s ${N}''",
        "./p/${N}.nix",
        "(E).M or N",
        "E ? ${N}",
        "{ inherit (E) ${N}; }",
        "let inherit N; in N",
        "{ inherit N; }",
        "(M: N)",
    ];
    (prop::sample::select(templates), name(), name(), expr()).prop_map(|(template, n, m, e)| {
        let body = template
            .replace('N', &n)
            .replace('M', &m)
            .replace('E', &format!("({e})"));
        format!("let {n} = 1; in {body}")
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn safe_fixes_keep_every_name_bound(text in read_in_one_position()) {
        let before = lint(&text);
        prop_assume!(!before.iter().any(|d| d.rule == "syntax-error"));
        let mut files = vec![SourceFile::new("gen.nix", text.clone())];
        let outcome = fix_until_stable(&mut files, None, &Scope::whole(), &Config::default(), FixMode::SafeOnly, &|| {});
        let after: Vec<&nixpilot_lint::Diagnostic> = outcome.result.diagnostics.iter().collect();
        let problem = broken_by_fix(&text, &files[0].text, &after);
        prop_assert!(problem.is_none(), "safe fixes broke\n{}\ninto\n{}\n{:?}", text, files[0].text, problem);
    }
}
