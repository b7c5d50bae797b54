//! End-to-end tests of `nixpilot lint`, `rules` and `explain`: the real binary on fixture repos.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{copy_to_temp, example, fixture, nixpilot, snapshot_tree};

#[test]
fn example_repo_lints_clean() {
    let out = nixpilot(&example("demo"), &["lint", "--color", "never"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "0 errors, 0 warnings in 5 files\n");
    let out = nixpilot(&example("demo"), &["lint", "--deny", "info", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn broken_copy_in_every_format() {
    let dir = copy_to_temp(&fixture("broken"));
    for format in ["human", "json", "sarif", "github"] {
        let out = nixpilot(dir.path(), &["lint", "--format", format, "--color", "never"]);
        assert_eq!(out.code, 1, "format {format}: {}", out.stderr);
        assert_eq!(out.stderr, "", "format {format}");
        let root_uri = format!("file://{}/", dir.path().canonicalize().unwrap().display());
        let stdout = out.stdout.replace(&root_uri, "file:///ROOT/");
        insta::assert_snapshot!(format!("broken_{format}"), stdout);
    }
}

#[test]
fn paths_shown_relative_to_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&fixture("broken"), &dir.path().join("infra"));
    let out = nixpilot(dir.path(), &["lint", "infra", "--format", "github"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("::error file=infra/modules/nixos/server.nix,line=14,col=61,"),
        "{}",
        out.stdout
    );
    // JSON stays relative to the project root.
    let out = nixpilot(dir.path(), &["lint", "infra", "--format", "json"]);
    assert!(
        out.stdout.contains("\"file\":\"modules/nixos/server.nix\""),
        "{}",
        out.stdout
    );
}

#[test]
fn json_has_exactly_the_documented_shape() {
    let dir = copy_to_temp(&fixture("broken"));
    let out = nixpilot(dir.path(), &["lint", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&v), ["diagnostics", "summary", "version"]);
    assert_eq!(v["version"], 1);
    assert_eq!(keys(&v["summary"]), ["errors", "files", "infos", "warnings"]);
    assert_eq!(v["summary"]["files"], 5);
    let diags = v["diagnostics"].as_array().unwrap();
    assert!(!diags.is_empty());
    for d in diags {
        assert_eq!(
            keys(d),
            ["file", "fixes", "labels", "message", "offset", "range", "rule", "severity"]
        );
        assert_eq!(keys(&d["range"]), ["end", "start"]);
        assert_eq!(keys(&d["range"]["start"]), ["column", "line"]);
        assert_eq!(keys(&d["offset"]), ["end", "start"]);
        assert!(d["range"]["start"]["line"].as_u64().unwrap() >= 1);
        assert!(d["range"]["start"]["column"].as_u64().unwrap() >= 1);
        for l in d["labels"].as_array().unwrap() {
            assert_eq!(keys(l), ["file", "message", "range"]);
        }
        for f in d["fixes"].as_array().unwrap() {
            assert_eq!(keys(f), ["applicability", "edits", "title"]);
            assert!(["safe", "unsafe", "display-only"].contains(&f["applicability"].as_str().unwrap()));
            for e in f["edits"].as_array().unwrap() {
                assert_eq!(keys(e), ["file", "new_text", "range"]);
            }
        }
        // Offsets are bytes into the file and agree with the line/column range.
        let file = std::fs::read_to_string(dir.path().join(d["file"].as_str().unwrap())).unwrap();
        let start = d["offset"]["start"].as_u64().unwrap() as usize;
        let line = file[..start].matches('\n').count() + 1;
        assert_eq!(d["range"]["start"]["line"].as_u64().unwrap() as usize, line);
    }
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let schema_text = include_str!("schemas/sarif-schema-2.1.0.json");
    let schema: serde_json::Value = serde_json::from_str(schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for dir in [copy_to_temp(&fixture("broken")), copy_to_temp(&example("demo"))] {
        let out = nixpilot(dir.path(), &["lint", "--format", "sarif"]);
        let sarif: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "SARIF invalid:\n{}", errors.join("\n"));
        let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        for r in rules {
            assert!(r["shortDescription"]["text"].as_str().is_some_and(|t| !t.is_empty()));
            assert!(r["helpUri"].as_str().unwrap().starts_with("https://"));
        }
        // ruleIndex points at the descriptor of the same rule.
        for result in sarif["runs"][0]["results"].as_array().unwrap() {
            let i = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], result["ruleId"]);
        }
    }
    // The validator is not vacuous: a result without a message is rejected.
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "a"}]}]});
    assert!(!validator.is_valid(&bad));
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let dir = copy_to_temp(&fixture("broken"));
    let out = nixpilot(dir.path(), &["lint", "--color", "always"]);
    assert!(out.stdout.contains("\u{1b}["), "no ANSI colour with --color always");
    // stdout is a pipe here, so `auto` means no colour.
    let out = nixpilot(dir.path(), &["lint"]);
    assert!(!out.stdout.contains("\u{1b}["));
}

