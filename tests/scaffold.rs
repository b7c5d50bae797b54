//! End-to-end tests of `nixpilot init`, `host add` and `bootstrap`: the real binary in temp
//! dirs, HOME and XDG_CONFIG_HOME pointed into them (environment cleared), an admin key made
//! with `ssh-keygen`. `nix-instantiate` and `ssh-keygen` are required when `CI` is set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn ok(self) -> Run {
        assert_eq!(self.code, 0, "stdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }

    #[track_caller]
    fn fails(self) -> Run {
        assert_eq!(self.code, 2, "stdout: {}\nstderr: {}", self.stdout, self.stderr);
        assert!(self.stderr.starts_with("nixpilot: error: "), "{}", self.stderr);
        assert!(!self.stderr.contains("PRIVATE KEY"), "{}", self.stderr);
        self
    }
}

/// A scratch world: `home/` (with `.ssh/id_ed25519`, the admin) and `repo/`.
struct World {
    _dir: tempfile::TempDir,
    home: PathBuf,
    repo: PathBuf,
}

/// Whether a tool is there; under CI a missing tool fails the test instead of skipping it.
fn have(tool: &str, package: &str) -> bool {
    let found = Command::new(tool).arg("--version").output().is_ok() || Command::new(tool).arg("-?").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "`{tool}` is missing (Debian package {package}, listed in .ci/packages) and CI is set"
        );
        eprintln!("skipping: `{tool}` not found (Debian package {package})");
    }
    found
}

impl World {
    fn new() -> Option<World> {
        if !have("ssh-keygen", "openssh-client") {
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(home.join(".ssh")).expect("mkdir");
        let st = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "alice@laptop", "-f"])
            .arg(home.join(".ssh/id_ed25519"))
            .status()
            .expect("ssh-keygen runs");
        assert!(st.success());
        Some(World { _dir: dir, home, repo })
    }

    fn run_in(&self, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nixpilot"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("USER", "alice")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .current_dir(cwd)
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("nixpilot runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        std::fs::create_dir_all(&self.repo).expect("mkdir");
        self.run_in(&self.repo, args, &[])
    }

    fn init(&self) {
        self.run_in(self.repo.parent().expect("parent"), &["init", "repo"], &[])
            .ok();
    }

    fn add_odoo1(&self) -> Run {
        self.run(&[
            "host",
            "add",
            "odoo1",
            "--hardware",
            "hetzner-online-amd",
            "--disk",
            "zfs-mirror",
            "--disks",
            "nvme0n1,nvme1n1",
            "--ipv4",
            "203.0.113.10",
            "--ipv6",
            "2a01:4f9:3071:295c::2",
        ])
    }

    /// Every file under the repo (but `.git`) with its bytes.
    fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![self.repo.clone()];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else { continue };
            for e in rd.flatten() {
                let p = e.path();
                if p.file_name().is_some_and(|n| n == ".git") {
                    continue;
                }
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p
                        .strip_prefix(&self.repo)
                        .expect("inside")
                        .to_string_lossy()
                        .into_owned();
                    out.insert(rel, std::fs::read(&p).expect("read"));
                }
            }
        }
        out
    }
}

/// `nix-instantiate --parse FILE` with its state in a temp dir (it may want to open one).
#[track_caller]
fn nix_parses(w: &World, file: &str) {
    let out = Command::new("nix-instantiate")
        .arg("--parse")
        .arg(w.repo.join(file))
        .env("NIX_STATE_DIR", w.home.join("nix-state"))
        .output()
        .expect("nix-instantiate runs");
    assert!(out.status.success(), "{file}: {}", String::from_utf8_lossy(&out.stderr));
}

fn nix_files(map: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    map.keys().filter(|k| k.ends_with(".nix")).cloned().collect()
}

