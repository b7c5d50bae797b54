//! Hostile input to the parsers and renderers, end to end on the real binary: YAML alias
//! bombs, nesting, a huge one-line lock file, costly `path_regex`es. Each run is watched:
//! its peak memory (VmHWM, polled) and time are bounded, and it is killed past a ceiling.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use common::lsp_client::Client;

/// A run past these is killed (and the test fails): before the bounds, the alias bomb took
/// 5.3 GB and the lock file 10 GB of output.
const MEMORY_CEILING_KIB: u64 = 1 << 20;
const OUTPUT_CEILING: u64 = 256 << 20;
const TIME_CEILING: Duration = Duration::from_secs(240);

/// Bytes of output kept for assertions.
const KEPT_OUTPUT: usize = 1 << 20;

struct Watched {
    code: Option<i32>,
    stdout: String,
    stdout_len: u64,
    stderr: String,
    peak_kib: u64,
    elapsed: Duration,
    /// Why the run was stopped, if it was.
    killed: Option<&'static str>,
}

impl Watched {
    #[track_caller]
    fn within(&self, peak_mib: u64, seconds: u64) -> &Watched {
        assert_eq!(self.killed, None, "stderr: {}", self.stderr);
        assert!(
            self.peak_kib < peak_mib << 10,
            "peak {} MiB, allowed {peak_mib} MiB",
            self.peak_kib >> 10
        );
        assert!(self.elapsed < Duration::from_secs(seconds), "took {:?}", self.elapsed);
        self
    }
}

/// The resident-set high-water mark of a running process, in KiB.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn kept(mut from: impl Read + Send + 'static, len: Arc<AtomicU64>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut keep = Vec::new();
        let mut buf = vec![0; 64 << 10];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            len.fetch_add(n as u64, Ordering::Relaxed);
            let room = KEPT_OUTPUT.saturating_sub(keep.len());
            keep.extend_from_slice(&buf[..n.min(room)]);
        }
        keep
    })
}

/// Runs `nixpilot ARGS` in `dir` with an empty HOME and no keys, watching memory, time and
/// output.
fn watched(dir: &Path, args: &[&str], stdin: &[u8]) -> Watched {
    let home = tempfile::tempdir().expect("home");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nixpilot"))
        .args(args)
        .current_dir(dir)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .env_remove("SOPS_AGE_KEY")
        .env_remove("SOPS_AGE_KEY_FILE")
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn nixpilot");
    let started = Instant::now();
    let mut input = child.stdin.take().expect("stdin");
    let _ = input.write_all(stdin);
    drop(input);
    let stdout_len = Arc::new(AtomicU64::new(0));
    let stdout = kept(child.stdout.take().expect("stdout"), stdout_len.clone());
    let stderr = kept(child.stderr.take().expect("stderr"), Arc::new(AtomicU64::new(0)));
    let mut peak = 0;
    let mut killed = None;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        peak = peak.max(peak_kib(child.id()).unwrap_or(0));
        killed = if peak > MEMORY_CEILING_KIB {
            Some("memory")
        } else if stdout_len.load(Ordering::Relaxed) > OUTPUT_CEILING {
            Some("output")
        } else if started.elapsed() > TIME_CEILING {
            Some("time")
        } else {
            None
        };
        if killed.is_some() {
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    Watched {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout.join().expect("stdout")).into_owned(),
        stdout_len: stdout_len.load(Ordering::Relaxed),
        stderr: String::from_utf8_lossy(&stderr.join().expect("stderr")).into_owned(),
        peak_kib: peak,
        elapsed,
        killed,
    }
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn alias_bomb() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile/alias-bomb.yaml");
    std::fs::read_to_string(path).expect("fixture")
}

const RECIPIENT: &str = "age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw";

/// A flake with one host; `.sops.yaml` gets a rule for `secrets.yaml` files and `extra`.
fn repo(sops_yaml_extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "flake.nix", "{\n  inputs = { };\n  outputs = _: { };\n}\n");
    write(
        dir.path(),
        "hosts/web/configuration.nix",
        "{ ... }:\n{\n  networking.hostName = \"web\";\n  system.stateVersion = \"24.11\";\n}\n",
    );
    write(
        dir.path(),
        ".sops.yaml",
        &format!("creation_rules:\n  - path_regex: secrets\\.yaml$\n    age: {RECIPIENT}\n{sops_yaml_extra}"),
    );
    dir
}