#[test]
fn deny_level_sets_the_exit_code() {
    let dir = copy_to_temp(&fixture("warnings-only"));
    assert_eq!(nixpilot(dir.path(), &["lint"]).code, 0);
    assert_eq!(nixpilot(dir.path(), &["lint", "--deny", "error"]).code, 0);
    assert_eq!(nixpilot(dir.path(), &["lint", "--deny", "warning"]).code, 1);
    assert_eq!(nixpilot(dir.path(), &["lint", "--deny", "info"]).code, 1);
    let out = nixpilot(dir.path(), &["lint", "--deny", "fatal"]);
    assert_eq!(out.code, 2);
}

#[test]
fn config_errors_name_file_line_and_key() {
    for name in ["config-unknown-key", "config-unknown-rule", "config-bad-level"] {
        let dir = copy_to_temp(&fixture(name));
        let out = nixpilot(dir.path(), &["lint"]);
        assert_eq!(out.code, 2, "{name}");
        assert_eq!(out.stdout, "", "{name}");
        let root = dir.path().canonicalize().unwrap();
        let stderr = out.stderr.replace(&root.display().to_string(), "ROOT");
        insta::assert_snapshot!(name, stderr);
    }
}

#[test]
fn config_sets_severities_and_excludes() {
    let dir = copy_to_temp(&fixture("config-severity"));
    let out = nixpilot(dir.path(), &["lint", "--format", "json"]);
    assert_eq!(out.code, 1, "manual-inherit raised to error: {}", out.stdout);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["summary"]["files"], 1, "generated/ is excluded");
    let rules: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["manual-inherit"], "unused-let-binding is off");
    assert_eq!(v["diagnostics"][0]["severity"], "error");
}

#[test]
fn gitignored_files_are_not_linted_but_named_files_are() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flake.nix"), "{ }\n").unwrap();
    std::fs::write(dir.path().join(".gitignore"), "result\nscratch.nix\n").unwrap();
    std::fs::write(dir.path().join("scratch.nix"), "{ broken =\n").unwrap();
    let out = nixpilot(dir.path(), &["lint"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.ends_with("in 1 file\n"), "{}", out.stdout);
    let out = nixpilot(dir.path(), &["lint", "scratch.nix"]);
    assert_eq!(out.code, 1, "a file named on the command line is linted");
}

#[test]
fn io_and_usage_errors_exit_2_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let out = nixpilot(dir.path(), &["lint", "does/not/exist"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "nixpilot: error: does/not/exist: no such file or directory\n"
    );
    let out = nixpilot(dir.path(), &["lint", "--format", "xml"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("invalid value 'xml'"), "{}", out.stderr);
    // Two paths from different projects cannot share one report.
    for p in ["a", "b"] {
        std::fs::create_dir(dir.path().join(p)).unwrap();
        std::fs::write(dir.path().join(p).join("flake.nix"), "{ }\n").unwrap();
    }
    let out = nixpilot(dir.path(), &["lint", "a", "b"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("belong to different projects"), "{}", out.stderr);
}

#[test]
fn binary_invalid_utf8_and_empty_files_are_diagnosed_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flake.nix"), "{ }\n").unwrap();
    let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    std::fs::write(dir.path().join("blob.nix"), &binary).unwrap();
    std::fs::write(dir.path().join("latin1.nix"), b"{ name = \"Jos\xe9\"; }\n").unwrap();
    std::fs::write(dir.path().join("empty.nix"), b"").unwrap();
    let out = nixpilot(dir.path(), &["lint", "--format", "json"]);
    assert_eq!(out.code, 1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let summary: Vec<String> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}:{} {}",
                d["file"].as_str().unwrap(),
                d["range"]["start"]["line"],
                d["range"]["start"]["column"],
                d["message"].as_str().unwrap()
            )
        })
        .collect();
    insta::assert_snapshot!(summary.join("\n"));
    // --fix never rewrites a file it could not read as UTF-8.
    let before = snapshot_tree(dir.path());
    let _ = nixpilot(dir.path(), &["lint", "--fix"]);
    assert_eq!(before, snapshot_tree(dir.path()));
}

