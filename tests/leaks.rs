//! No secret leaves its file: one run of init, host add, bootstrap, secrets set, install, deploy
//! and a language-server session, after which every output, error message, log line, LSP
//! message, temporary file and repository file is searched for the secret values and private
//! keys used. The machine is a real sshd on 127.0.0.1 with the stand-ins of tests/common/sshd.rs
//! and a `nixos-anywhere` that copies what it is handed onto the machine's "disk" (`mnt/`, the
//! only place the host key may be). Without sshd the test skips, except under `CI`.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::sshd::{current_user, fingerprint, keygen, tools_present, write_exe, Machine};
use serde_json::json;

const INSTALLED: &str = "/nix/store/22222222222222222222222222222222-nixos-system-web1";

struct World {
    tmp: tempfile::TempDir,
    home: PathBuf,
    repo: PathBuf,
    bin: PathBuf,
    log: PathBuf,
    scratch: PathBuf,
    /// Everything nixpilot printed or sent, labelled, to be searched at the end.
    said: Vec<(String, String)>,
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().canonicalize().expect("canonical");
        let home = root.join("home");
        std::fs::create_dir_all(home.join(".ssh")).expect("mkdir");
        keygen(&home.join(".ssh/id_ed25519"), "alice@laptop");
        let bin = root.join("bin");
        let scratch = root.join("tmp");
        std::fs::create_dir_all(&bin).expect("mkdir");
        std::fs::create_dir_all(&scratch).expect("mkdir");
        // What nixos-anywhere does to a machine: the handed-over tree onto its disk, a reboot
        // into sshd with the handed-over host key.
        write_exe(
            &bin.join("nixos-anywhere"),
            r####"#!/bin/sh
echo "nixos-anywhere $*" >> "$LOG"
while [ $# -gt 0 ]; do
  case "$1" in --extra-files) files=$2; shift 2;; *) shift;; esac
done
echo "### Installing NixOS ###"
mkdir -p "$MACHINE/mnt"
tar -C "$files" -cpf - . | tar -C "$MACHINE/mnt" -xf - --no-same-owner
echo "$INSTALLED" > "$MACHINE/state/current"
kill "$(cat "$MACHINE/sshd.pid")"
sleep 0.3
/usr/sbin/sshd -f "$MACHINE/sshd_config_installed" -E "$MACHINE/installed.log"
"####,
        );
        write_exe(
            &bin.join("nix"),
            "#!/bin/sh\necho \"nix $*\" >> \"$LOG\"\ncase \" $* \" in *' build '*) echo /nix/store/33333333333333333333333333333333-nixos-system-web1;;\n\
             *' eval '*) printf /nix/store/33333333333333333333333333333333-nixos-system-web1;;\n\
             *' copy '*) while [ \"$1\" != --to ]; do shift; done; ssh $NIX_SSHOPTS \"${2#ssh-ng://}\" nix-daemon --stdio < /dev/null || exit 1;; esac\n",
        );
        World {
            repo: root.join("repo"),
            log: root.join("calls.log"),
            home,
            bin,
            scratch,
            tmp,
            said: Vec::new(),
        }
    }

    fn command(&self, cwd: &Path, args: &[&str], machine: Option<&Machine>) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nixpilot"));
        cmd.env_clear()
            .env(
                "PATH",
                format!("{}:{}", self.bin.display(), std::env::var("PATH").unwrap_or_default()),
            )
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("USER", current_user())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("TMPDIR", &self.scratch)
            .env("LOG", &self.log)
            .env("INSTALLED", INSTALLED)
            .current_dir(cwd)
            .args(args);
        if let Some(m) = machine {
            cmd.env("MACHINE", &m.dir);
        }
        cmd
    }

    /// Runs nixpilot to the end and keeps what it printed; panics unless it succeeded.
    fn run(&mut self, cwd: &Path, args: &[&str], stdin: &[u8], machine: Option<&Machine>) -> String {
        let mut child = self
            .command(cwd, args, machine)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn nixpilot");
        child.stdin.take().expect("stdin").write_all(stdin).expect("stdin");
        let out = child.wait_with_output().expect("wait");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "nixpilot {args:?}:\n{stdout}\n{stderr}");
        self.said
            .push((format!("stderr of nixpilot {}", args.join(" ")), stderr));
        // Printing the plaintext is `secrets decrypt`'s and `secrets get`'s job.
        if !matches!(args, ["secrets", "decrypt" | "get", ..]) {
            self.said
                .push((format!("stdout of nixpilot {}", args.join(" ")), stdout.clone()));
        }
        stdout
    }

    fn repo_run(&mut self, args: &[&str], stdin: &[u8]) -> String {
        let repo = self.repo.clone();
        self.run(&repo, args, stdin, None)
    }

    /// Reads a secret for the search; what `secrets get` prints is the one output allowed to hold it.
    fn secret(&self, file: &str, key: &str) -> String {
        let out = self
            .command(&self.repo, &["secrets", "get", file, key], None)
            .stdin(Stdio::null())
            .output()
            .expect("secrets get");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf8")
    }
}

