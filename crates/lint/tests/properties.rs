//! Property tests of `--fix`: on generated Nix code full of what the fixable rules fix (unused
//! `let` bindings, hand-written inherits, stale suppressions, comments in between) and in every
//! scope position Nix has, and on every Nix file of the repository (examples, fixtures),
//! applying every fix until stable never turns a file that parses into one that does not, and
//! the safe fixes never leave a name unbound: the free variables after are among those before.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use nixpilot_lint::engine::Scope;
use nixpilot_lint::fix::{apply_edits, fix_until_stable, select_edits, FixMode};
use nixpilot_lint::project::{FileSource, MemorySource};
use nixpilot_lint::scope::{NameResolution, Target};
use nixpilot_lint::{engine, Config, SourceFile};
use proptest::prelude::*;
use rowan::{TextRange, TextSize};

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
        // What the statix-parity rules rewrite, with names from the same small pool so that
        // merges, reductions and removals meet shadowing and capture.
        let statix_forms = prop_oneof![
            e.clone().prop_map(|a| format!("[ (({a})) (x) (x.a) ]")),
            (e.clone(), name()).prop_map(|(a, n)| format!("{n}: ({a}) == true || {n} != false")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("!(({a}) == ({b}))")),
            (name(), name(), e.clone()).prop_map(|(s, n, d)| format!("if {s} ? {n} then {s}.{n} else ({d})")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("[ ] ++ ({a}) ++ [ ] ++ [ ({b}) ]")),
            e.clone().prop_map(|a| format!("let in ({a})")),
            (name(), e.clone(), name(), name(), e.clone())
                .prop_map(|(n, a, m, k, b)| format!("let {n} = {a}; in let {m} = {k}; in ({b})")),
            (name(), name()).prop_map(|(n, f)| format!("({n}: {f} {n})")),
            e.clone()
                .prop_map(|a| format!("{{ inherit; a = https://example.org/p; b = let {{ body = ({a}); }}; }}")),
            (name(), e.clone()).prop_map(|(n, a)| format!("({{ ... }}@{n}: ({{ ... }}: {n}) ({a}))")),
        ];
        prop_oneof![
            scoped,
            statix_forms,
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
                // Round by round, every reference keeps its binding.
                let rounds = fix_checking_each_round("generated", &text);
                prop_assert!(rounds.problems.is_empty(), "{}", rounds.problems.join("\n\n"));
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

/// What a variable reference reads, in terms that survive an edit: nothing bound in the file,
/// a `with`, or a binding identified by where its name is written after the edit (or, for a
/// binding inside rewritten text, by that rewrite and its name).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Meaning {
    Free,
    With,
    BoundAt(TextSize),
    BoundInRewrite(usize, String),
}

/// Edits of one round, sorted, with where each one's new text lands in the edited text.
struct Round<'a> {
    edits: Vec<&'a nixpilot_lint::Edit>,
    new_starts: Vec<TextSize>,
}