#[test]
fn init_and_host_add_lint_clean_and_parse_with_nix() {
    let Some(w) = World::new() else { return };
    w.init();
    let out = w.add_odoo1().ok();
    assert!(
        out.stdout.contains("created hosts/odoo1/secrets.yaml"),
        "{}",
        out.stdout
    );

    let lint = w.run(&["lint", "--deny", "info", "."]);
    assert_eq!(lint.code, 0, "{}{}", lint.stdout, lint.stderr);
    assert!(lint.stdout.contains("0 errors, 0 warnings"), "{}", lint.stdout);
    let json = w.run(&["lint", "--format", "json", "."]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v["diagnostics"].as_array().map(Vec::len), Some(0), "{}", json.stdout);

    // git tracks every file (flakes see only tracked files).
    let tracked = Command::new("git")
        .arg("-C")
        .arg(&w.repo)
        .args(["ls-files"])
        .output()
        .expect("git");
    let tracked = String::from_utf8_lossy(&tracked.stdout).into_owned();
    let files = w.snapshot();
    for f in files.keys() {
        assert!(tracked.lines().any(|l| l == f), "{f} not added to git: {tracked}");
    }
    assert!(files.contains_key("hosts/odoo1/ssh_host_ed25519_key.pub"));
    assert!(
        !files.contains_key("hosts/odoo1/ssh_host_ed25519_key"),
        "plaintext host key on disk"
    );
    for (name, bytes) in &files {
        assert!(
            !String::from_utf8_lossy(bytes).contains("PRIVATE KEY"),
            "plaintext key in {name}"
        );
    }
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(w.repo.join("hosts/odoo1/secrets.yaml"))
            .expect("stat")
            .permissions(),
    );
    assert_eq!(mode & 0o077, 0, "secrets.yaml is readable by others");

    if have("nix-instantiate", "nix-bin") {
        let nix = nix_files(&files);
        assert_eq!(nix.len(), 5, "{nix:?}");
        for f in nix {
            nix_parses(&w, &f);
        }
    }
}

#[test]
fn host_key_decrypts_with_its_own_age_identity_and_matches_the_pub() {
    let Some(w) = World::new() else { return };
    w.init();
    w.add_odoo1().ok();
    // The admin opens it with ~/.ssh/id_ed25519 …
    let pem = w
        .run(&["secrets", "get", "hosts/odoo1/secrets.yaml", "ssh_host_ed25519_key"])
        .ok()
        .stdout;
    assert!(
        pem.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n")
            && pem.ends_with("-----END OPENSSH PRIVATE KEY-----\n")
    );
    let key_file = w.home.join("host_key");
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .create_new(true)
            .write(true)
            .mode(0o600)
            .open(&key_file)
            .expect("create");
        f.write_all(pem.as_bytes()).expect("write");
    }
    // … and the host with the age identity sops-nix derives from the key itself.
    let identity = w
        .run(&["keys", "age-from-ssh", "--private", key_file.to_str().expect("utf-8")])
        .ok()
        .stdout;
    let identity = identity.trim();
    assert!(identity.starts_with("AGE-SECRET-KEY-1"));
    let empty_home = w.home.join("empty");
    std::fs::create_dir_all(&empty_home).expect("mkdir");
    let as_host = w.run_in(
        &w.repo,
        &["secrets", "get", "hosts/odoo1/secrets.yaml", "ssh_host_ed25519_key"],
        &[
            ("SOPS_AGE_KEY", identity),
            ("HOME", empty_home.to_str().expect("utf-8")),
        ],
    );
    assert_eq!(as_host.ok().stdout, pem);

    let derived = Command::new("ssh-keygen")
        .arg("-y")
        .arg("-f")
        .arg(&key_file)
        .output()
        .expect("ssh-keygen");
    assert!(derived.status.success(), "{}", String::from_utf8_lossy(&derived.stderr));
    let derived = String::from_utf8_lossy(&derived.stdout).into_owned();
    let pub_line = std::fs::read_to_string(w.repo.join("hosts/odoo1/ssh_host_ed25519_key.pub")).expect("pub");
    let fields = |s: &str| s.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    assert_eq!(fields(&derived), fields(&pub_line));
    assert!(pub_line.ends_with(" root@odoo1\n"), "{pub_line}");
}