#[test]
fn an_alias_bomb_in_sops_yaml_is_reported_by_lint_naming_the_file() {
    let dir = repo(&alias_bomb());
    let run = watched(dir.path(), &["lint", "."], b"");
    run.within(256, 60);
    // A warning: the exit code is 0.
    assert_eq!(run.code, Some(0), "stdout: {}\nstderr: {}", run.stdout, run.stderr);
    assert!(run.stdout.contains("excessive aliasing"), "{}", run.stdout);
    assert!(run.stdout.contains("┌─ .sops.yaml:"), "{}", run.stdout);
}

#[test]
fn an_alias_bomb_in_a_secrets_file_is_reported_by_lint_get_and_set_naming_the_file() {
    let dir = repo("");
    write(
        dir.path(),
        "hosts/web/secrets.yaml",
        // sops's metadata structure (mac, version, a recipient list) makes it a sops file.
        &format!("{}sops:\n    mac: x\n    version: 3.9.0\n    age: []\n", alias_bomb()),
    );
    let run = watched(dir.path(), &["lint", "."], b"");
    run.within(256, 60);
    assert_eq!(run.code, Some(1), "stdout: {}\nstderr: {}", run.stdout, run.stderr);
    assert!(run.stdout.contains("excessive aliasing"), "{}", run.stdout);
    assert!(run.stdout.contains("┌─ hosts/web/secrets.yaml:"), "{}", run.stdout);

    let get = watched(dir.path(), &["secrets", "get", "hosts/web/secrets.yaml", "a0"], b"");
    let set = watched(
        dir.path(),
        &["secrets", "set", "hosts/web/secrets.yaml", "a0", "--value-stdin"],
        b"new value",
    );
    for run in [get, set] {
        run.within(256, 60);
        assert_eq!(run.code, Some(2), "stderr: {}", run.stderr);
        assert!(
            run.stderr.contains("hosts/web/secrets.yaml: YAML line ") && run.stderr.contains(": excessive aliasing: "),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn an_alias_bomb_in_sops_yaml_stops_secrets_set_naming_the_file() {
    let dir = repo(&alias_bomb());
    let run = watched(
        dir.path(),
        &["secrets", "set", "hosts/web/secrets.yaml", "token", "--value-stdin"],
        b"new value",
    );
    run.within(256, 60);
    assert_eq!(run.code, Some(2), "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains(".sops.yaml: YAML line ") && run.stderr.contains("excessive aliasing"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("hosts/web/secrets.yaml").exists());
}

#[test]
fn the_language_server_reports_an_alias_bomb_and_stays_small() {
    // One project whose `.sops.yaml` is the bomb, one whose secrets file is (its creation rule
    // names it); both open in one server.
    let bombed_config = repo(&alias_bomb());
    let bombed_file = repo("");
    write(
        bombed_file.path(),
        "hosts/web/secrets.yaml",
        &format!("{}sops:\n    mac: x\n    version: 3.9.0\n    age: []\n", alias_bomb()),
    );
    let config_root = bombed_config.path().canonicalize().expect("canonical");
    let file_root = bombed_file.path().canonicalize().expect("canonical");
    let uri = |root: &std::path::Path, rel: &str| format!("file://{}", root.join(rel).display());
    let mut c = Client::start();
    c.initialize();
    let started = Instant::now();
    for (root, rel, language) in [
        (&config_root, "hosts/web/configuration.nix", "nix"),
        (&config_root, ".sops.yaml", "yaml"),
        (&file_root, "hosts/web/configuration.nix", "nix"),
    ] {
        let text = std::fs::read_to_string(root.join(rel)).expect("read");
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(root, rel), "languageId": language, "version": 1, "text": text}}),
        );
    }
    for target in [
        uri(&config_root, ".sops.yaml"),
        uri(&file_root, "hosts/web/secrets.yaml"),
    ] {
        c.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == target.as_str()
                && m["params"]["diagnostics"].as_array().is_some_and(|d| {
                    d.iter()
                        .any(|d| d["message"].as_str().is_some_and(|t| t.contains("excessive aliasing")))
                })
        });
    }
    assert!(started.elapsed() < Duration::from_secs(60), "{:?}", started.elapsed());
    // The server still answers, and its peak stayed small.
    let symbols = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri(&config_root, "hosts/web/configuration.nix")}}),
    );
    assert!(symbols.get("result").is_some(), "{symbols}");
    let peak = peak_kib(c.child.id()).expect("the server runs");
    assert!(peak < 256 << 10, "peak {} MiB", peak >> 10);
}