impl<'a> Round<'a> {
    fn new(edits: &'a [nixpilot_lint::Edit]) -> Round<'a> {
        let mut edits: Vec<&nixpilot_lint::Edit> = edits.iter().collect();
        edits.sort_by_key(|e| (e.span.range.start(), e.span.range.end()));
        let mut shift: i64 = 0;
        let mut new_starts = Vec::with_capacity(edits.len());
        for e in &edits {
            new_starts.push(TextSize::from(
                (i64::from(u32::from(e.span.range.start())) + shift) as u32,
            ));
            shift += e.new_text.len() as i64 - i64::from(u32::from(e.span.range.len()));
        }
        Round { edits, new_starts }
    }

    /// The edit whose replaced range a range of the old text touches.
    fn edit_over(&self, range: TextRange) -> Option<usize> {
        self.edits.iter().position(|e| {
            let r = e.span.range;
            range.start() < r.end() && r.start() < range.end()
                || r.is_empty() && range.contains(r.start()) && range.start() != r.start()
        })
    }

    /// Where an old offset outside every edit lands in the new text.
    fn map(&self, offset: TextSize) -> TextSize {
        let mut shift: i64 = 0;
        for e in &self.edits {
            if e.span.range.end() <= offset {
                shift += e.new_text.len() as i64 - i64::from(u32::from(e.span.range.len()));
            }
        }
        TextSize::from((i64::from(u32::from(offset)) + shift) as u32)
    }

    /// The edit whose new text holds a range of the new text.
    fn rewrite_holding(&self, range: TextRange) -> Option<usize> {
        (0..self.edits.len()).find(|&i| {
            let start = self.new_starts[i];
            let end = start + TextSize::of(self.edits[i].new_text.as_str());
            start <= range.start() && range.end() <= end && start < end
        })
    }
}

fn meaning_before(names: &NameResolution, round: &Round<'_>, reference: &nixpilot_lint::scope::Reference) -> Meaning {
    match reference.target {
        Target::Free => Meaning::Free,
        // Builtins win over `with`: a stable global under one reads the global either way.
        Target::With if nixpilot_semantics::builtins::is_stable_global(&reference.name) => Meaning::Free,
        Target::With => Meaning::With,
        Target::Binding(b) => {
            let binding = &names.bindings[b];
            match round.edit_over(binding.range) {
                Some(i) => Meaning::BoundInRewrite(i, binding.name.clone()),
                None => Meaning::BoundAt(round.map(binding.range.start())),
            }
        }
    }
}

fn meaning_after(names: &NameResolution, round: &Round<'_>, reference: &nixpilot_lint::scope::Reference) -> Meaning {
    match reference.target {
        Target::Free => Meaning::Free,
        // Builtins win over `with`: a stable global under one reads the global either way.
        Target::With if nixpilot_semantics::builtins::is_stable_global(&reference.name) => Meaning::Free,
        Target::With => Meaning::With,
        Target::Binding(b) => {
            let binding = &names.bindings[b];
            match round.rewrite_holding(binding.range) {
                Some(i) => Meaning::BoundInRewrite(i, binding.name.clone()),
                None => Meaning::BoundAt(binding.range.start()),
            }
        }
    }
}

/// Checks one round of edits: `after` must parse whenever `before` did, and every variable
/// reference must keep its meaning. A reference outside the edits must be found at its new
/// place reading the same binding (or still nothing, or still a `with`); the references in an
/// edit's new text must be, in order, some of those of the text it replaced, with the same
/// meanings. So no name becomes unbound, and no name is captured by another binding.
fn same_meaning(before: &str, edits: &[nixpilot_lint::Edit], after: &str) -> Result<(), String> {
    let old = nixpilot_lint::parse::parse(before);
    let new = nixpilot_lint::parse::parse(after);
    if old.refused.is_some() || !old.errors.is_empty() {
        return Ok(());
    }
    if new.refused.is_some() || !new.errors.is_empty() {
        return Err(format!("no longer parses: {:?}", new.errors.first()));
    }
    let old_names = NameResolution::of(&rnix::SyntaxNode::new_root(old.green));
    let new_names = NameResolution::of(&rnix::SyntaxNode::new_root(new.green));
    let round = Round::new(edits);
    let mut in_edit: Vec<Vec<(String, Meaning)>> = vec![Vec::new(); round.edits.len()];
    for r in &old_names.references {
        let meaning = meaning_before(&old_names, &round, r);
        if let Some(i) = round.edit_over(r.range) {
            in_edit[i].push((r.name.clone(), meaning));
            continue;
        }
        let at = round.map(r.range.start());
        let found = new_names
            .references
            .binary_search_by_key(&at, |n| n.range.start())
            .ok()
            .map(|i| &new_names.references[i]);
        match found {
            Some(n) if n.name == r.name => {
                let now = meaning_after(&new_names, &round, n);
                if now != meaning {
                    return Err(format!("`{}` read {meaning:?} and now reads {now:?}", r.name));
                }
            }
            _ => return Err(format!("the read of `{}` outside the edits is gone", r.name)),
        }
    }
    let mut in_rewrite: Vec<Vec<(String, Meaning)>> = vec![Vec::new(); round.edits.len()];
    for n in &new_names.references {
        let Some(i) = round.rewrite_holding(n.range) else {
            continue;
        };
        in_rewrite[i].push((n.name.clone(), meaning_after(&new_names, &round, n)));
    }
    for (i, (old_reads, new_reads)) in in_edit.iter().zip(&in_rewrite).enumerate() {
        let mut rest = old_reads.iter();
        for read in new_reads {
            // A global (`builtins`) read where nothing binds the name can neither capture nor
            // be undefined: how the `builtins.` prefix fixes an undefined `attrNames`.
            let global =
                matches!(read.1, Meaning::Free | Meaning::With) && nixpilot_semantics::builtins::is_global(&read.0);
            if global {
                continue;
            }
            if !rest.any(|o| o == read) {
                return Err(format!(
                    "edit {:?} -> {:?} reads `{}` as {:?}, which the replaced text did not",
                    round.edits[i].span.range, round.edits[i].new_text, read.0, read.1
                ));
            }
        }
    }
    Ok(())
}

/// One file's run of safe fixes, round by round, as `--fix` does them.
struct FileFixes {
    original: String,
    fixed: String,
    applied: usize,
    problems: Vec<String>,
}

fn fix_checking_each_round(label: &str, text: &str) -> FileFixes {
    let mut current = text.to_string();
    let mut applied = 0;
    let mut problems = Vec::new();
    for _ in 0..nixpilot_lint::fix::MAX_ROUNDS {
        let diagnostics = lint(&current);
        let chosen = select_edits(&diagnostics, FixMode::SafeOnly, &|_| true);
        let Some(edits) = chosen.get("gen.nix") else { break };
        let after = apply_edits(&current, edits);
        if after == current {
            break;
        }
        if let Err(problem) = same_meaning(&current, edits, &after) {
            let rules: BTreeSet<&str> = diagnostics
                .iter()
                .filter(|d| {
                    d.fixes
                        .iter()
                        .find(|f| f.applicability == nixpilot_lint::Applicability::Safe)
                        .is_some_and(|f| f.edits.iter().all(|e| edits.contains(e)))
                })
                .map(|d| d.rule)
                .collect();
            problems.push(format!(
                "{label}: safe fixes of {rules:?}: {problem}\n--- before\n{current}\n--- after\n{after}"
            ));
            break;
        }
        applied += edits.len();
        current = after;
    }
    FileFixes {
        original: text.to_string(),
        fixed: current,
        applied,
        problems,
    }
}

/// `nix-instantiate --parse` over many files at once; a failing batch is split until each
/// failing file is found. `None` when the program is not on PATH.
fn nix_parse_failures(paths: &[PathBuf]) -> Option<BTreeSet<PathBuf>> {
    let probe = std::process::Command::new("nix-instantiate")
        .arg("--version")
        .output()
        .ok()?;
    if !probe.status.success() {
        return None;
    }
    fn check(paths: &[PathBuf], failed: &mut BTreeSet<PathBuf>) {
        if paths.is_empty() {
            return;
        }
        let ok = std::process::Command::new("nix-instantiate")
            .arg("--parse")
            .args(paths)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return;
        }
        if paths.len() == 1 {
            failed.insert(paths[0].clone());
            return;
        }
        let (a, b) = paths.split_at(paths.len() / 2);
        check(a, failed);
        check(b, failed);
    }
    let mut failed = BTreeSet::new();
    for chunk in paths.chunks(256) {
        check(chunk, &mut failed);
    }
    Some(failed)
}