#[test]
fn every_layout_lints_clean() {
    let Some(w) = World::new() else { return };
    w.init();
    let cases: &[&[&str]] = &[
        &[
            "web1",
            "--hardware",
            "generic-uefi",
            "--disk",
            "ext4-single",
            "--disks",
            "vda",
        ],
        &[
            "web2",
            "--hardware",
            "generic-bios",
            "--disk",
            "ext4-single",
            "--disks",
            "sda",
        ],
        &[
            "db1",
            "--hardware",
            "generic-bios",
            "--disk",
            "zfs-single",
            "--disks",
            "/dev/disk/by-id/ata-X1",
        ],
        &[
            "db2",
            "--hardware",
            "hetzner-online-intel",
            "--disk",
            "zfs-single",
            "--disks",
            "nvme-SAMSUNG_1",
            "--ipv6",
            "2a01:4f8::2/64",
        ],
        &[
            "arm1",
            "--system",
            "aarch64-linux",
            "--disk",
            "zfs-mirror",
            "--disks",
            "nvme-A,nvme-B,nvme-C",
            "--state-version",
            "25.05",
        ],
    ];
    for args in cases {
        let mut full = vec!["host", "add"];
        full.extend_from_slice(args);
        w.run(&full).ok();
    }
    let lint = w.run(&["lint", "--deny", "info", "."]);
    assert_eq!(lint.code, 0, "{}{}", lint.stdout, lint.stderr);
    if have("nix-instantiate", "nix-bin") {
        for f in nix_files(&w.snapshot()) {
            nix_parses(&w, &f);
        }
    }
}

#[test]
fn errors_are_clear_and_write_nothing() {
    let Some(w) = World::new() else { return };
    // init --dry-run lists the files and creates nothing, not even the directory.
    let parent = w.repo.parent().expect("parent").to_path_buf();
    let dry = w.run_in(&parent, &["init", "repo", "--dry-run"], &[]).ok().stdout;
    assert!(
        dry.contains("create flake.nix") && dry.contains("create .sops.yaml") && dry.contains("run git init"),
        "{dry}"
    );
    assert!(!w.repo.exists(), "init --dry-run created the directory");
    w.init();
    let before = w.snapshot();
    let base = ["--disk", "ext4-single", "--disks", "vda"];
    let add = |name: &str, extra: &[&str]| {
        let mut args = vec!["host", "add", name];
        args.extend_from_slice(&base);
        args.extend_from_slice(extra);
        w.run(&args).fails().stderr
    };
    insta::assert_snapshot!("bad_hostname", add("Web_1", &[]));
    insta::assert_snapshot!("hostname_with_dot", add("web1.example.org", &[]));
    insta::assert_snapshot!("bad_ipv4", add("web1", &["--ipv4", "203.0.113.300"]));
    insta::assert_snapshot!("bad_ipv6", add("web1", &["--ipv6", "2a01:4f9:::2"]));
    insta::assert_snapshot!(
        "hetzner_without_ipv6",
        w.run(&[
            "host",
            "add",
            "web1",
            "--hardware",
            "hetzner-online-amd",
            "--disks",
            "sda"
        ])
        .fails()
        .stderr
    );
    insta::assert_snapshot!(
        "partition_as_disk",
        w.run(&["host", "add", "web1", "--disks", "nvme0n1p2"]).fails().stderr
    );
    insta::assert_snapshot!(
        "mirror_with_one_disk",
        w.run(&["host", "add", "web1", "--disk", "zfs-mirror", "--disks", "sda"])
            .fails()
            .stderr
    );
    assert_eq!(w.snapshot(), before, "a failed command wrote something");

    // --dry-run prints the plan and writes nothing.
    let dry = w
        .run(&["host", "add", "web1", "--disks", "vda", "--dry-run"])
        .ok()
        .stdout;
    assert!(dry.contains("create hosts/web1/secrets.yaml"), "{dry}");
    assert!(dry.contains("update .sops.yaml"), "{dry}");
    assert!(dry.ends_with("dry run: nothing written\n"), "{dry}");
    assert_eq!(w.snapshot(), before, "--dry-run wrote something");

    // Existing files are refused without --force, replaced with it.
    insta::assert_snapshot!("init_over_existing", w.run(&["init"]).fails().stderr);
    w.run(&["host", "add", "web1", "--disks", "vda"]).ok();
    let first = w.snapshot();
    insta::assert_snapshot!(
        "host_add_over_existing",
        w.run(&["host", "add", "web1", "--disks", "vda"]).fails().stderr
    );
    assert_eq!(w.snapshot(), first);
    w.run(&["host", "add", "web1", "--disks", "vda", "--force"]).ok();
    let second = w.snapshot();
    // --force keeps the host key: its private half is in secrets.yaml, which stays.
    assert_eq!(
        first["hosts/web1/ssh_host_ed25519_key.pub"],
        second["hosts/web1/ssh_host_ed25519_key.pub"]
    );
    // The rule for web1 is replaced, not added twice.
    let sops = String::from_utf8_lossy(&second[".sops.yaml"]).into_owned();
    assert_eq!(sops.matches("^hosts/web1/secrets").count(), 1, "{sops}");

    // Outside a repository, and without an admin key.
    let elsewhere = w.home.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    let out = w
        .run_in(&elsewhere, &["host", "add", "web1", "--disks", "vda"], &[])
        .fails()
        .stderr;
    assert!(
        out.contains("not in a flake repository") && out.contains("nixpilot init"),
        "{out}"
    );
    let out = w
        .run_in(&elsewhere, &["init", "--admin-key", "/nonexistent/key.pub"], &[])
        .fails()
        .stderr;
    insta::assert_snapshot!("init_without_admin_key", out);
}

