//! `nixpilot deploy` end to end against a real OpenSSH server on 127.0.0.1, with recording
//! stand-ins for `nix` (local) and for `nix-env`, `systemd-run`, `switch-to-configuration` (remote).
//!
//! The remote stand-ins reach sshd's sessions through `ForceCommand`: a wrapper script that puts
//! their directory first on PATH, records the command ssh asked for, and runs it with `sh -c`.
//! The "remote" state (where the system profile points) is a file the stand-ins change.
//! Without sshd the tests skip, except under `CI`, where they fail.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::sshd::{current_user, fingerprint, keygen, new_system, tools_present, write_exe, Machine, OLD_SYSTEM};

/// A repository with hosts, the user's key, the local stand-ins and one shared command log.
struct World {
    tmp: tempfile::TempDir,
    repo: PathBuf,
    log: PathBuf,
    bin: PathBuf,
    identity: PathBuf,
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let repo = root.join("repo");
        std::fs::create_dir_all(repo.join("hosts")).unwrap();
        std::fs::write(
            repo.join("flake.nix"),
            "{\n  inputs.blueprint.url = \"github:numtide/blueprint\";\n  outputs = inputs: inputs.blueprint { inherit inputs; };\n}\n",
        )
        .unwrap();
        let identity = root.join("id_ed25519");
        keygen(&identity, "admin");
        let bin = root.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        // A stock Nix: without the two words that enable the `nix` command and flakes it refuses.
        // `nix build` prints a store path; `nix copy` talks to the host through ssh with
        // NIX_SSHOPTS, as nix's ssh store does, so the pinned options are exercised there too.
        // NIX_EVAL_ERROR makes `nix eval` fail with that text on stderr.
        write_exe(
            &bin.join("nix"),
            "#!/bin/sh\n\
             if [ \"$1\" != --extra-experimental-features ] || [ \"$2\" != 'nix-command flakes' ]; then\n\
               echo \"error: experimental Nix feature 'nix-command' is disabled; add '--extra-experimental-features nix-command' to enable it\" >&2; exit 1\n\
             fi\n\
             echo \"nix $*\" >> \"$LOG\"\n\
             case \" $* \" in\n\
             *' build '*) h=$(echo \"$*\" | sed -n 's/.*nixosConfigurations\\.\\([^.]*\\)\\..*/\\1/p')\n\
               echo \"building the system configuration...\" >&2\n\
               echo \"/nix/store/11111111111111111111111111111111-nixos-system-$h\";;\n\
             *' eval '*) if [ -n \"$NIX_EVAL_ERROR\" ]; then printf '%s\\n' \"$NIX_EVAL_ERROR\" >&2; exit 1; fi\n\
               h=$(echo \"$*\" | sed -n 's/.*nixosConfigurations\\.\\([^.]*\\)\\..*/\\1/p')\n\
               printf '%s' \"/nix/store/11111111111111111111111111111111-nixos-system-$h\";;\n\
             *' copy '*) while [ \"$1\" != --to ]; do shift; done; dest=\"${2#ssh-ng://}\"\n\
               ssh $NIX_SSHOPTS \"$dest\" nix-daemon --stdio < /dev/null || exit 1;;\n\
             esac\n",
        );
        World {
            log: root.join("calls.log"),
            tmp,
            repo,
            bin,
            identity,
        }
    }

    fn machine(&self, name: &str) -> Machine {
        Machine::start(
            &self.tmp.path().join(format!("machine-{name}")),
            &self.log,
            &self.identity.with_extension("pub"),
        )
    }

    /// Adds `hosts/<name>/` with `pinned` as its host key.
    fn host(&self, name: &str, pinned: &Path) {
        let dir = self.repo.join("hosts").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("configuration.nix"),
            format!("{{\n  nixpkgs.hostPlatform = \"x86_64-linux\";\n  networking.hostName = \"{name}\";\n}}\n"),
        )
        .unwrap();
        std::fs::copy(pinned, dir.join("ssh_host_ed25519_key.pub")).unwrap();
    }

    fn target(&self, m: &Machine) -> String {
        format!("{}@127.0.0.1:{}", current_user(), m.port)
    }

    fn deploy(&self, args: &[&str]) -> common::Output {
        self.deploy_with_path(
            args,
            &format!("{}:{}", self.bin.display(), std::env::var("PATH").unwrap_or_default()),
        )
    }

    fn deploy_with_path(&self, args: &[&str], path: &str) -> common::Output {
        let identity = self.identity.display().to_string();
        let mut all = vec!["deploy", "--identity", &identity];
        all.extend_from_slice(args);
        let out = Command::new(env!("CARGO_BIN_EXE_nixpilot"))
            .args(&all)
            .current_dir(&self.repo)
            .env("PATH", path)
            .env("LOG", &self.log)
            .stdin(Stdio::null())
            .output()
            .expect("spawn nixpilot");
        common::Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Starts a deploy without waiting for it (for Ctrl-C and dropped connections).
    fn spawn_deploy(&self, args: &[&str], tmpdir: &Path) -> Child {
        let identity = self.identity.display().to_string();
        let mut all = vec!["deploy", "--identity", &identity];
        all.extend_from_slice(args);
        Command::new(env!("CARGO_BIN_EXE_nixpilot"))
            .args(&all)
            .current_dir(&self.repo)
            .env(
                "PATH",
                format!("{}:{}", self.bin.display(), std::env::var("PATH").unwrap_or_default()),
            )
            .env("LOG", &self.log)
            .env("TMPDIR", tmpdir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn nixpilot")
    }

    fn wait_for_activation(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.calls().iter().any(|c| c.starts_with("switch-to-configuration")) {
            assert!(
                Instant::now() < deadline,
                "activation never started: {:?}",
                self.calls()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The recorded calls, with systemd-run's random unit name made stable.
    fn calls(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .map(|l| match l.find("--unit=nixpilot-switch-") {
                Some(i) => {
                    let start = i + "--unit=nixpilot-switch-".len();
                    format!("{}XXXXXXXX{}", &l[..start], &l[(start + 8).min(l.len())..])
                }
                None => l.to_string(),
            })
            .collect()
    }
}

fn switch_line(host: &str, toplevel: &str) -> String {
    format!(
        "ssh: systemd-run -E EXPECTED_HOSTNAME={host} -E NIXOS_INSTALL_BOOTLOADER=0 --collect --no-ask-password --pipe \
         --quiet --wait --service-type=exec --unit=nixpilot-switch-XXXXXXXX -- {toplevel}/bin/switch-to-configuration switch"
    )
}

#[test]
fn deploy_builds_copies_and_switches_in_this_order() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine("web1");
    w.host("web1", &m.host_pub());
    let out = w.deploy(&["web1", "--target", &w.target(&m)]);
    assert_eq!(out.code, 0, "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    let new = new_system("web1");
    assert_eq!(
        w.calls(),
        vec![
            "ssh: readlink -f /nix/var/nix/profiles/system".to_string(),
            "ssh: systemctl list-units --state=failed --no-legend --plain".into(),
            "nix --extra-experimental-features nix-command flakes build \
             .#nixosConfigurations.web1.config.system.build.toplevel --no-link --print-out-paths"
                .into(),
            format!(
                "nix --extra-experimental-features nix-command flakes copy --to ssh-ng://{}@127.0.0.1 {new}",
                current_user()
            ),
            "ssh: nix-daemon --stdio".into(),
            format!("ssh: nix-env -p /nix/var/nix/profiles/system --set {new}"),
            switch_line("web1", &new),
            format!("switch-to-configuration switch toplevel={new} EXPECTED_HOSTNAME=web1"),
            "ssh: true".into(),
            "ssh: systemctl list-units --state=failed --no-legend --plain".into(),
        ]
    );
    assert_eq!(m.read_state("system"), new);
    assert_eq!(m.read_state("current"), new);
    assert!(
        out.stdout.contains("web1") && out.stdout.contains(" ok "),
        "{}",
        out.stdout
    );
    // Progress is streamed, labelled by host, including the commands' own output.
    assert!(
        out.stderr.contains("[web1]   building the system configuration..."),
        "{}",
        out.stderr
    );
}

#[test]
fn a_host_presenting_another_key_is_refused_with_both_fingerprints_and_nothing_runs() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine("web1");
    let other = w.tmp.path().join("other_host_key");
    keygen(&other, "root@web1");
    w.host("web1", &other.with_extension("pub"));
    let out = w.deploy(&["web1", "--target", &w.target(&m)]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let expected = fingerprint(&other.with_extension("pub"));
    let presented = fingerprint(&m.host_pub());
    assert!(out.stderr.contains(&format!("expected: {expected}")), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("presented: {presented}")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hosts/web1/ssh_host_ed25519_key.pub"),
        "{}",
        out.stderr
    );
    assert!(w.calls().is_empty(), "ran: {:?}", w.calls());
    assert_eq!(m.read_state("system"), OLD_SYSTEM);
}

#[test]
fn a_failed_activation_rolls_back_to_the_previous_generation() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine("web1");
    w.host("web1", &m.host_pub());
    let new = new_system("web1");
    std::fs::write(m.state("fail-switch"), &new).unwrap();
    let out = w.deploy(&["web1", "--target", &w.target(&m)]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("ROLLED BACK"), "{}", out.stderr);
    assert!(
        out.stderr.contains("broken.service"),
        "the failure's last lines are shown: {}",
        out.stderr
    );
    let calls = w.calls();
    let tail: Vec<String> = calls[calls.len() - 5..].to_vec();
    assert_eq!(
        tail,
        vec![
            switch_line("web1", &new),
            format!("switch-to-configuration switch toplevel={new} EXPECTED_HOSTNAME=web1"),
            format!("ssh: nix-env -p /nix/var/nix/profiles/system --set {OLD_SYSTEM}"),
            switch_line("web1", OLD_SYSTEM),
            format!("switch-to-configuration switch toplevel={OLD_SYSTEM} EXPECTED_HOSTNAME=web1"),
        ]
    );
    assert_eq!(m.read_state("system"), OLD_SYSTEM);
    assert_eq!(m.read_state("current"), OLD_SYSTEM);
}

#[test]
fn units_that_fail_after_the_switch_roll_it_back_but_old_failures_do_not() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine("web1");
    w.host("web1", &m.host_pub());
    std::fs::write(m.state("failed-units"), "old-broken.service loaded failed failed Old\n").unwrap();
    std::fs::write(m.state("break-units"), "nginx.service loaded failed failed Nginx\n").unwrap();
    let out = w.deploy(&["web1", "--target", &w.target(&m)]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("units failed after the switch: nginx.service\n"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("ROLLED BACK"), "{}", out.stderr);
    assert_eq!(m.read_state("system"), OLD_SYSTEM);
    assert_eq!(m.read_state("current"), OLD_SYSTEM);

    // Only the old failure: the deploy goes through.
    std::fs::write(m.state("failed-units"), "old-broken.service loaded failed failed Old\n").unwrap();
    std::fs::remove_file(m.state("break-units")).unwrap();
    let out = w.deploy(&["web1", "--target", &w.target(&m)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn no_rollback_keeps_the_failed_generation_and_says_so() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine("web1");
    w.host("web1", &m.host_pub());
    let new = new_system("web1");
    std::fs::write(m.state("fail-switch"), &new).unwrap();
    let out = w.deploy(&["web1", "--target", &w.target(&m), "--no-rollback"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("NOT rolled back"), "{}", out.stderr);
    assert_eq!(m.read_state("system"), new);
}

#[test]
fn a_missing_nix_is_an_error_naming_what_to_install() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine("web1");
    w.host("web1", &m.host_pub());
    // Only ssh on PATH: the connection works, the build finds no nix.
    let only_ssh = w.tmp.path().join("only-ssh");
    std::fs::create_dir_all(&only_ssh).unwrap();
    let ssh = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("ssh"))
        .find(|p| p.is_file())
        .unwrap();
    std::os::unix::fs::symlink(ssh, only_ssh.join("ssh")).unwrap();
    let out = w.deploy_with_path(&["web1", "--target", &w.target(&m)], &only_ssh.display().to_string());
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("`nix` was not found on PATH: install Nix"),
        "{}",
        out.stderr
    );
    assert_eq!(
        w.calls(),
        vec![
            "ssh: readlink -f /nix/var/nix/profiles/system".to_string(),
            "ssh: systemctl list-units --state=failed --no-legend --plain".into(),
        ]
    );
}

#[test]
fn dry_run_prints_the_plan_and_runs_nothing() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine("web1");
    w.host("web1", &m.host_pub());
    let out = w.deploy(&["web1", "--target", &w.target(&m), "--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let fp = fingerprint(&m.host_pub());
    for needle in [
        &format!("web1 -> {} (target from --target)", w.target(&m)),
        &format!("pinned to hosts/web1/ssh_host_ed25519_key.pub ({fp})"),
        ".#nixosConfigurations.web1.config.system.build.toplevel",
        "nix-env -p /nix/var/nix/profiles/system --set <toplevel>",
        "EXPECTED_HOSTNAME=web1",
        "on failure, rollback:",
        "dry run: nothing was run",
    ] {
        assert!(out.stdout.contains(needle), "missing {needle:?} in:\n{}", out.stdout);
    }
    // `nixpilot plan deploy` is the same plan.
    let identity = w.identity.display().to_string();
    let plan = common::nixpilot(
        &w.repo,
        &[
            "plan",
            "deploy",
            "web1",
            "--identity",
            &identity,
            "--target",
            &w.target(&m),
        ],
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert_eq!(plan.stdout, out.stdout);
    assert!(w.calls().is_empty(), "ran: {:?}", w.calls());
}

#[test]
fn a_host_that_never_answers_gives_a_timeout_error() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let key = w.tmp.path().join("some_host_key");
    keygen(&key, "root@web1");
    w.host("web1", &key.with_extension("pub"));
    // Accepts TCP connections (the kernel completes them) but never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let started = Instant::now();
    let out = w.deploy(&[
        "web1",
        "--target",
        &format!("root@127.0.0.1:{port}"),
        "--connect-timeout",
        "1",
    ]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
    drop(silent);
}

#[test]
fn all_hosts_deploy_in_parallel_and_one_failure_does_not_stop_the_others() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let names: Vec<String> = (1..=8).map(|i| format!("web{i}")).collect();
    let machines: Vec<Machine> = names.iter().map(|n| w.machine(n)).collect();
    for (name, m) in names.iter().zip(&machines) {
        w.host(name, &m.host_pub());
        // The target comes from deploy.toml here (no --target with --all).
        std::fs::write(
            w.repo.join("hosts").join(name).join("deploy.toml"),
            format!(
                "[deployment]\ntargetHost = \"127.0.0.1\"\ntargetUser = \"{}\"\ntargetPort = {}\n",
                current_user(),
                m.port
            ),
        )
        .unwrap();
        std::fs::write(m.state("sleep"), "2").unwrap();
    }
    std::fs::write(machines[1].state("fail-switch"), new_system("web2")).unwrap();
    let started = Instant::now();
    let out = w.deploy(&["--all", "--parallel", "8"]);
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(out.code, 1, "{}", out.stderr);
    // Each host takes at least its 2 s activation (the failed one twice: switch and rollback);
    // one after the other, the run would take the sum of the hosts' times, in parallel about
    // the slowest one's.
    let row = |host: &str| {
        out.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(host))
            .unwrap_or_default()
            .to_string()
    };
    let times: Vec<f64> = names
        .iter()
        .map(|n| {
            row(n)
                .split_whitespace()
                .nth(2)
                .and_then(|t| t.trim_end_matches('s').parse().ok())
                .unwrap_or(0.0)
        })
        .collect();
    let slowest = times.iter().cloned().fold(0.0, f64::max);
    let sum: f64 = times.iter().sum();
    assert!(times.iter().all(|t| *t >= 2.0), "{times:?}\n{}", out.stdout);
    assert!(
        elapsed < slowest + 4.0 && elapsed < sum * 0.5,
        "took {elapsed}s for {times:?}: not parallel?\n{}",
        out.stdout
    );
    // The table: a header, then one row per host in the order given.
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("host") && lines[0].contains("result"),
        "{}",
        out.stdout
    );
    for (i, (name, m)) in names.iter().zip(&machines).enumerate() {
        let r = row(name);
        assert_eq!(lines[i + 1], r, "{}", out.stdout);
        if name == "web2" {
            assert!(r.contains("FAILED") && r.contains("activation failed"), "{r}");
            assert_eq!(m.read_state("system"), OLD_SYSTEM);
            assert_eq!(m.read_state("current"), OLD_SYSTEM);
        } else {
            assert!(r.contains(" ok ") && r.contains(&new_system(name)), "{r}");
            assert_eq!(m.read_state("current"), new_system(name));
        }
    }
    assert!(out.stderr.contains("web2: activation failed"), "{}", out.stderr);
    assert!(out.stderr.contains("ROLLED BACK"), "{}", out.stderr);
}

#[test]
fn ctrl_c_stops_the_run_and_removes_its_temporary_files() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine("web1");
    w.host("web1", &m.host_pub());
    std::fs::write(m.state("sleep"), "5").unwrap();
    let tmpdir = w.tmp.path().join("tmp");
    std::fs::create_dir_all(&tmpdir).unwrap();
    let child = w.spawn_deploy(&["web1", "--target", &w.target(&m)], &tmpdir);
    // Wait until the activation runs (it sleeps 30 s), then press Ctrl-C.
    w.wait_for_activation();
    assert!(
        std::fs::read_dir(&tmpdir).unwrap().next().is_some(),
        "the pinned known_hosts lives in TMPDIR"
    );
    let pressed = Instant::now();
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        pressed.elapsed() < Duration::from_secs(10),
        "took {:?}",
        pressed.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted (Ctrl-C)"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(&tmpdir).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_connection_lost_during_activation_is_survived_without_a_rollback() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine("web1");
    w.host("web1", &m.host_pub());
    std::fs::write(m.state("sleep"), "3").unwrap();
    let tmpdir = w.tmp.path().join("tmp");
    std::fs::create_dir_all(&tmpdir).unwrap();
    let child = w.spawn_deploy(&["web1", "--target", &w.target(&m)], &tmpdir);
    w.wait_for_activation();
    m.drop_connections();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("connection lost during activation"), "{stderr}");
    let new = new_system("web1");
    assert_eq!(m.read_state("current"), new);
    assert_eq!(m.read_state("system"), new);
    let calls = w.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("ssh: systemctl is-active --quiet nixpilot-switch-")),
        "{calls:?}"
    );
    assert!(
        calls.contains(&"ssh: readlink -f /run/current-system".to_string()),
        "{calls:?}"
    );
    assert!(!calls.iter().any(|c| c.contains(OLD_SYSTEM)), "rolled back: {calls:?}");
}