#[test]
fn a_five_megabyte_file_is_linted() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("{ lib, ... }:\nlet\n  unused = 1;\nin\n{\n");
    let mut i = 0;
    while text.len() < 5 * 1024 * 1024 {
        text.push_str(&format!(
            "  services.app{i} = {{ enable = true; port = {}; name = \"app-{i}\"; }};\n",
            1000 + i % 50000
        ));
        i += 1;
    }
    text.push_str("}\n");
    std::fs::write(dir.path().join("big.nix"), &text).unwrap();
    // What is checked is that a file this size is analysed whole; how long a debug build
    // takes on a loaded machine is not (the release numbers are in docs/performance.md).
    let out = nixpilot(dir.path(), &["lint", "--format", "json", "--file-time-limit", "600"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["summary"]["files"], 1);
    let rules: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["unused-let-binding", "repeated-keys"]);
    // The style finding over 100,000 repeats stays one finding of bounded size.
    assert!(v["diagnostics"][1]["labels"].as_array().unwrap().len() <= 4);
}

#[test]
fn fix_writes_atomically_keeps_permissions_and_is_idempotent() {
    let dir = copy_to_temp(&fixture("broken"));
    let config = dir.path().join("hosts/web1/configuration.nix");
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = nixpilot(dir.path(), &["lint", "--fix", "--color", "never"]);
    // The syntax error has no fix, so the run still fails.
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(out.stderr, "nixpilot: applied 3 fixes in 2 files\n");
    insta::assert_snapshot!("fix_remaining", out.stdout);
    insta::assert_snapshot!("fix_configuration_nix", std::fs::read_to_string(&config).unwrap());
    insta::assert_snapshot!(
        "fix_server_nix",
        std::fs::read_to_string(dir.path().join("modules/nixos/server.nix")).unwrap()
    );
    assert_eq!(std::fs::metadata(&config).unwrap().permissions().mode() & 0o777, 0o640);
    // No temporary file is left behind.
    let leftovers: Vec<_> = snapshot_tree(dir.path())
        .into_iter()
        .filter(|(p, _)| p.to_string_lossy().contains(".nixpilot-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // A second --fix finds nothing to change.
    let before = snapshot_tree(dir.path());
    let again = nixpilot(dir.path(), &["lint", "--fix"]);
    assert_eq!(again.stderr, "");
    assert_eq!(before, snapshot_tree(dir.path()));
}

#[test]
fn diff_prints_and_writes_nothing() {
    let dir = copy_to_temp(&fixture("broken"));
    let before = snapshot_tree(dir.path());
    let out = nixpilot(dir.path(), &["lint", "--diff"]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!("diff", out.stdout);
    assert_eq!(before, snapshot_tree(dir.path()));
    let clean = copy_to_temp(&example("demo"));
    let out = nixpilot(clean.path(), &["lint", "--diff"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
}

#[test]
fn rules_and_explain() {
    let dir = tempfile::tempdir().unwrap();
    let out = nixpilot(dir.path(), &["rules"]);
    assert_eq!(out.code, 0);
    insta::assert_snapshot!("rules", out.stdout);
    let out = nixpilot(dir.path(), &["explain", "unused-let-binding"]);
    assert_eq!(out.code, 0);
    insta::assert_snapshot!("explain_unused_let_binding", out.stdout);
    let out = nixpilot(dir.path(), &["explain", "unused"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "nixpilot: error: unknown rule `unused`; did you mean unused-formal, unused-input, unused-lambda-argument, unused-let-binding, unused-pattern-bind, unused-suppression, unused-with?\n"
    );
}

#[test]
fn hosts_shows_the_model_of_the_example() {
    let out = nixpilot(&example("demo"), &["hosts"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("hosts_example", out.stdout);
}

/// A layout built by a helper (`disk.a = bootDisk "a";`) is shown as fully as a written-out
/// one: both disks, both ESPs and the pool's two halves.
#[test]
fn hosts_shows_a_helper_built_disko_layout() {
    let out = nixpilot(&fixture("helper-disks"), &["hosts"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("unknown"), "{}", out.stdout);
    insta::assert_snapshot!("hosts_helper_disks", out.stdout);
}

#[test]
fn hostile_secrets_inputs_give_diagnostics_naming_the_file() {
    let dir = copy_to_temp(&example("demo"));
    let root = dir.path();
    std::fs::write(root.join(".sops.yaml"), "creation_rules:\n  - path_regex: [unclosed\n").unwrap();
    std::fs::write(root.join("hosts/web1/ssh_host_ed25519_key.pub"), "x").unwrap();
    let out = nixpilot(root, &["lint", "--format", "json"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let found: Vec<(String, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        found.contains(&("no-sops-rule".into(), ".sops.yaml".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&(
            "sops-rule-missing-host-key".into(),
            "hosts/web1/ssh_host_ed25519_key.pub".into()
        )),
        "{found:?}"
    );
    // The human format shows the same diagnostics, nothing is dropped for lack of a snippet.
    let human = nixpilot(root, &["lint", "--color", "never"]);
    assert!(human.stdout.contains("ssh_host_ed25519_key.pub"), "{}", human.stdout);
}

#[test]
fn human_output_does_not_print_private_key_bodies_again() {
    // A key written inline (as in a YAML value) and an age identity share their line with
    // other text: the snippet shows the line with the key's data replaced by `*`.
    let body = [
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
        "QyNTUxOQAAACDzuRZUtPy1CUGDorllu51lql1E8WLtk4Is5UDK8orGIwAAAIiZU7sRmVO7",
        "EQAAAAtzc2gtZWQyNTUxOQAAACDzuRZUtPy1CUGDorllu51lql1E8WLtk4Is5UDK8orGIw",
        "AAAECQWteEK4Zpi3cTUEUSdHZp++zx3deKvVhJAvik5ZmMvPO5FlS0/LUJQYOiuWW7nWWq",
        "XUTxYu2TgizlQMryisYjAAAAAAECAwQF",
    ];
    let identity = "AGE-SECRET-KEY-1A7GD83RE0E2NKPJM0H20GALWRGLPHE7FU9D6Y4M6U7T9HH687L7Q0CTZTW";
    let dir = copy_to_temp(&example("demo"));
    let root = dir.path();
    let inline = format!(
        "deploy_key: \"-----BEGIN OPENSSH PRIVATE KEY-----\\n{}\\n-----END OPENSSH PRIVATE KEY-----\\n\"\nrunner_identity: {identity} # for the CI runner\n",
        body.join("\\n")
    );
    std::fs::write(root.join("ci-runner.yaml"), inline).unwrap();
    let human = nixpilot(root, &["lint", "--color", "never"]);
    assert!(human.stdout.contains("private-key-in-repo"), "{}", human.stdout);
    assert!(
        human
            .stdout
            .contains("deploy_key: \"-----BEGIN OPENSSH PRIVATE KEY-----\\n****"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("runner_identity: AGE-SECRET-KEY-1****"),
        "{}",
        human.stdout
    );
    for secret in body.iter().copied().chain([&identity["AGE-SECRET-KEY-1".len()..]]) {
        assert!(!human.stdout.contains(secret), "{secret} printed:\n{}", human.stdout);
    }
}

#[test]
fn progress_is_shown_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flake.nix"), "{ }\n").unwrap();
    for i in 0..400 {
        std::fs::write(dir.path().join(format!("m{i}.nix")), format!("{{ x{i} = {i}; }}\n")).unwrap();
    }
    // Through a pipe: no progress bar on stderr.
    let out = nixpilot(dir.path(), &["lint"]);
    assert_eq!(out.stderr, "");
    // Under a pseudo-terminal (util-linux `script`): the bar is drawn on stderr.
    let Ok(script) = which("script") else {
        assert!(std::env::var_os("CI").is_none(), "`script` (bsdutils) is needed in CI");
        return;
    };
    let command = format!("{} lint --color never", env!("CARGO_BIN_EXE_nixpilot"));
    let out = std::process::Command::new(script)
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("linting"), "no progress on a terminal: {text}");
    assert!(text.contains("in 401 files"), "{text}");
}

fn which(name: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(name))
                .find(|p| p.is_file())
        })
        .ok_or(())
}

#[test]
fn style_findings_are_listed_but_fail_no_deny_level_until_raised() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flake.nix"), "{ }\n").unwrap();
    std::fs::write(
        dir.path().join("module.nix"),
        "{ pkgs, ... }: { _module.args = { pkgs = pkgs; }; }\n",
    )
    .unwrap();
    let out = nixpilot(dir.path(), &["lint", "--deny", "warning", "--color", "never"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("manual-inherit"), "listed: {}", out.stdout);
    assert!(
        out.stdout
            .ends_with("0 errors, 0 warnings in 2 files (1 info); 1 fixable with `nixpilot lint --fix`\n"),
        "{}",
        out.stdout
    );
    std::fs::write(dir.path().join("nixpilot.toml"), "[groups]\nstyle = \"warning\"\n").unwrap();
    let out = nixpilot(dir.path(), &["lint", "--deny", "warning", "--format", "json"]);
    assert_eq!(out.code, 1, "raised by the group: {}", out.stdout);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["diagnostics"][0]["rule"], "manual-inherit");
    assert_eq!(v["diagnostics"][0]["severity"], "warning");
}

/// A repository with a plaintext secrets file and a sops file with a value added by hand.
fn repo_with_clear_secrets(dir: &std::path::Path) {
    let recipient = "age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw";
    std::fs::write(dir.join("flake.nix"), "{ }\n").unwrap();
    std::fs::write(
        dir.join(".sops.yaml"),
        format!("creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    age: {recipient}\n"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("secrets")).unwrap();
    std::fs::write(dir.join("secrets/plain.yaml"), "restic_password: hunter2-Zq9\n").unwrap();
    std::fs::write(
        dir.join("secrets/edited.yaml"),
        format!(
            "db_password: ENC[AES256_GCM,data:AAAA,iv:aXY=,tag:dGFn,type:str]\nadded_by_hand: s3cret-Wx7\n\
             sops:\n    age:\n        - recipient: {recipient}\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            YWdl\n            -----END AGE ENCRYPTED FILE-----\n\
             \x20   lastmodified: \"2025-06-01T10:00:00Z\"\n    mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]\n    unencrypted_suffix: _unencrypted\n    version: 3.10.2\n"
        ),
    )
    .unwrap();
}

#[test]
fn secret_values_in_the_clear_are_never_echoed_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    repo_with_clear_secrets(dir.path());
    for format in ["human", "json", "sarif", "github"] {
        let out = nixpilot(dir.path(), &["lint", "--format", format, "--color", "never"]);
        assert_eq!(out.code, 1, "format {format}: {}{}", out.stdout, out.stderr);
        let reports = out.stdout.matches("unencrypted-secrets-file").count();
        assert!(reports >= 2, "format {format} reports both files: {}", out.stdout);
        for value in ["hunter2-Zq9", "s3cret-Wx7"] {
            assert!(
                !out.stdout.contains(value) && !out.stderr.contains(value),
                "format {format} echoes `{value}`:\n{}{}",
                out.stdout,
                out.stderr
            );
        }
    }
    // The human snippet still shows where: the key, with its value masked.
    let out = nixpilot(dir.path(), &["lint", "--color", "never"]);
    assert!(out.stdout.contains("added_by_hand: **********"), "{}", out.stdout);
}

#[test]
fn lint_on_a_folder_without_nix_files_is_an_error_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    // A repository, and a CI step pointed at its docs instead of its root.
    std::fs::write(dir.path().join("flake.nix"), "{ outputs = _: { }; }\n").unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/README.md"), "# not Nix\n").unwrap();
    let out = nixpilot(dir.path(), &["lint", "docs"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    insta::assert_snapshot!("lint_no_nix_file", out.stderr);
    let out = nixpilot(dir.path(), &["lint", "docs", "--allow-empty"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The same from nixpilot.toml, for CI steps that lint whatever is there.
    std::fs::write(dir.path().join("nixpilot.toml"), "allow-empty = true\n").unwrap();
    let out = nixpilot(dir.path(), &["lint", "docs"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    std::fs::write(dir.path().join("nixpilot.toml"), "allow-empty = \"yes\"\n").unwrap();
    let out = nixpilot(dir.path(), &["lint", "docs"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("nixpilot.toml:1:"), "{}", out.stderr);
}

#[test]
fn rules_fits_a_100_column_terminal_without_cutting_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nixpilot"))
        .arg("rules")
        .current_dir(dir.path())
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for line in text.lines() {
        assert!(line.chars().count() <= 100, "{} columns: {line}", line.chars().count());
    }
    // Every summary is there whole: the wrapped table holds the unwrapped one's characters.
    let letters = |t: &str| t.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let unwrapped = nixpilot(dir.path(), &["rules"]).stdout;
    assert_eq!(letters(&text), letters(&unwrapped));
    insta::assert_snapshot!("rules_in_100_columns", text);
}

#[test]
fn hosts_add_points_at_host_add() {
    let dir = tempfile::tempdir().unwrap();
    let out = nixpilot(dir.path(), &["hosts", "add", "odoo1", "--disks", "nvme0n1"]);
    assert_eq!(out.code, 2);
    insta::assert_snapshot!("hosts_add", out.stderr);
    // A folder named `add` is still listed.
    std::fs::create_dir(dir.path().join("add")).unwrap();
    let out = nixpilot(dir.path(), &["hosts", "add"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}