#[test]
fn bootstrap_completes_a_hand_written_host_once() {
    let Some(w) = World::new() else { return };
    w.init();
    // Written by hand as in the write-up: a configuration and disks, no key, no rule, no secrets.
    let conf = r#"{ flake, inputs, ... }:
{
  imports = [
    flake.nixosModules.server
    inputs.srvos.nixosModules.hardware-hetzner-online-amd
  ];
  nixpkgs.hostPlatform = "x86_64-linux";
  networking.hostName = "odoo1";
  systemd.network.networks."10-uplink".networkConfig.Address = "2a01:4f9:3071:295c::2";
  sops.defaultSopsFile = ./secrets.yaml;
  system.stateVersion = "24.05";
}
"#;
    std::fs::create_dir_all(w.repo.join("hosts/odoo1")).expect("mkdir");
    std::fs::write(w.repo.join("hosts/odoo1/configuration.nix"), conf).expect("write");
    // A second host whose key was made with ssh-keygen into the repository (step 1 of the
    // write-up): bootstrap moves it into the secrets file and deletes the plaintext.
    std::fs::create_dir_all(w.repo.join("hosts/web1")).expect("mkdir");
    std::fs::write(
        w.repo.join("hosts/web1/configuration.nix"),
        conf.replace("odoo1", "web1"),
    )
    .expect("write");
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "root@web1", "-f"])
        .arg(w.repo.join("hosts/web1/ssh_host_ed25519_key"))
        .status()
        .expect("ssh-keygen");
    assert!(st.success());
    let web1_pub = std::fs::read_to_string(w.repo.join("hosts/web1/ssh_host_ed25519_key.pub")).expect("pub");

    let dry = w.run(&["bootstrap", "odoo1", "--dry-run"]).ok().stdout;
    assert!(dry.contains("create hosts/odoo1/secrets.yaml"), "{dry}");
    assert!(!w.repo.join("hosts/odoo1/secrets.yaml").exists());

    let first = w.run(&["bootstrap", "odoo1"]).ok().stdout;
    assert!(
        first.contains("created hosts/odoo1/ssh_host_ed25519_key.pub"),
        "{first}"
    );
    assert!(first.contains("created hosts/odoo1/secrets.yaml"), "{first}");
    assert!(
        first.contains("updated .sops.yaml: new rule for hosts/odoo1/secrets.yaml"),
        "{first}"
    );
    let web1 = w.run(&["bootstrap", "web1"]).ok().stdout;
    assert!(web1.contains("removed hosts/web1/ssh_host_ed25519_key"), "{web1}");
    assert!(!w.repo.join("hosts/web1/ssh_host_ed25519_key").exists());
    assert_eq!(
        std::fs::read_to_string(w.repo.join("hosts/web1/ssh_host_ed25519_key.pub")).expect("pub"),
        web1_pub,
        "the existing public key is kept"
    );

    let lint = w.run(&["lint", "--deny", "warning", "."]);
    assert_eq!(lint.code, 0, "{}{}", lint.stdout, lint.stderr);

    let settled = w.snapshot();
    for host in ["odoo1", "web1"] {
        let again = w.run(&["bootstrap", host]).ok().stdout;
        assert!(again.ends_with(&format!("{host}: nothing to do\n")), "{again}");
    }
    assert_eq!(w.snapshot(), settled, "a second bootstrap changed files");

    // A .pub without any private key cannot be completed: a clear error.
    std::fs::create_dir_all(w.repo.join("hosts/lost")).expect("mkdir");
    std::fs::write(
        w.repo.join("hosts/lost/configuration.nix"),
        conf.replace("odoo1", "lost"),
    )
    .expect("write");
    std::fs::write(w.repo.join("hosts/lost/ssh_host_ed25519_key.pub"), &web1_pub).expect("write");
    insta::assert_snapshot!(
        "bootstrap_lost_private_key",
        w.run(&["bootstrap", "lost"]).fails().stderr
    );
    insta::assert_snapshot!(
        "bootstrap_unknown_host",
        w.run(&["bootstrap", "nope"])
            .fails()
            .stderr
            .replace(&*w.repo.to_string_lossy(), "<repo>")
    );
}

