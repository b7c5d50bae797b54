//! The benchmark harnesses still work (not how fast anything is): on the tiny synthetic
//! corpus, the language-server harness gets diagnostics for every edit, the secrets timing
//! round-trips a file, and a measured `nixpilot lint` run ends normally.

use std::path::Path;

use nixpilot_bench::{generate, lsp, measure, secrets};

#[test]
fn harnesses_run_on_the_quick_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let g = generate::generate(&dir.path().join("corpus"), &generate::Scale::QUICK).unwrap();
    let nixpilot = Path::new(env!("CARGO_BIN_EXE_nixpilot"));

    for file in [&g.small_repo_host_file, &g.big_file] {
        let text = std::fs::read_to_string(file).unwrap();
        let m = lsp::measure_case(nixpilot, &["lsp".to_string()], file, &text, 3).unwrap();
        assert_eq!(m.latencies_ms.len(), 3, "{}", file.display());
    }

    let run = measure::run(nixpilot, &["lint".to_string(), ".".to_string()], &g.repo_dir, &[]).unwrap();
    assert_eq!(run.code, Some(0), "the generated repository lints clean");
    assert!(run.max_rss > 0);

    let out = dir.path().join("secrets.md");
    secrets::run(secrets::Args {
        nixpilot: nixpilot.to_path_buf(),
        values: 20,
        runs: 1,
        dir: dir.path().join("secrets"),
        out: Some(out.clone()),
    })
    .unwrap();
    assert!(std::fs::read_to_string(out).unwrap().contains("secrets rotate"));
}