/// Every safe fix, applied round by round to every Nix file of the repository (and of the
/// folder `NIXPILOT_FIX_CORPUS` names, when set): each round must leave a file that parses,
/// with every variable reference reading what it read before (no name unbound, none captured),
/// and, where `nix-instantiate` is on PATH, a file Nix parses whenever Nix parsed the original.
#[test]
fn every_safe_fix_keeps_every_reference_and_the_parse() {
    use rayon::prelude::*;

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut paths = Vec::new();
    for dir in ["examples", "crates", "tests", "bench", "fuzz"] {
        files_under(&root.join(dir), ".nix", &mut paths);
    }
    if let Some(corpus) = std::env::var_os("NIXPILOT_FIX_CORPUS") {
        files_under(Path::new(&corpus), ".nix", &mut paths);
    }
    paths.sort();
    paths.dedup();
    let runs: Vec<(PathBuf, FileFixes)> = paths
        .par_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(p).ok()?;
            Some((p.clone(), fix_checking_each_round(&p.display().to_string(), &text)))
        })
        .collect();
    let mut problems: Vec<String> = runs.iter().flat_map(|(_, r)| r.problems.clone()).collect();
    let changed: Vec<&(PathBuf, FileFixes)> = runs.iter().filter(|(_, r)| r.fixed != r.original).collect();
    let applied: usize = runs.iter().map(|(_, r)| r.applied).sum();

    // Nix's own parser on the originals and the fixed texts (copies: the corpus is read-only).
    let scratch = tempfile::tempdir().unwrap();
    let mut originals = Vec::new();
    let mut fixed = Vec::new();
    for (i, (_, run)) in changed.iter().enumerate() {
        let dir = scratch.path().join(i.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("before.nix"), &run.original).unwrap();
        std::fs::write(dir.join("after.nix"), &run.fixed).unwrap();
        originals.push(dir.join("before.nix"));
        fixed.push(dir.join("after.nix"));
    }
    let nix_checked = match nix_parse_failures(&originals) {
        Some(failed_before) => {
            let candidates: Vec<PathBuf> = fixed
                .iter()
                .zip(&originals)
                .filter(|(_, b)| !failed_before.contains(*b))
                .map(|(a, _)| a.clone())
                .collect();
            let failed_after = nix_parse_failures(&candidates).unwrap_or_default();
            for (i, (path, run)) in changed.iter().enumerate() {
                if failed_after.contains(&fixed[i]) {
                    problems.push(format!(
                        "{}: Nix parsed the original but not the fixed text\n--- after\n{}",
                        path.display(),
                        run.fixed
                    ));
                }
            }
            candidates.len()
        }
        None => 0,
    };
    eprintln!(
        "safe fixes on {} files: {} files changed, {} edits applied, {} fixed files checked with nix-instantiate, {} problems",
        runs.len(),
        changed.len(),
        applied,
        nix_checked,
        problems.len()
    );
    assert!(runs.len() >= 50, "only {} files found", runs.len());
    assert!(applied > 0, "no safe fix applied anywhere: the test checks nothing");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Two nested `let`s over a small pool of names, inside a lambda and reading through `with`,
