//! Criterion micro-benchmarks of the lint hot paths on the synthetic corpus of nixpilot-bench:
//! parsing, the file rules' single walk, the project model, and a whole project run.

use std::path::Path;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use nixpilot_bench::generate::{self, Scale};
use nixpilot_lint::engine::{self, Scope};
use nixpilot_lint::project::{MemorySource, ParsedFile, Project};
use nixpilot_lint::{Config, SourceFile};

/// The generated repository's files as a memory source, and the texts of its Nix files.
struct Corpus {
    repo: MemorySource,
    nix: Vec<SourceFile>,
    large: SourceFile,
    host: SourceFile,
}

fn corpus() -> Corpus {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let scale = Scale {
        modules: 0,
        ..Scale::FULL
    };
    let g = generate::generate(&dir.path().join("c"), &scale).expect("generating the corpus");
    let mut repo = MemorySource::new();
    let mut nix = Vec::new();
    add_dir(&g.repo_dir, &g.repo_dir, &mut repo, &mut nix);
    let read = |p: &Path| std::fs::read_to_string(p).expect("reading a generated file");
    Corpus {
        repo,
        nix,
        large: SourceFile::new("big.nix", read(&g.big_file)),
        host: SourceFile::new("hosts/h000/configuration.nix", read(&g.host_file)),
    }
}

fn add_dir(root: &Path, dir: &Path, repo: &mut MemorySource, nix: &mut Vec<SourceFile>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("listing")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            add_dir(root, &path, repo, nix);
            continue;
        }
        let rel = path.strip_prefix(root).expect("inside the root").display().to_string();
        let text = std::fs::read_to_string(&path).expect("reading a generated file");
        repo.insert(&rel, &text);
        if rel.ends_with(".nix") {
            nix.push(SourceFile::new(rel.as_str(), text));
        }
    }
}

fn benches(c: &mut Criterion) {
    let corpus = corpus();
    let rules = engine::default_rules();

    let mut parse = c.benchmark_group("parse");
    parse.bench_function("large file (40,000 lines)", |b| {
        b.iter(|| ParsedFile::parse(corpus.large.clone()))
    });
    parse.bench_function("host file (300 lines)", |b| {
        b.iter(|| ParsedFile::parse(corpus.host.clone()))
    });
    parse.finish();

    let large = ParsedFile::parse(corpus.large.clone());
    let host = ParsedFile::parse(corpus.host.clone());
    let mut file_rules = c.benchmark_group("file rules (one walk)");
    file_rules.bench_function("large file (40,000 lines)", |b| {
        b.iter(|| engine::analyze_file(&large, rules))
    });
    file_rules.bench_function("host file (300 lines)", |b| {
        b.iter(|| engine::analyze_file(&host, rules))
    });
    file_rules.finish();

    let parsed: Vec<Arc<ParsedFile>> = corpus
        .nix
        .iter()
        .map(|f| Arc::new(ParsedFile::parse(f.clone())))
        .collect();
    let mut model = c.benchmark_group("project (200-host repo)");
    model.sample_size(20);
    model.bench_function("model build, files parsed", |b| {
        b.iter(|| Project::build(&corpus.repo, &parsed))
    });
    model.bench_function("lint: parse, file rules, model, project rules", |b| {
        b.iter(|| {
            engine::lint(
                &corpus.nix,
                Some(&corpus.repo),
                &Scope::whole(),
                &Config::default(),
                &|| {},
            )
        })
    });
    model.finish();
}

criterion_group!(hot_paths, benches);
criterion_main!(hot_paths);
