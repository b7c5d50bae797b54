//! The synthetic corpus is deterministic, parses cleanly and has the sizes the benchmark
//! cases are named after; the parse floor goes through all of it.

use std::collections::BTreeMap;
use std::path::Path;

use nixpilot_bench::{floor, generate};

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn quick_corpus_is_deterministic_and_valid_nix() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let scale = generate::Scale::QUICK;
    let ga = generate::generate(&a.path().join("c"), &scale).unwrap();
    generate::generate(&b.path().join("c"), &scale).unwrap();
    let (sa, sb) = (snapshot(&a.path().join("c")), snapshot(&b.path().join("c")));
    assert_eq!(sa.keys().collect::<Vec<_>>(), sb.keys().collect::<Vec<_>>());
    assert!(sa == sb, "two generations differ");
    assert_eq!(sa.len(), ga.files);

    let big = std::fs::read_to_string(&ga.big_file).unwrap();
    assert_eq!(big.lines().count(), scale.big_lines);
    let host = std::fs::read_to_string(&ga.host_file).unwrap();
    assert_eq!(host.lines().count(), scale.host_lines);
    assert!(ga.repo_dir.join("flake.lock").is_file() && ga.repo_dir.join(".sops.yaml").is_file());

    let nix = floor::discover(&a.path().join("c")).unwrap();
    assert_eq!(nix.len(), sa.keys().filter(|k| k.ends_with(".nix")).count());
    let count = floor::parse_and_walk(&nix);
    assert_eq!(count.files_with_errors, 0, "the generator wrote invalid Nix");
    assert!(count.elements > 0);
}