/// `inherit` and lambdas: where merging them (`collapsible-let-in`) would capture or shadow.
fn nested_lets() -> impl Strategy<Value = String> {
    let small = prop_oneof![
        name(),
        (name(), name()).prop_map(|(a, b)| format!("[ {a} {b} ]")),
        (name(), name()).prop_map(|(a, b)| format!("(with {a}; {b})")),
        (name(), name()).prop_map(|(a, b)| format!("({a}: {b})")),
        (name(), name()).prop_map(|(a, b)| format!("({a}: {b} {a})")),
    ];
    let binding = prop_oneof![
        (name(), small.clone()).prop_map(|(n, v)| format!("{n} = {v};")),
        name().prop_map(|n| format!("inherit {n};")),
    ];
    (
        prop::collection::vec(binding.clone(), 1..3),
        prop::collection::vec(binding, 1..3),
        small,
        name(),
    )
        .prop_map(|(outer, inner, body, argument)| {
            format!(
                "{argument}: let {} in let {} in {body}",
                outer.join(" "),
                inner.join(" ")
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn merging_lets_and_other_safe_fixes_capture_nothing(text in nested_lets()) {
        let rounds = fix_checking_each_round("generated", &text);
        prop_assert!(rounds.problems.is_empty(), "{}", rounds.problems.join("\n\n"));
    }
}
