//! Property test of `--fix`: on generated Nix code full of what the fixable rules fix (unused
//! `let` bindings, hand-written inherits, stale suppressions, comments in between), applying
//! every fix until stable never turns a file that parses into one that does not.

use nixpilot_lint::engine::Scope;
use nixpilot_lint::fix::{fix_until_stable, FixMode};
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
        prop_oneof![
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
        }
    }
}