#[test]
fn bootstrap_fixes_rule_and_recipients_of_an_existing_secrets_file() {
    let Some(w) = World::new() else { return };
    w.init();
    // The write-up's order: a rule for the admin only, a secret set, a key made with ssh-keygen.
    let conf = std::fs::read_to_string(w.repo.join("modules/nixos/server.nix")).expect("read");
    assert!(conf.contains("sops.secrets.ssh_host_ed25519_key"));
    std::fs::create_dir_all(w.repo.join("hosts/app1")).expect("mkdir");
    std::fs::write(
        w.repo.join("hosts/app1/configuration.nix"),
        "{ flake, ... }:\n{\n  imports = [ flake.nixosModules.server ];\n  nixpkgs.hostPlatform = \"x86_64-linux\";\n  networking.hostName = \"app1\";\n  sops.defaultSopsFile = ./secrets.yaml;\n  sops.secrets.\"restic/password\" = { };\n  system.stateVersion = \"25.05\";\n}\n",
    )
    .expect("write");
    let sops = std::fs::read_to_string(w.repo.join(".sops.yaml")).expect("read");
    let admin = sops
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("- age1")
                .map(|r| format!("age1{}", r.split_whitespace().next().unwrap_or("")))
        })
        .expect("admin recipient");
    let by_hand = sops.replacen(
        "creation_rules:\n",
        &format!("creation_rules:\n  - path_regex: ^hosts/app1/secrets.yaml$\n    key_groups:\n      - age:\n        - {admin}\n"),
        1,
    );
    std::fs::write(w.repo.join(".sops.yaml"), by_hand).expect("write");
    let mut set = Command::new(env!("CARGO_BIN_EXE_nixpilot"));
    set.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &w.home)
        .current_dir(&w.repo)
        .args([
            "secrets",
            "set",
            "hosts/app1/secrets.yaml",
            "restic/password",
            "--generate",
            "24",
        ]);
    assert!(set.status().expect("runs").success());
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(w.repo.join("hosts/app1/ssh_host_ed25519_key"))
        .status()
        .expect("ssh-keygen");
    assert!(st.success());
    let password = w
        .run(&["secrets", "get", "hosts/app1/secrets.yaml", "restic/password"])
        .ok()
        .stdout;

    // lint sees what is wrong before …
    let before = w.run(&["lint", "--format", "json", "."]).stdout;
    for rule in [
        "private-key-in-repo",
        "sops-rule-missing-host-key",
        "secrets-not-encrypted-for-host",
        "undeclared-secret",
    ] {
        assert!(before.contains(rule), "{rule} not reported: {before}");
    }
    let out = w.run(&["bootstrap", "app1"]).ok().stdout;
    assert!(
        out.contains("updated .sops.yaml: the rule for hosts/app1/secrets.yaml now lists the host key and the admins"),
        "{out}"
    );
    assert!(
        out.contains("updated hosts/app1/secrets.yaml: added ssh_host_ed25519_key, recipients +1 -0"),
        "{out}"
    );
    assert!(out.contains("removed hosts/app1/ssh_host_ed25519_key"), "{out}");
    // … and nothing after; the old secret is untouched.
    let lint = w.run(&["lint", "--deny", "warning", "."]);
    assert_eq!(lint.code, 0, "{}{}", lint.stdout, lint.stderr);
    assert_eq!(
        w.run(&["secrets", "get", "hosts/app1/secrets.yaml", "restic/password"])
            .ok()
            .stdout,
        password
    );
    let sops = std::fs::read_to_string(w.repo.join(".sops.yaml")).expect("read");
    assert_eq!(sops.matches("hosts/app1/secrets").count(), 1, "{sops}");
    let settled = w.snapshot();
    assert!(w
        .run(&["bootstrap", "app1"])
        .ok()
        .stdout
        .ends_with("app1: nothing to do\n"));
    assert_eq!(w.snapshot(), settled);
}

