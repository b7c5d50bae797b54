//! Hostile sizes and depths through the real binary: nesting that overflowed the stack before
//! (100,000 parentheses, lists, `++`, unary minus, a million-term sum), a flake.lock of 10,000
//! nodes and a project of 5,000 files. Bounded time, an `analysis-limit` warning, no crash.
//! The 50 MB file and 100,000 files are in scripts/limits-run (too slow for a debug build).

mod common;

use std::time::{Duration, Instant};

use common::nixpilot;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("flake.nix"), "{ outputs = _: { }; }\n").expect("flake");
    dir
}

/// Lints `dir` as JSON; the exit code and the rules reported, in order.
fn lint_json(dir: &std::path::Path, limit: Duration) -> (i32, Vec<String>, Duration) {
    let started = Instant::now();
    let out = nixpilot(dir, &["lint", "--format", "json"]);
    let took = started.elapsed();
    assert!(took < limit, "took {took:?}");
    let report: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("no report ({e}); exit {}: {}", out.code, out.stderr));
    let rules = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["rule"].as_str().expect("rule").to_string())
        .collect();
    (out.code, rules, took)
}

#[test]
fn deep_nesting_is_refused_with_a_warning_not_a_crash() {
    let cases = [
        ("parens.nix", format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000))),
        ("lists.nix", format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000))),
        ("concat.nix", format!("{}[ ]", "[ ] ++ ".repeat(100_000))),
        ("negate.nix", format!("{}1", "-".repeat(100_000))),
        ("or.nix", format!("{}a", "a.b or ".repeat(100_000))),
        ("sum.nix", format!("1{}", "+1".repeat(1_000_000))),
        ("apply.nix", format!("f{}", " a".repeat(100_000))),
        ("lambdas.nix", format!("{}1", "x: ".repeat(100_000))),
    ];
    let dir = project();
    for (name, text) in &cases {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let (code, rules, took) = lint_json(dir.path(), Duration::from_secs(120));
    eprintln!(
        "{} files nested 100,000 deep (and a 1,000,000-term sum) linted in {took:?}",
        cases.len()
    );
    assert_eq!(code, 0, "warnings only: {rules:?}");
    assert_eq!(
        rules.iter().filter(|r| *r == "analysis-limit").count(),
        cases.len(),
        "{rules:?}"
    );
}

#[test]
fn a_flake_lock_of_ten_thousand_nodes_is_read_in_bounded_time() {
    let dir = project();
    // A chain of inputs, each following the next one's nixpkgs, and a wide root.
    let mut nodes = Vec::new();
    let mut root_inputs = Vec::new();
    for i in 0..10_000 {
        let inputs = if i + 1 < 10_000 {
            format!(r#"{{ "next": "n{}", "nixpkgs": ["n{}", "nixpkgs"] }}"#, i + 1, i + 1)
        } else {
            "{}".to_string()
        };
        nodes.push(format!(
            r#""n{i}": {{ "inputs": {inputs}, "locked": {{ "type": "github", "owner": "o", "repo": "r{i}", "rev": "{i:040}", "narHash": "sha256-x" }}, "original": {{ "type": "github", "owner": "o", "repo": "r{i}" }} }}"#
        ));
        if i % 10 == 0 {
            root_inputs.push(format!(r#""n{i}": "n{i}""#));
        }
    }
    nodes.push(format!(r#""root": {{ "inputs": {{ {} }} }}"#, root_inputs.join(", ")));
    let lock = format!(
        r#"{{ "nodes": {{ {} }}, "root": "root", "version": 7 }}"#,
        nodes.join(",\n")
    );
    std::fs::write(dir.path().join("flake.lock"), lock).expect("lock");
    let inputs: String = (0..1_000)
        .map(|i| format!("  inputs.n{}.url = \"github:o/r{}\";\n", i * 10, i * 10))
        .collect();
    std::fs::write(
        dir.path().join("flake.nix"),
        format!("{{\n{inputs}  outputs = _: {{ }};\n}}\n"),
    )
    .expect("flake");
    let (code, rules, took) = lint_json(dir.path(), Duration::from_secs(120));
    eprintln!("flake.lock of 10,001 nodes with 1,000 inputs linted in {took:?}");
    assert!(code == 0 || code == 1, "{rules:?}");
    assert!(!rules.iter().any(|r| r == "analysis-limit"), "{rules:?}");
}

#[test]
fn five_thousand_files_are_linted_in_one_run() {
    let dir = project();
    for d in 0..50 {
        let sub = dir.path().join(format!("modules/nixos/d{d}"));
        std::fs::create_dir_all(&sub).expect("mkdir");
        for f in 0..100 {
            std::fs::write(
                sub.join(format!("m{f}.nix")),
                format!("{{ lib, ... }}: {{ options.x{d}.y{f} = lib.mkOption {{ }}; }}\n"),
            )
            .expect("write");
        }
    }
    let (code, rules, took) = lint_json(dir.path(), Duration::from_secs(300));
    eprintln!("5,001 files linted in {took:?}");
    assert_eq!(code, 0, "{rules:?}");
}
