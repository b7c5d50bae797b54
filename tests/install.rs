//! `nixpilot install` end to end: a repository made by `nixpilot init` and `host add`, a "rescue
//! system" that is a real OpenSSH server on 127.0.0.1 with its own host key, and a recording
//! stand-in for `nixos-anywhere` that does what the real one does to the machine: copies the
//! `--extra-files` tree onto its disk (`mnt/`) and reboots it — here, stops the rescue sshd and
//! starts one with the host key it was handed. Without sshd the tests skip, except under `CI`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::sshd::{current_user, fingerprint, keygen, tools_present, write_exe, Machine};

/// What the installed system runs (`/run/current-system` after the "reboot").
const INSTALLED: &str = "/nix/store/22222222222222222222222222222222-nixos-system-web1";

struct World {
    tmp: tempfile::TempDir,
    home: PathBuf,
    repo: PathBuf,
    bin: PathBuf,
    log: PathBuf,
    /// Where nixpilot's temporary files go (TMPDIR): searched for leftovers.
    scratch: PathBuf,
}

impl World {
    /// `nixpilot init` and `host add web1` (ext4 on /dev/vda) with `~/.ssh/id_ed25519` as the
    /// admin, which is also the key that logs into the machines.
    fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let home = root.join("home");
        std::fs::create_dir_all(home.join(".ssh")).unwrap();
        keygen(&home.join(".ssh/id_ed25519"), "alice@laptop");
        let bin = root.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let scratch = root.join("tmp");
        std::fs::create_dir_all(&scratch).unwrap();
        let w = World {
            repo: root.join("repo"),
            log: root.join("calls.log"),
            home,
            bin,
            scratch,
            tmp,
        };
        w.write_nixos_anywhere();
        let out = w.nixpilot_in(&root, &["init", "repo"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let out = w.nixpilot(&["host", "add", "web1", "--disks", "vda"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        w
    }

    /// The stand-in: records its arguments and the extra-files tree (modes, never contents),
    /// fails or hangs when the machine's state says so, else "installs" and "reboots".
    fn write_nixos_anywhere(&self) {
        write_exe(
            &self.bin.join("nixos-anywhere"),
            r####"#!/bin/sh
echo "nixos-anywhere $*" >> "$LOG"
echo $$ > "$MACHINE/state/anywhere-pid"
env | sed -n 's/^\(SOPS_AGE_[A-Z_]*\)=.*/child-env \1/p' >> "$LOG"
[ -f "$MACHINE/state/anywhere-ignore-term" ] && trap '' TERM
while [ $# -gt 0 ]; do
  case "$1" in --extra-files) files=$2; shift 2;; --target-host) target=$2; shift 2;; *) shift;; esac
done
(cd "$files" && find . -printf 'extra-files %m %p\n' | sort -k3) >> "$LOG"
echo "### Gathering machine facts ###"
echo "### Formatting hard drive with disko ###"
if [ -f "$MACHINE/state/anywhere-sleep" ]; then
  sleep "$(cat "$MACHINE/state/anywhere-sleep")" &
  echo $! > "$MACHINE/state/anywhere-sleep-pid"
  wait $!
fi
if [ -f "$MACHINE/state/anywhere-fail" ]; then
  echo "+ disko --mode destroy,format,mount"
  echo "Error: /dev/vda: device is busy" >&2
  exit 1
fi
echo "### Installing NixOS ###"
mkdir -p "$MACHINE/mnt"
tar -C "$files" -cpf - . | tar -C "$MACHINE/mnt" -xf - --no-same-owner
echo "$INSTALLED" > "$MACHINE/state/current"
echo "### Rebooting ###"
kill "$(cat "$MACHINE/sshd.pid")"
sleep 0.3
/usr/sbin/sshd -f "$MACHINE/${SSHD_CONFIG_AFTER:-sshd_config_installed}" -E "$MACHINE/installed.log"
echo "### Done! ###"
"####,
        );
    }

    fn machine(&self) -> Machine {
        Machine::start(
            &self.tmp.path().join("machine"),
            &self.log,
            &self.home.join(".ssh/id_ed25519.pub"),
        )
    }

    fn command(&self, cwd: &Path, args: &[&str], machine: Option<&Machine>) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nixpilot"));
        self.environment(&mut cmd, machine);
        cmd.current_dir(cwd).args(args).stdin(Stdio::null());
        cmd
    }