#[test]
fn bootstrap_adds_a_host_id_only_when_zfs_has_none() {
    let Some(w) = World::new() else { return };
    w.init();
    // Without srvos's server profile nothing supplies networking.hostId.
    std::fs::create_dir_all(w.repo.join("hosts/nas1")).expect("mkdir");
    std::fs::write(
        w.repo.join("hosts/nas1/configuration.nix"),
        "{ inputs, ... }:\n{\n  imports = [ inputs.sops-nix.nixosModules.sops ];\n  nixpkgs.hostPlatform = \"x86_64-linux\";\n  networking.hostName = \"nas1\";\n  boot.supportedFilesystems = [ \"zfs\" ];\n  sops.defaultSopsFile = ./secrets.yaml;\n  system.stateVersion = \"25.05\";\n}\n",
    )
    .expect("write");
    let out = w.run(&["bootstrap", "nas1"]).ok().stdout;
    assert!(
        out.contains("updated hosts/nas1/configuration.nix: networking.hostId"),
        "{out}"
    );
    let conf = std::fs::read_to_string(w.repo.join("hosts/nas1/configuration.nix")).expect("read");
    assert!(conf.contains("networking.hostId = \"8425e349\";"), "{conf}");
    let settled = w.snapshot();
    assert!(w
        .run(&["bootstrap", "nas1"])
        .ok()
        .stdout
        .ends_with("nas1: nothing to do\n"));
    assert_eq!(w.snapshot(), settled);
}