#[test]
fn deep_nesting_in_yaml_and_json_secrets_files_is_an_error_not_a_crash() {
    let dir = repo("");
    let depth = 100_000;
    write(
        dir.path(),
        "deep.yaml",
        &format!("a: {}1{}\n", "[".repeat(depth), "]".repeat(depth)),
    );
    write(
        dir.path(),
        "deep.json",
        &format!("{{\"a\": {}1{}}}\n", "[".repeat(depth), "]".repeat(depth)),
    );
    let block: String = (0..1000).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
    write(dir.path(), "block.yaml", &block);
    for (file, says) in [
        (
            "deep.yaml",
            "deep.yaml: YAML line 1: values nested deeper than 128 levels",
        ),
        (
            "deep.json",
            "deep.json: invalid JSON: values nested deeper than 128 levels",
        ),
        (
            "block.yaml",
            "block.yaml: YAML line 129: values nested deeper than 128 levels",
        ),
    ] {
        let run = watched(dir.path(), &["secrets", "get", file, "a"], b"");
        run.within(256, 60);
        assert_eq!(run.code, Some(2), "{file}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{file}: {}", run.stderr);
    }
}

/// A flake.lock of about 28 MB on one line: a padding node first, then `inputs` root inputs
/// that flake.nix does not declare, each a finding pointing into that line.
fn one_line_lock(inputs: usize) -> String {
    let mut nodes = serde_json::Map::new();
    nodes.insert(
        "padding".into(),
        json!({"locked": {"type": "path", "path": "x".repeat(28 << 20)}, "original": {"type": "path", "path": "x"}}),
    );
    let mut root = serde_json::Map::new();
    for i in 0..inputs {
        root.insert(format!("input{i}"), json!(format!("node{i}")));
        nodes.insert(
            format!("node{i}"),
            json!({
                "locked": {"type": "github", "owner": "o", "repo": format!("r{i}"), "rev": "0".repeat(40),
                           "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "lastModified": 1},
                "original": {"type": "github", "owner": "o", "repo": format!("r{i}")}
            }),
        );
    }
    nodes.insert("root".into(), json!({"inputs": root}));
    json!({"nodes": nodes, "root": "root", "version": 7}).to_string()
}

#[test]
fn a_28_mb_one_line_lock_file_gives_a_bounded_report_in_every_format() {
    let findings = 200;
    let dir = repo("");
    write(dir.path(), "flake.lock", &one_line_lock(findings));
    for format in ["human", "json", "sarif", "github"] {
        let run = watched(dir.path(), &["lint", ".", "--format", format], b"");
        run.within(768, 120);
        eprintln!(
            "{format}: {} bytes in {:?}, peak {} MiB",
            run.stdout_len,
            run.elapsed,
            run.peak_kib >> 10
        );
        assert_eq!(run.code, Some(1), "{format}: {}", run.stderr);
        let reported = run.stdout.matches("still has input").count();
        assert!(reported >= findings, "{format}: {reported} findings\n{}", run.stdout);
        // A few hundred bytes each; far from the 28 MB line.
        assert!(
            run.stdout_len < (findings as u64) * (4 << 10),
            "{format}: {} bytes",
            run.stdout_len
        );
    }
    // The human snippet is a window of the line around the input's key, with its column.
    let run = watched(dir.path(), &["lint", ".", "--format", "human"], b"");
    let snippet = run
        .stdout
        .split("\n\n")
        .find(|d| d.contains("`input7`"))
        .expect("input7");
    assert!(snippet.contains("...") && snippet.contains("\"input7\""), "{snippet}");
    assert!(snippet.lines().all(|l| l.chars().count() < 200), "{snippet}");
    let column: usize = snippet
        .split("flake.lock:1:")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|c| c.parse().ok())
        .expect("a column");
    assert!(column > 28 << 20, "{snippet}");
}