    /// A clean environment: the world's HOME, the stand-ins first on PATH, TMPDIR in scratch.
    fn environment(&self, cmd: &mut Command, machine: Option<&Machine>) {
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
            .env("INSTALLED", INSTALLED);
        if let Some(m) = machine {
            cmd.env("MACHINE", &m.dir);
        }
    }

    fn nixpilot_in(&self, cwd: &Path, args: &[&str]) -> common::Output {
        output(self.command(cwd, args, None).output().expect("nixpilot runs"))
    }

    fn nixpilot(&self, args: &[&str]) -> common::Output {
        self.nixpilot_in(&self.repo, args)
    }

    fn install(&self, m: &Machine, extra: &[&str]) -> common::Output {
        let target = self.target(m);
        let mut args = vec!["install", "web1", "--target", &target];
        args.extend_from_slice(extra);
        output(
            self.command(&self.repo, &args, Some(m))
                .output()
                .expect("nixpilot runs"),
        )
    }

    fn spawn_install(&self, m: &Machine, extra: &[&str]) -> Child {
        let target = self.target(m);
        let mut args = vec!["install", "web1", "--target", &target];
        args.extend_from_slice(extra);
        self.command(&self.repo, &args, Some(m))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nixpilot runs")
    }

    fn target(&self, m: &Machine) -> String {
        format!("{}@127.0.0.1:{}", current_user(), m.port)
    }

    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                // The extra-files directory is a fresh temp dir each run.
                match l.find("--extra-files ") {
                    Some(i) => {
                        let rest = &l[i + "--extra-files ".len()..];
                        let end = rest.find(' ').unwrap_or(rest.len());
                        format!("{}--extra-files <dir>{}", &l[..i], &rest[end..])
                    }
                    None => l.to_string(),
                }
            })
            .collect()
    }

    /// The host's private key as the test can read it (decrypted by the admin's key), to
    /// search for it where it must not be.
    fn host_private_key(&self) -> String {
        let out = self.nixpilot(&["secrets", "get", "hosts/web1/secrets.yaml", "ssh_host_ed25519_key"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stdout.contains("OPENSSH PRIVATE KEY"));
        out.stdout
    }

    /// Every file under the scratch TMPDIR (none may be left after a run).
    fn leftovers(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![self.scratch.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p.clone());
                }
                out.push(p);
            }
        }
        out
    }

    /// The key body (its base64 lines) must not be in `text`.
    /// nixos-anywhere was never started.
    fn assert_not_installed(&self) {
        let calls = self.calls();
        assert!(!calls.iter().any(|c| c.starts_with("nixos-anywhere")), "{calls:?}");
    }

    fn assert_no_key_in(&self, key: &str, text: &str, what: &str) {
        for line in key.lines().filter(|l| l.len() > 20 && !l.starts_with("-----")) {
            assert!(!text.contains(line), "the host key appears in {what}");
        }
    }
}

/// A run that failed (exit code 1) with every one of `needles` in its stderr.
fn assert_failed_saying(out: &common::Output, needles: &[&str]) {
    assert_eq!(out.code, 1, "{}", out.stderr);
    for needle in needles {
        assert!(out.stderr.contains(needle), "no {needle:?} in:\n{}", out.stderr);
    }
}