#[test]
fn host_add_force_keeps_every_secret_and_refuses_to_overwrite_edited_files() {
    let Some(w) = World::new() else { return };
    w.init();
    let add = |disk: &str, extra: &[&str]| {
        let mut args = vec!["host", "add", "web1", "--disks", disk, "--ipv4", "203.0.113.10"];
        args.extend_from_slice(extra);
        w.run(&args)
    };
    add("vda", &[]).ok();
    // The admin's SSH key opens the host's secrets (it is one of the recipients).
    let admin_key = w.home.join(".ssh/id_ed25519").display().to_string();
    let with_key = [("SOPS_AGE_SSH_PRIVATE_KEY_FILE", admin_key.as_str())];
    w.run_in(
        &w.repo,
        &[
            "secrets",
            "set",
            "hosts/web1/secrets.yaml",
            "restic/password",
            "--generate",
            "24",
        ],
        &with_key,
    )
    .ok();
    let get = |path: &str| {
        w.run_in(&w.repo, &["secrets", "get", "hosts/web1/secrets.yaml", path], &with_key)
            .ok()
            .stdout
    };
    let password = get("restic/password");
    assert_eq!(password.len(), 24, "{password}");
    let host_key = get("ssh_host_ed25519_key");
    let before = w.snapshot();

    // Without --force: refused, each file named with what --force would do to it.
    insta::assert_snapshot!("host_add_again_without_force", add("vdb", &[]).fails().stderr);
    // --dry-run --force says what it replaces and what it keeps, and writes nothing.
    let dry = add("vdb", &["--force", "--dry-run"]).ok().stdout;
    insta::assert_snapshot!("host_add_force_dry_run", dry);
    assert_eq!(w.snapshot(), before, "--dry-run wrote something");

    // With --force: the layout is written anew, the secrets and the host key stay.
    add("vdb", &["--force"]).ok();
    let after = w.snapshot();
    assert_eq!(get("restic/password"), password, "host add --force lost a secret");
    assert_eq!(get("ssh_host_ed25519_key"), host_key);
    for kept in [
        "hosts/web1/secrets.yaml",
        "hosts/web1/ssh_host_ed25519_key.pub",
        "hosts/web1/deploy.toml",
        ".sops.yaml",
    ] {
        assert_eq!(after[kept], before[kept], "{kept} changed");
    }
    let disko = String::from_utf8_lossy(&after["hosts/web1/disko.nix"]).into_owned();
    assert!(disko.contains("/dev/vdb") && !disko.contains("/dev/vda"), "{disko}");

    // A file the user edited is never overwritten: the command names it and writes nothing.
    let config = w.repo.join("hosts/web1/configuration.nix");
    let edited = String::from_utf8_lossy(&after["hosts/web1/configuration.nix"]).replace(
        "  sops.defaultSopsFile",
        "  services.nginx.enable = true;\n  sops.defaultSopsFile",
    );
    std::fs::write(&config, &edited).expect("edit");
    let edited_state = w.snapshot();
    insta::assert_snapshot!(
        "host_add_force_over_an_edited_file",
        add("vdc", &["--force"]).fails().stderr
    );
    assert_eq!(w.snapshot(), edited_state, "a refused host add wrote something");
    assert_eq!(get("restic/password"), password);
}

#[test]
fn host_add_records_the_ipv4_address_as_the_deploy_target() {
    let Some(w) = World::new() else { return };
    w.init();
    let out = w.add_odoo1().ok().stdout;
    assert!(out.contains("created hosts/odoo1/deploy.toml"), "{out}");
    let toml = std::fs::read_to_string(w.repo.join("hosts/odoo1/deploy.toml")).expect("deploy.toml");
    assert!(
        toml.contains("[deployment]\ntargetHost = \"root@203.0.113.10\"\n"),
        "{toml}"
    );
    // install, deploy and status take it from there (no --target, no lookup of the host name).
    let plan = w.run(&["deploy", "odoo1", "--dry-run"]).ok().stdout;
    assert!(
        plan.starts_with("odoo1 -> root@203.0.113.10 (target from hosts/odoo1/deploy.toml)"),
        "{plan}"
    );
    let plan = w.run(&["plan", "install", "odoo1"]).ok().stdout;
    assert!(
        plan.starts_with("odoo1 -> root@203.0.113.10 (target from hosts/odoo1/deploy.toml)"),
        "{plan}"
    );
    // Without --ipv4 there is nothing to record, and the next step says to give --target.
    let out = w.run(&["host", "add", "web1", "--disks", "vda"]).ok().stdout;
    assert!(!w.repo.join("hosts/web1/deploy.toml").exists());
    assert!(out.contains("nixpilot install web1 --target root@ADDRESS"), "{out}");
}