/// Twenty creation rules whose `path_regex` is slow to compile and matches nothing, and a
/// thousand YAML files each checked against all of them.
#[test]
fn costly_path_regexes_are_compiled_once_per_lint() {
    let rules: String = (0..20)
        .map(|i| {
            format!(
                "  - path_regex: ^hosts/h{i}/\\w{{1,20}}/[\\p{{L}}\\p{{N}}_-]{{1,30}}\\.ya?ml$\n    age: {RECIPIENT}\n"
            )
        })
        .collect();
    let dir = repo(&rules);
    for i in 0..1000 {
        write(dir.path(), &format!("data/f{i}.yaml"), "a: 1\n");
    }
    let run = watched(dir.path(), &["lint", "."], b"");
    // Compiling per file and rule took minutes in a debug build.
    run.within(512, 60);
    assert!(run.code.is_some_and(|c| c < 2), "{}", run.stderr);
    eprintln!("1,000 files × 20 costly path_regexes: {:?}", run.elapsed);
}

#[test]
fn a_path_regex_too_big_to_compile_is_reported_at_its_line() {
    let dir = repo(&format!("  - path_regex: (a{{1000}}){{1000}}\n    age: {RECIPIENT}\n"));
    write(
        dir.path(),
        "other/secrets.json",
        "{\"a\": 1, \"sops\": {\"mac\": \"x\", \"version\": \"3.9.0\", \"age\": []}}\n",
    );
    let run = watched(dir.path(), &["lint", "."], b"");
    run.within(256, 60);
    assert!(
        run.stdout
            .contains("creation rule 2 has a `path_regex` that cannot be used: it compiles to more than"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("┌─ .sops.yaml:4:"), "{}", run.stdout);
    let set = watched(dir.path(), &["secrets", "set", "new.yaml", "a", "--value-stdin"], b"v");
    assert_eq!(set.code, Some(2));
    assert!(
        set.stderr
            .contains(".sops.yaml:4: creation rule 1: invalid path_regex: it compiles to more than"),
        "{}",
        set.stderr
    );
}

/// `k{i}` follows `k{i-1}` and then ten inputs of node `n` that each follow `k{i-1}` again:
/// every chain ends, after 10³⁰ steps; and `c0` … `c99` follow one another in a cycle.
fn branching_follows_lock() -> String {
    let mut root = serde_json::Map::new();
    root.insert("k0".into(), json!("n"));
    for i in 1..30 {
        let mut path = vec![format!("k{}", i - 1)];
        path.extend(std::iter::repeat_n(format!("t{}", i - 1), 10));
        root.insert(format!("k{i}"), json!(path));
    }
    for i in 0..100 {
        root.insert(format!("c{i}"), json!([format!("c{}", (i + 1) % 100)]));
    }
    let n_inputs: serde_json::Map<String, serde_json::Value> =
        (0..30).map(|i| (format!("t{i}"), json!([format!("k{i}")]))).collect();
    let locked = json!({"type": "github", "owner": "o", "repo": "r", "rev": "0".repeat(40), "lastModified": 1,
                        "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="});
    json!({
        "nodes": {
            "root": {"inputs": root},
            "n": {"inputs": n_inputs, "locked": locked, "original": {"type": "github", "owner": "o", "repo": "r"}}
        },
        "root": "root",
        "version": 7
    })
    .to_string()
}

#[test]
fn a_lock_file_whose_follows_branch_or_cycle_is_linted_in_bounded_time() {
    let dir = repo("");
    let mut inputs: String = ["k29", "k28", "c0", "c50"]
        .iter()
        .map(|i| format!("    {i}.url = \"github:o/r\";\n"))
        .collect();
    // Follows targets through both: each is resolved in the lock.
    inputs.push_str("    a.url = \"github:o/r\";\n    a.inputs.nixpkgs.follows = \"k29/t0\";\n");
    inputs.push_str("    b.url = \"github:o/r\";\n    b.inputs.nixpkgs.follows = \"c0/x\";\n");
    write(
        dir.path(),
        "flake.nix",
        &format!("{{\n  inputs = {{\n{inputs}  }};\n  outputs = _: {{ }};\n}}\n"),
    );
    write(dir.path(), "flake.lock", &branching_follows_lock());
    let run = watched(dir.path(), &["lint", "."], b"");
    run.within(256, 60);
    assert!(run.code.is_some_and(|c| c < 2), "{}\n{}", run.stdout, run.stderr);
}