fn output(out: std::process::Output) -> common::Output {
    common::Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn wait_for_call(w: &World, prefix: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !w.calls().iter().any(|c| c.starts_with(prefix)) {
        assert!(Instant::now() < deadline, "`{prefix}` never ran: {:?}", w.calls());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn install_checks_the_rescue_system_hands_over_the_key_and_waits_for_the_pinned_key() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine();
    let rescue = fingerprint(&m.host_pub());
    let key = w.host_private_key();
    let out = w.install(&m, &["--accept-rescue-key", &rescue]);
    assert_eq!(out.code, 0, "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert_eq!(
        w.calls(),
        vec![
            "ssh: uname -m".to_string(),
            "ssh: cat /proc/meminfo".into(),
            "ssh: lsblk -dn -o NAME".into(),
            format!(
                "nixos-anywhere --flake .#web1 --extra-files <dir> -p {} --target-host {}@127.0.0.1",
                m.port,
                current_user()
            ),
            "extra-files 700 .".into(),
            "extra-files 755 ./etc".into(),
            "extra-files 755 ./etc/ssh".into(),
            "extra-files 600 ./etc/ssh/ssh_host_ed25519_key".into(),
            "ssh: readlink -f /run/current-system".into(),
        ]
    );
    // The installed sshd started with the handed-over key: the key file was whole and the
    // host answered with the pinned key.
    let pinned = fingerprint(&w.repo.join("hosts/web1/ssh_host_ed25519_key.pub"));
    assert!(
        out.stdout.contains(&format!(
            "web1: installed; {} answers with its pinned key and runs {INSTALLED}",
            w.target(&m)
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains(&format!("back with the pinned key {pinned}")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(&format!("presents {rescue}")), "{}", out.stderr);
    // nixos-anywhere's phases are progress lines.
    assert!(
        out.stderr.contains("[web1] Formatting hard drive with disko"),
        "{}",
        out.stderr
    );
    // The repository remembers the host: known_hosts and the target for deploy.
    let pub_key: String = std::fs::read_to_string(w.repo.join("hosts/web1/ssh_host_ed25519_key.pub"))
        .unwrap()
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        std::fs::read_to_string(w.repo.join("known_hosts")).unwrap(),
        format!("[127.0.0.1]:{} {pub_key} web1\n", m.port)
    );
    let toml = std::fs::read_to_string(w.repo.join("hosts/web1/deploy.toml")).unwrap();
    assert!(toml.contains(&format!("targetHost = \"{}\"", w.target(&m))), "{toml}");
    // No decrypted key anywhere nixpilot writes temporary files, nor in what it printed.
    assert_eq!(w.leftovers(), Vec::<PathBuf>::new());
    w.assert_no_key_in(&key, &out.stdout, "stdout");
    w.assert_no_key_in(&key, &out.stderr, "stderr");
    w.assert_no_key_in(&key, &std::fs::read_to_string(&w.log).unwrap(), "the command log");

    // The file the machine got is the key itself, with its newline.
    let installed = std::fs::read_to_string(m.dir.join("mnt/etc/ssh/ssh_host_ed25519_key")).unwrap();
    assert_eq!(installed.trim_end(), key.trim_end());
    assert!(installed.ends_with('\n'));

    // And deploy finds the host through the recorded deploy.toml, with the pinned key.
    write_exe(
        &w.bin.join("nix"),
        "#!/bin/sh\necho \"nix $*\" >> \"$LOG\"\ncase \" $* \" in *' build '*) echo /nix/store/33333333333333333333333333333333-nixos-system-web1;;\n\
         *' copy '*) while [ \"$1\" != --to ]; do shift; done; ssh $NIX_SSHOPTS \"${2#ssh-ng://}\" nix-daemon --stdio < /dev/null || exit 1;; esac\n",
    );
    let out = w.nixpilot(&["deploy", "web1"]);
    assert_eq!(out.code, 0, "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert_eq!(
        m.read_state("current"),
        "/nix/store/33333333333333333333333333333333-nixos-system-web1"
    );
}

#[test]
fn an_unaccepted_rescue_key_is_shown_and_nothing_runs() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine();
    let rescue = fingerprint(&m.host_pub());
    let out = w.install(&m, &[]);
    assert_failed_saying(&out, &[&format!("add --accept-rescue-key {rescue}")]);
    assert!(w.calls().is_empty(), "ran: {:?}", w.calls());

    let out = w.install(
        &m,
        &[
            "--accept-rescue-key",
            "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ],
    );
    assert_failed_saying(
        &out,
        &[&format!(
            "the rescue system presents {rescue}, not the accepted SHA256:AAAA"
        )],
    );
    assert!(w.calls().is_empty(), "ran: {:?}", w.calls());
    assert_eq!(w.leftovers(), Vec::<PathBuf>::new());
}

#[test]
fn the_rescue_key_can_be_accepted_at_the_terminal() {
    if !tools_present() {
        return;
    }
    let Some(script) = common::sshd::which("script").then_some("script") else {
        assert!(std::env::var_os("CI").is_none(), "`script` (bsdutils) is needed in CI");
        return;
    };
    let w = World::new();
    let m = w.machine();
    let rescue = fingerprint(&m.host_pub());
    for (answer, code) in [("no", 1), ("yes", 0)] {
        // Under a pseudo-terminal (util-linux `script`), the question is asked and answered.
        let line = format!(
            "{} install web1 --target {}",
            env!("CARGO_BIN_EXE_nixpilot"),
            w.target(&m)
        );
        let mut cmd = Command::new(script);
        w.environment(&mut cmd, Some(&m));
        cmd.env("TERM", "dumb")
            .args(["-qefc", &line, "/dev/null"])
            .current_dir(&w.repo)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut process = cmd.spawn().expect("script runs");
        let mut stdin = process.stdin.take().unwrap();
        // The answer waits in the terminal's input until the question reads it.
        std::io::Write::write_all(&mut stdin, format!("{answer}\n").as_bytes()).unwrap();
        let out = process.wait_with_output().unwrap();
        drop(stdin);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(text.contains(&format!("presents the SSH host key {rescue}")), "{text}");
        assert!(text.contains("Type yes to continue"), "{text}");
        assert_eq!(out.status.code(), Some(code), "{text}");
        let ran = w.calls().iter().any(|c| c.starts_with("nixos-anywhere"));
        assert_eq!(ran, answer == "yes", "{:?}", w.calls());
    }
}

#[test]
fn a_disk_the_rescue_system_lacks_stops_before_anything_is_erased() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine();
    let rescue = fingerprint(&m.host_pub());
    std::fs::write(m.state("disks"), "sda\nsdb\n").unwrap();
    let out = w.install(&m, &["--accept-rescue-key", &rescue]);
    assert_failed_saying(
        &out,
        &[
            "the rescue system has no disk /dev/vda (disko.devices.disk.main, hosts/web1/disko.nix:",
            "it has: sda, sdb. Nothing was erased",
        ],
    );
    w.assert_not_installed();

    // Too little memory for kexec, or another CPU than the host's platform, stop there too.
    std::fs::write(m.state("disks"), "vda\n").unwrap();
    std::fs::write(m.state("meminfo"), "MemTotal:        1048576 kB\n").unwrap();
    let out = w.install(&m, &["--accept-rescue-key", &rescue]);
    assert_failed_saying(
        &out,
        &["has 1024 MiB of memory; nixos-anywhere's kexec needs at least 1536 MiB"],
    );
    std::fs::write(m.state("arch"), "aarch64\n").unwrap();
    let out = w.install(&m, &["--accept-rescue-key", &rescue]);
    assert_failed_saying(
        &out,
        &[
            "the host is built for x86_64-linux (nixpkgs.hostPlatform, hosts/web1/configuration.nix:",
            "the rescue system's CPU is aarch64",
        ],
    );
    w.assert_not_installed();
    assert_eq!(w.leftovers(), Vec::<PathBuf>::new());
}

#[test]
fn a_disko_device_that_is_not_a_device_path_stops_before_any_connection() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine();
    let rescue = fingerprint(&m.host_pub());
    let disko = w.repo.join("hosts/web1/disko.nix");
    let original = std::fs::read_to_string(&disko).unwrap();
    assert!(original.contains("device = \"/dev/vda\";"), "{original}");
    let line = original.lines().position(|l| l.contains("device = ")).unwrap() + 1;
    // `#…` was a comment in the remote shell (lsblk then listed every disk and the check
    // passed); `--help` an option of lsblk.
    for device in ["#/dev/nvme9n9", "--help", "/dev/vda #", "/dev/../vda"] {
        std::fs::write(&disko, original.replace("\"/dev/vda\"", &format!("\"{device}\""))).unwrap();
        let out = w.install(&m, &["--accept-rescue-key", &rescue]);
        assert_failed_saying(
            &out,
            &[
                &format!(
                    "disko.devices.disk.main (hosts/web1/disko.nix:{line}): device `{device}` is not a device path"
                ),
                "nothing was run",
            ],
        );
        assert!(w.calls().is_empty(), "ran: {:?}", w.calls());
    }
    // A stable name is asked about with `--` before it, quoted as needed.
    std::fs::write(
        &disko,
        original.replace("\"/dev/vda\"", "\"/dev/disk/by-id/virtio-root\""),
    )
    .unwrap();
    std::fs::write(m.state("disk-paths"), "/dev/disk/by-id/virtio-root\n").unwrap();
    std::fs::write(m.state("anywhere-fail"), "").unwrap();
    let out = w.install(&m, &["--accept-rescue-key", &rescue]);
    assert_failed_saying(&out, &["Error: /dev/vda: device is busy"]);
    assert!(
        w.calls()
            .contains(&"ssh: lsblk -dn -o NAME -- /dev/disk/by-id/virtio-root".to_string()),
        "{:?}",
        w.calls()
    );
}

#[test]
fn a_failing_nixos_anywhere_is_reported_with_its_last_lines_and_leaves_no_key() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine();
    let rescue = fingerprint(&m.host_pub());
    let key = w.host_private_key();
    std::fs::write(m.state("anywhere-fail"), "").unwrap();
    let out = w.install(&m, &["--accept-rescue-key", &rescue]);
    assert_failed_saying(
        &out,
        &[
            "`nixos-anywhere --flake .#web1 --extra-files",
            "failed (exit code 1); last output:",
            "Error: /dev/vda: device is busy",
        ],
    );
    assert_eq!(w.leftovers(), Vec::<PathBuf>::new());
    w.assert_no_key_in(&key, &out.stdout, "stdout");
    w.assert_no_key_in(&key, &out.stderr, "stderr");
    assert!(!w.repo.join("known_hosts").exists());
}

#[test]
fn ctrl_c_during_nixos_anywhere_removes_the_decrypted_key() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine();
    let rescue = fingerprint(&m.host_pub());
    let key = w.host_private_key();
    std::fs::write(m.state("anywhere-sleep"), "30").unwrap();
    let child = w.spawn_install(&m, &["--accept-rescue-key", &rescue]);
    wait_for_call(&w, "extra-files 600");
    // While nixos-anywhere runs, the key is in the private temp dir, and only there.
    let during: Vec<PathBuf> = w.leftovers();
    assert!(
        during.iter().any(|p| p.ends_with("etc/ssh/ssh_host_ed25519_key")),
        "{during:?}"
    );
    let pressed = Instant::now();
    assert!(Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    assert!(
        pressed.elapsed() < Duration::from_secs(10),
        "took {:?}",
        pressed.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted (Ctrl-C)"), "{stderr}");
    assert_eq!(w.leftovers(), Vec::<PathBuf>::new());
    w.assert_no_key_in(&key, &stderr, "stderr");
}

/// A process that is gone (or only a zombie left for its new parent to reap).
fn process_gone(pid: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit(')').next().and_then(|r| r.split_whitespace().next());
        if matches!(state, None | Some("Z" | "X")) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends `signals` to `install` while nixos-anywhere runs (one that ignores SIGTERM when
/// `stubborn`), with age keys in the environment, and checks what is left: no decrypted key in
/// TMPDIR, no nixos-anywhere or its children, no age key variable in their environment.
fn signals_during_nixos_anywhere(signals: &[&str], stubborn: bool, code: i32, message: Option<&str>) {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine();
    let rescue = fingerprint(&m.host_pub());
    let key = w.host_private_key();
    std::fs::write(m.state("anywhere-sleep"), "30").unwrap();
    if stubborn {
        std::fs::write(m.state("anywhere-ignore-term"), "").unwrap();
    }
    const AGE_KEY: &str = "AGE-SECRET-KEY-1D88T3T22862F5SWX0V7M7CG9Q5T9FA90CCN9NVLJRCQATZ3WGL3QMR7CN4";
    let key_file = w.home.join("age-keys.txt");
    std::fs::write(&key_file, format!("{AGE_KEY}\n")).unwrap();
    let target = w.target(&m);
    let child = w
        .command(
            &w.repo,
            &["install", "web1", "--target", &target, "--accept-rescue-key", &rescue],
            Some(&m),
        )
        .env("SOPS_AGE_KEY", AGE_KEY)
        .env("SOPS_AGE_KEY_FILE", &key_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_call(&w, "extra-files 600");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !m.state("anywhere-sleep-pid").exists() {
        assert!(Instant::now() < deadline, "nixos-anywhere never slept");
        std::thread::sleep(Duration::from_millis(50));
    }
    let anywhere = m.read_state("anywhere-pid");
    let sleeper = m.read_state("anywhere-sleep-pid");
    // The key is in the private temp dir while nixos-anywhere runs.
    assert!(
        w.leftovers()
            .iter()
            .any(|p| p.ends_with("etc/ssh/ssh_host_ed25519_key")),
        "{:?}",
        w.leftovers()
    );
    // Not dumpable: its /proc files belong to root (visible when the tests do not run as root).
    if current_user() != "root" {
        use std::os::unix::fs::MetadataExt;
        let owner = std::fs::metadata(format!("/proc/{}/environ", child.id()))
            .unwrap()
            .uid();
        assert_eq!(owner, 0, "nixpilot is dumpable while it holds the host key");
    }
    let pressed = Instant::now();
    for (i, signal) in signals.iter().enumerate() {
        if i > 0 {
            // The second one comes while the first one's cleanup waits for nixos-anywhere.
            std::thread::sleep(Duration::from_millis(300));
        }
        assert!(Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap()
            .success());
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        pressed.elapsed() < Duration::from_secs(10),
        "took {:?}",
        pressed.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    if let Some(message) = message {
        assert!(stderr.contains(message), "{stderr}");
    }
    assert_eq!(w.leftovers(), Vec::<PathBuf>::new());
    assert!(process_gone(&anywhere), "nixos-anywhere ({anywhere}) still runs");
    assert!(process_gone(&sleeper), "its child ({sleeper}) still runs");
    w.assert_no_key_in(&key, &stderr, "stderr");
    let calls = w.calls();
    assert!(!calls.iter().any(|c| c.starts_with("child-env")), "{calls:?}");
}

#[test]
fn sigterm_during_nixos_anywhere_ends_it_and_removes_the_key() {
    signals_during_nixos_anywhere(&["TERM"], false, 143, Some("interrupted (SIGTERM)"));
}

#[test]
fn sighup_during_nixos_anywhere_ends_it_and_removes_the_key() {
    signals_during_nixos_anywhere(&["HUP"], false, 129, Some("interrupted (SIGHUP)"));
}

#[test]
fn sigquit_during_nixos_anywhere_ends_it_and_removes_the_key() {
    signals_during_nixos_anywhere(&["QUIT"], false, 131, Some("interrupted (SIGQUIT)"));
}

#[test]
fn sigint_ends_a_nixos_anywhere_that_ignores_sigterm_after_the_grace_period() {
    signals_during_nixos_anywhere(&["INT"], true, 130, Some("interrupted (Ctrl-C)"));
}

#[test]
fn a_second_ctrl_c_during_the_cleanup_still_ends_nixos_anywhere_and_removes_the_key() {
    signals_during_nixos_anywhere(&["INT", "INT"], true, 130, None);
}

#[test]
fn a_host_that_comes_back_with_another_key_is_refused_with_both_fingerprints() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine();
    let rescue = fingerprint(&m.host_pub());
    // The "installed" system keeps presenting the rescue key (the new key did not take).
    let config = std::fs::read_to_string(m.dir.join("sshd_config")).unwrap();
    std::fs::write(
        m.dir.join("sshd_config_wrong"),
        config.replace("sshd.pid", "installed.pid"),
    )
    .unwrap();
    let out = output(
        w.command(
            &w.repo,
            &[
                "install",
                "web1",
                "--target",
                &w.target(&m),
                "--accept-rescue-key",
                &rescue,
                "--wait-timeout",
                "3",
            ],
            Some(&m),
        )
        .env("SSHD_CONFIG_AFTER", "sshd_config_wrong")
        .output()
        .unwrap(),
    );
    let pinned = fingerprint(&w.repo.join("hosts/web1/ssh_host_ed25519_key.pub"));
    assert_failed_saying(&out, &[&format!("expected: {pinned}"), &format!("presented: {rescue}")]);
    assert!(!w.repo.join("known_hosts").exists());
    assert_eq!(w.leftovers(), Vec::<PathBuf>::new());
}

#[test]
fn an_installed_host_is_not_wiped_without_asking_and_dry_run_runs_nothing() {
    if !tools_present() {
        return;
    }
    let w = World::new();
    let m = w.machine();
    // The machine already presents the host's own key: it runs the installed system.
    std::fs::copy(m.host_pub(), w.repo.join("hosts/web1/ssh_host_ed25519_key.pub")).unwrap();
    let out = w.install(&m, &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("already presents the host's own key") && out.stderr.contains("nixpilot deploy web1"),
        "{}",
        out.stderr
    );
    assert!(w.calls().is_empty(), "{:?}", w.calls());

    let other = w.tmp.path().join("other");
    keygen(&other, "x");
    let out = w.nixpilot(&[
        "install",
        "web1",
        "--target",
        &w.target(&m),
        "--dry-run",
        "--",
        "--build-on",
        "remote",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for needle in [
        "web1 -> ",
        "1. preflight",
        "lsblk -dn -o NAME: the disks disko formats are there (/dev/vda)",
        "2. extra-files",
        "nixos-anywhere --flake .#web1 --extra-files '<extra-files>'",
        "--build-on remote --target-host",
        "4. wait",
        "5. record",
        "dry run: nothing was run",
    ] {
        assert!(out.stdout.contains(needle), "missing {needle:?} in:\n{}", out.stdout);
    }
    let plan = w.nixpilot(&[
        "plan",
        "install",
        "web1",
        "--target",
        &w.target(&m),
        "--",
        "--build-on",
        "remote",
    ]);
    assert_eq!(plan.stdout, out.stdout);
    assert!(w.calls().is_empty(), "{:?}", w.calls());
}

#[test]
fn the_editor_action_installs_after_showing_the_rescue_key() {
    if !tools_present() {
        return;
    }
    use serde_json::json;
    let w = World::new();
    let m = w.machine();
    let rescue = fingerprint(&m.host_pub());
    let key = w.host_private_key();
    let mut c = common::lsp_client::Client::spawn(w.command(&w.repo, &["lsp"], Some(&m)), None);
    c.initialize();
    let path = w.repo.join("hosts/web1/configuration.nix");
    let uri = format!("file://{}", path.display());
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "nix", "version": 1,
                                "text": std::fs::read_to_string(&path).unwrap()}}),
    );
    let _ = c.diagnostics(&uri, Some(1));
    let zero = json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}});
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": zero, "context": {"diagnostics": []}}),
    );
    let install = actions["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Install web1…")
        .cloned()
        .expect("Install web1…");
    assert_eq!(install["kind"], "source.nixpilot.install");
    // The editor adds the rescue system's address (VS Code asks for it in an input box).
    let mut arguments = install["command"]["arguments"].as_array().unwrap().clone();
    arguments.push(json!(w.target(&m)));
    let done = c.request(
        "workspace/executeCommand",
        json!({"command": "nixpilot.install", "arguments": arguments}),
    );
    assert!(done.get("error").is_none(), "{done}");
    let asked = c.wait_for(|m| m["method"] == "window/showMessageRequest");
    let question = asked["params"]["message"].as_str().unwrap();
    assert!(
        question.starts_with(&format!("Install web1 on {} (target from --target)", w.target(&m)))
            && question.contains("ERASES /dev/vda")
            && question.contains(&rescue),
        "{question}"
    );
    let shown = c.wait_for(|m| m["method"] == "window/showMessage");
    assert!(
        shown["params"]["message"].as_str().unwrap().contains("web1: installed"),
        "{shown}"
    );
    assert!(
        w.calls().iter().any(|c| c.starts_with("nixos-anywhere")),
        "{:?}",
        w.calls()
    );
    assert!(w.repo.join("known_hosts").exists());
    // Progress came as log lines; no key in anything the server sent, no key left in TMPDIR.
    assert!(c.log.iter().any(|m| m.contains("Installing NixOS")), "{:?}", c.log);
    w.assert_no_key_in(&key, &c.log.join("\n"), "the LSP message stream");
    assert_eq!(w.leftovers(), Vec::<PathBuf>::new());
}