#[test]
fn the_target_defaults_to_the_host_name_and_unknown_hosts_are_named() {
    let w = World::new();
    let key = w.tmp.path().join("some_host_key");
    if !tools_present() {
        return;
    }
    keygen(&key, "root@web1");
    w.host("web1", &key.with_extension("pub"));
    let out = w.deploy(&["web1", "--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("web1 -> root@web1 (target from networking.hostName)"),
        "{}",
        out.stdout
    );
    let out = w.deploy(&["web9", "--dry-run"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("no NixOS host `web9`") && out.stderr.contains("hosts: web1"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_key_can_come_from_ssh_agent_alone() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine("web1");
    w.host("web1", &m.host_pub());
    // An agent holding the only key; HOME has no key files.
    let sock = w.tmp.path().join("agent.sock");
    let agent = Command::new("ssh-agent")
        .args(["-D", "-a"])
        .arg(&sock)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ssh-agent");
    struct Kill(Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _agent = Kill(agent);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sock.exists() {
        assert!(Instant::now() < deadline, "ssh-agent did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let added = Command::new("ssh-add")
        .arg(&w.identity)
        .env("SSH_AUTH_SOCK", &sock)
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let empty_home = w.tmp.path().join("empty-home");
    std::fs::create_dir_all(&empty_home).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_nixpilot"))
        .args(["deploy", "web1", "--target", &w.target(&m)])
        .current_dir(&w.repo)
        .env(
            "PATH",
            format!("{}:{}", w.bin.display(), std::env::var("PATH").unwrap_or_default()),
        )
        .env("LOG", &w.log)
        .env("HOME", &empty_home)
        .env("SSH_AUTH_SOCK", &sock)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(m.read_state("current"), new_system("web1"));

    // Without the agent nor key files, the error says what was tried and what to do.
    let out = Command::new(env!("CARGO_BIN_EXE_nixpilot"))
        .args(["deploy", "web1", "--target", &w.target(&m)])
        .current_dir(&w.repo)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &empty_home)
        .env_remove("SSH_AUTH_SOCK")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("did not accept any of our keys")
            && stderr.contains("tried: none found")
            && stderr.contains("--identity FILE"),
        "{stderr}"
    );
}

/// A tiny HTTP server on 127.0.0.1 answering every request with `status` and `body`.
fn http_server(status: u16, body: &'static str) -> u16 {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} Whatever\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

#[test]
fn http_checks_from_deploy_toml_pass_or_roll_the_switch_back() {
    if !tools_present() || !common::sshd::which("curl") {
        assert!(std::env::var_os("CI").is_none(), "curl is needed in CI (.ci/packages)");
        return;
    }
    let w = World::new();
    let m = w.machine("web1");
    w.host("web1", &m.host_pub());
    let ready = http_server(200, "<title>Odoo</title>\nready\n");
    let toml = |port: u16, extra: &str| {
        format!(
            "[deployment]\ntargetHost = \"127.0.0.1\"\ntargetUser = \"{}\"\ntargetPort = {}\n\n\
             [[health.http]]\nurl = \"http://127.0.0.1:{port}/web/login\"\ncontains = \"ready\"\n{extra}\n\
             [[health.http]]\nurl = \"http://127.0.0.1:{port}/\"\nfrom = \"host\"\n{extra}",
            current_user(),
            m.port
        )
    };
    std::fs::write(w.repo.join("hosts/web1/deploy.toml"), toml(ready, "")).unwrap();
    let out = w.deploy(&["web1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("[web1] http://127.0.0.1:{ready}/web/login: 200")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("[web1] http://127.0.0.1:{ready}/ (from the host): 200")),
        "{}",
        out.stderr
    );
    // The host's curl ran through the pinned SSH session.
    assert!(
        w.calls()
            .iter()
            .any(|c| c.starts_with("ssh: curl --silent") && c.contains(&format!("http://127.0.0.1:{ready}/"))),
        "{:?}",
        w.calls()
    );
    assert!(!out.stderr.contains("<title>"), "bodies are not logged: {}", out.stderr);

    // A service that answers 503 for longer than the check's time: rolled back.
    let broken = http_server(503, "maintenance\n");
    std::fs::write(w.repo.join("hosts/web1/deploy.toml"), toml(broken, "timeout = 3\n")).unwrap();
    std::fs::write(m.state("system"), format!("{OLD_SYSTEM}\n")).unwrap();
    let out = w.deploy(&["web1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "health check http://127.0.0.1:{broken}/web/login failed for 3s: 503 instead of 200"
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("ROLLED BACK"), "{}", out.stderr);
    assert_eq!(m.read_state("system"), OLD_SYSTEM);

    // A mistake in the file names the file and the check.
    std::fs::write(
        w.repo.join("hosts/web1/deploy.toml"),
        "[[health.http]]\nurl = \"127.0.0.1/\"\n",
    )
    .unwrap();
    let out = w.deploy(&["web1", "--target", &w.target(&m)]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("hosts/web1/deploy.toml: health.http[0]: url `127.0.0.1/` must be an http:// or https:// URL"),
        "{}",
        out.stderr
    );
}

#[test]
fn status_shows_reachability_generation_and_whether_hosts_run_the_current_build() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let names = ["web1", "web2", "web3", "web4"];
    let machines: Vec<Machine> = names.iter().map(|n| w.machine(n)).collect();
    let stranger = w.tmp.path().join("stranger");
    keygen(&stranger, "x");
    for (name, m) in names.iter().zip(&machines) {
        // web3 is pinned to another key than its machine presents.
        let pinned = if *name == "web3" {
            stranger.with_extension("pub")
        } else {
            m.host_pub()
        };
        w.host(name, &pinned);
        // web4's address has nothing listening.
        let port = if *name == "web4" {
            common::sshd::free_port()
        } else {
            m.port
        };
        std::fs::write(
            w.repo.join("hosts").join(name).join("deploy.toml"),
            format!(
                "[deployment]\ntargetHost = \"root@127.0.0.1:{port}\"\ntargetUser = \"{}\"\n",
                current_user()
            ),
        )
        .unwrap();
    }
    // web1 runs what the repository builds now, web2 an older system.
    std::fs::write(machines[0].state("current"), new_system("web1")).unwrap();
    std::fs::write(machines[0].state("generation"), "7").unwrap();
    std::fs::write(machines[1].state("current"), OLD_SYSTEM).unwrap();
    std::fs::write(
        machines[1].state("booted"),
        "/nix/store/44444444444444444444444444444444-nixos-system-web2",
    )
    .unwrap();
    let identity = w.identity.display().to_string();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_nixpilot"))
            .args(["status", "--identity", &identity, "--connect-timeout", "3"])
            .args(args)
            .current_dir(&w.repo)
            .env(
                "PATH",
                format!("{}:{}", w.bin.display(), std::env::var("PATH").unwrap_or_default()),
            )
            .env("LOG", &w.log)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run(&[]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let row = |host: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(host))
            .unwrap_or_default()
            .to_string()
    };
    let words = |host: &str| row(host).split_whitespace().map(String::from).collect::<Vec<_>>();
    assert_eq!(words("web1")[2..6], ["ok", "7", "yes", &new_system("web1")], "{stdout}");
    assert_eq!(words("web2")[2..6], ["ok", "41", "NO", OLD_SYSTEM], "{stdout}");
    assert!(row("web2").contains("(booted /nix/store/4444"), "{stdout}");
    assert!(
        row("web3").contains("KEY MISMATCH") && row("web3").contains(&fingerprint(&machines[2].host_pub())),
        "{stdout}"
    );
    assert!(row("web4").contains("unreachable"), "{stdout}");

    let (_, json, _) = run(&["web1", "web4", "--json", "--no-eval"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["host"], "web1");
    assert_eq!(v[0]["reachable"], true);
    assert_eq!(v[0]["generation"], 7);
    assert_eq!(v[0]["upToDate"], serde_json::Value::Null);
    assert_eq!(v[1]["reachable"], false);
    // status changes nothing.
    assert!(
        !w.calls()
            .iter()
            .any(|c| c.contains("nix-env") || c.contains("systemd-run")),
        "{:?}",
        w.calls()
    );
}

#[test]
fn on_a_terminal_each_host_gets_a_progress_line_and_the_table_follows() {
    if !tools_present() {
        return;
    }
    if !common::sshd::which("script") {
        assert!(std::env::var_os("CI").is_none(), "`script` (bsdutils) is needed in CI");
        return;
    }
    let w = World::new();
    let names = ["web1", "web2"];
    let machines: Vec<Machine> = names.iter().map(|n| w.machine(n)).collect();
    for (name, m) in names.iter().zip(&machines) {
        w.host(name, &m.host_pub());
        std::fs::write(
            w.repo.join("hosts").join(name).join("deploy.toml"),
            format!("[deployment]\ntargetHost = \"{}\"\n", w.target(m)),
        )
        .unwrap();
        std::fs::write(m.state("sleep"), "1").unwrap();
    }
    std::fs::write(machines[1].state("fail-switch"), new_system("web2")).unwrap();
    let line = format!(
        "{} deploy --all --identity {}",
        env!("CARGO_BIN_EXE_nixpilot"),
        w.identity.display()
    );
    // Under a pseudo-terminal (util-linux `script`) stderr is a terminal: indicatif bars.
    let out = Command::new("script")
        .args(["-qefc", &line, "/dev/null"])
        .current_dir(&w.repo)
        .env(
            "PATH",
            format!("{}:{}", w.bin.display(), std::env::var("PATH").unwrap_or_default()),
        )
        .env("LOG", &w.log)
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{screen}");
    // A spinner line per host, labelled with it and its step; not the `[host] …` log lines.
    for host in names {
        assert!(
            screen.contains(&format!("{host:<16} (")),
            "no progress line for {host}:\n{screen}"
        );
    }
    assert!(!screen.contains("[web1] $ ssh"), "{screen}");
    // Failures and the rollback are printed above the bars; the table comes after them.
    assert!(screen.contains("web2: ROLLING BACK"), "{screen}");
    let table = screen.rfind("result       time").expect("table header");
    assert!(
        screen[table..].contains("web1") && screen[table..].contains("FAILED"),
        "{screen}"
    );
    assert_eq!(machines[0].read_state("current"), new_system("web1"));
}

/// `nixpilot status ARGS` in the repository with the stand-ins first on PATH and `env` added.
fn status(w: &World, args: &[&str], env: &[(&str, &str)]) -> common::Output {
    let identity = w.identity.display().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_nixpilot"))
        .args(["status", "--identity", &identity, "--connect-timeout", "3"])
        .args(args)
        .current_dir(&w.repo)
        .env(
            "PATH",
            format!("{}:{}", w.bin.display(), std::env::var("PATH").unwrap_or_default()),
        )
        .env("LOG", &w.log)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    common::Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `hosts/<name>/deploy.toml` pointing at a loopback port where nothing listens.
fn unreachable_target(w: &World, name: &str) {
    std::fs::write(
        w.repo.join("hosts").join(name).join("deploy.toml"),
        format!(
            "[deployment]\ntargetHost = \"root@127.0.0.1:{}\"\n",
            common::sshd::free_port()
        ),
    )
    .unwrap();
}

#[test]
fn a_host_named_twice_gets_one_pipeline_and_no_host_at_all_points_at_all() {
    let w = World::new();
    let key = w.tmp.path().join("some_host_key");
    keygen(&key, "root@web1");
    w.host("web1", &key.with_extension("pub"));
    w.host("web2", &key.with_extension("pub"));
    let out = w.deploy(&["web1", "web2", "web1", "--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plans: Vec<&str> = out.stdout.lines().filter(|l| l.contains(" -> ")).collect();
    assert_eq!(plans.len(), 2, "{}", out.stdout);
    assert!(
        plans[0].starts_with("web1 -> ") && plans[1].starts_with("web2 -> "),
        "{plans:?}"
    );

    unreachable_target(&w, "web1");
    let out = status(&w, &["web1", "web1", "--json", "--no-eval"], &[]);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{}", out.stdout);

    // Without hosts, deploy and plan deploy say how to name them, --all included.
    let out = w.deploy(&[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    insta::assert_snapshot!("deploy_without_hosts", out.stderr);
    let plan = common::nixpilot(&w.repo, &["plan", "deploy"]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    assert_eq!(plan.stderr, out.stderr);
    assert!(w.calls().is_empty(), "ran: {:?}", w.calls());
}

#[test]
fn status_shows_why_nix_could_not_evaluate_a_host() {
    let w = World::new();
    let key = w.tmp.path().join("some_host_key");
    keygen(&key, "root@web1");
    w.host("web1", &key.with_extension("pub"));
    unreachable_target(&w, "web1");
    let nix_says = "error:\n       … while fetching the input 'github:example/missing'\n\n       error: unable to download 'https://api.github.com/repos/example/missing/commits/HEAD': HTTP error 404";
    let out = status(&w, &["web1"], &[("NIX_EVAL_ERROR", nix_says)]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("eval failed"), "{}", out.stdout);
    for line in nix_says.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            out.stderr.contains(line.trim()),
            "Nix's `{line}` is not shown:\n{}",
            out.stderr
        );
    }
    // The flags that let a stock Nix evaluate flakes came first, as two words (the stand-in
    // refuses anything else).
    let out = status(&w, &["web1", "--json"], &[]);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        rows[0]["local"], "/nix/store/11111111111111111111111111111111-nixos-system-web1",
        "{}",
        out.stderr
    );
}

#[test]
fn a_target_that_does_not_resolve_says_how_to_give_the_address() {
    let w = World::new();
    let key = w.tmp.path().join("some_host_key");
    keygen(&key, "root@web1");
    w.host("web1", &key.with_extension("pub"));
    // The name the host gives itself, too long for DNS: resolving it fails without a query.
    let fqdn = format!("{}example", format!("{}.", "a".repeat(60)).repeat(5));
    let config = w.repo.join("hosts/web1/configuration.nix");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("{\n", &format!("{{\n  networking.fqdn = \"{fqdn}\";\n")),
    )
    .unwrap();
    let out = status(&w, &["web1", "--no-eval"], &[]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let row = out.stdout.lines().find(|l| l.starts_with("web1")).unwrap_or_default();
    assert!(row.contains("unreachable"), "{}", out.stdout);
    assert!(
        row.contains("--target root@ADDRESS") && row.contains("deployment.targetHost in hosts/web1/deploy.toml"),
        "{}",
        out.stdout
    );
}