/// The pieces of a secret worth searching for: a value whole, an OpenSSH key by the base64
/// lines that hold its private half (the first two are a header every ed25519 key shares and
/// the public key, which may be anywhere).
fn needles(secret: &str) -> Vec<String> {
    if !secret.contains("PRIVATE KEY-----") {
        return vec![secret.trim().to_string()];
    }
    let lines: Vec<String> = secret
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----"))
        .skip(2)
        .filter(|l| l.len() >= 16)
        .map(str::to_string)
        .collect();
    assert!(!lines.is_empty(), "a private key without a body");
    lines
}

/// Every file below `dir` with its text, except below `skip`.
fn files_below(dir: &Path, skip: &[PathBuf]) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if skip.iter().any(|s| p.starts_with(s)) {
                continue;
            }
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => {
                    let text = std::fs::read(&p)
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default();
                    out.push((p, text));
                }
                _ => {}
            }
        }
    }
    out
}

#[test]
fn no_secret_or_private_key_appears_in_any_output_log_message_or_temp_file() {
    if !tools_present() {
        return;
    }
    let mut w = World::new();
    let root = w.tmp.path().canonicalize().expect("canonical");

    // The repository, two hosts (one made by hand and completed by bootstrap), two secrets.
    w.run(&root, &["init", "repo"], b"", None);
    w.repo_run(&["host", "add", "web1", "--disks", "vda"], b"");
    let db = w.repo.join("hosts/db");
    std::fs::create_dir_all(&db).expect("mkdir");
    std::fs::write(
        db.join("configuration.nix"),
        "{ flake, ... }:\n{\n  imports = [ flake.nixosModules.server ];\n  networking.hostName = \"db\";\n  nixpkgs.hostPlatform = \"x86_64-linux\";\n  system.stateVersion = \"25.05\";\n}\n",
    )
    .expect("db");
    w.repo_run(&["bootstrap", "db"], b"");
    let canary = format!("leak-canary-{}", std::process::id());
    w.repo_run(
        &[
            "secrets",
            "set",
            "hosts/web1/secrets.yaml",
            "restic/password",
            "--value-stdin",
        ],
        canary.as_bytes(),
    );
    w.repo_run(
        &[
            "secrets",
            "set",
            "hosts/web1/secrets.yaml",
            "api/token",
            "--generate",
            "40",
        ],
        b"",
    );
    w.repo_run(&["secrets", "decrypt", "hosts/web1/secrets.yaml"], b"");
    w.repo_run(&["lint"], b"");

    // Install web1 onto a rescue system, then deploy to it.
    let m = Machine::start(&root.join("machine"), &w.log, &w.home.join(".ssh/id_ed25519.pub"));
    let target = format!("{}@127.0.0.1:{}", current_user(), m.port);
    let rescue = fingerprint(&m.host_pub());
    let repo = w.repo.clone();
    w.run(
        &repo,
        &["install", "web1", "--target", &target, "--accept-rescue-key", &rescue],
        b"",
        Some(&m),
    );
    w.run(&repo, &["deploy", "web1"], b"", Some(&m));
    w.run(&repo, &["status", "web1"], b"", Some(&m));

    // A language-server session over the same repository with the admin's key at hand.
    let mut c = common::lsp_client::Client::spawn(w.command(&w.repo, &["lsp"], Some(&m)), None);
    c.initialize();
    for file in [
        "hosts/web1/configuration.nix",
        "hosts/web1/secrets.yaml",
        "hosts/db/configuration.nix",
        ".sops.yaml",
    ] {
        let path = w.repo.join(file);
        let uri = format!("file://{}", path.display());
        let text = std::fs::read_to_string(&path).expect("read");
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "nix", "version": 1, "text": text}}),
        );
        let _ = c.diagnostics(&uri, Some(1));
        let lines = text.lines().count() as u32;
        for line in 0..lines {
            for character in [2, 10, 20] {
                let at = json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
                c.request("textDocument/hover", at.clone());
                c.request("textDocument/definition", at);
            }
        }
        let all = json!({"start": {"line": 0, "character": 0}, "end": {"line": lines, "character": 0}});
        c.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": all, "context": {"diagnostics": []}}),
        );
        c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}));
    }
    c.request("shutdown", json!(null));
    w.said.push(("the LSP message stream".into(), c.log.join("\n")));
    drop(c);

    // What must not appear: the values set, the hosts' private keys, the admin's private key.
    let mut secrets = vec![
        ("the secret set from stdin".to_string(), canary.clone()),
        (
            "the generated token".to_string(),
            w.secret("hosts/web1/secrets.yaml", "api/token"),
        ),
        (
            "web1's private host key".to_string(),
            w.secret("hosts/web1/secrets.yaml", "ssh_host_ed25519_key"),
        ),
        (
            "db's private host key".to_string(),
            w.secret("hosts/db/secrets.yaml", "ssh_host_ed25519_key"),
        ),
        (
            "the admin's private key".to_string(),
            std::fs::read_to_string(w.home.join(".ssh/id_ed25519")).expect("admin key"),
        ),
    ];
    secrets.retain(|(_, s)| !s.trim().is_empty());
    assert_eq!(secrets.len(), 5);

    // Where to look: everything said, the command log, the machine's logs, every file in TMPDIR,
    // the repository and HOME (but the admin's own key file), the machine (but its disk).
    let mut haystacks = std::mem::take(&mut w.said);
    haystacks.push((
        "the command log".into(),
        std::fs::read_to_string(&w.log).unwrap_or_default(),
    ));
    let skip = [w.home.join(".ssh/id_ed25519"), m.dir.join("mnt"), w.repo.join(".git")];
    for dir in [&w.scratch, &w.repo, &w.home, &m.dir] {
        for (path, text) in files_below(dir, &skip) {
            haystacks.push((path.display().to_string(), text));
        }
    }
    let leftovers = files_below(&w.scratch, &[]);
    assert!(
        leftovers.is_empty(),
        "left in TMPDIR: {:?}",
        leftovers.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    let mut searched = 0;
    for (what, secret) in &secrets {
        for needle in needles(secret) {
            for (place, text) in &haystacks {
                searched += 1;
                assert!(!text.contains(&needle), "{what} appears in {place}");
            }
        }
    }
    eprintln!(
        "{} secrets, {} places, {searched} searches: nothing found",
        secrets.len(),
        haystacks.len()
    );
    // The one place the host key belongs: the installed machine's disk.
    let on_disk = std::fs::read_to_string(m.dir.join("mnt/etc/ssh/ssh_host_ed25519_key")).expect("installed key");
    assert_eq!(on_disk.trim_end(), secrets[2].1.trim_end());
}
