//! A real OpenSSH server on 127.0.0.1 standing in for a machine (a NixOS host, or a rescue
//! system before `install`), with recording stand-ins for the NixOS tools its sessions run.
//!
//! The stand-ins reach sshd's sessions through `ForceCommand`: a wrapper script that puts their
//! directory first on PATH, records the command ssh asked for, and runs it with `sh -c`. The
//! machine's state (where the system profile points, which disks it has) is files they read.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const OLD_SYSTEM: &str = "/nix/store/00000000000000000000000000000000-nixos-system-old";

pub fn new_system(host: &str) -> String {
    format!("/nix/store/11111111111111111111111111111111-nixos-system-{host}")
}

/// Whether sshd and the ssh tools are here; under CI their absence is a failure.
pub fn tools_present() -> bool {
    let present = Path::new(SSHD).exists() && which("ssh") && which("ssh-keygen");
    if !present && std::env::var_os("CI").is_some() {
        panic!("CI is set but {SSHD}, ssh or ssh-keygen is missing: install openssh-server (.ci/packages)");
    }
    if !present {
        eprintln!("skipping: {SSHD}, ssh or ssh-keygen missing (Debian: apt install openssh-server)");
    }
    present
}

pub const SSHD: &str = "/usr/sbin/sshd";

pub fn which(program: &str) -> bool {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).any(|d| d.join(program).is_file())
}

pub fn keygen(path: &Path, comment: &str) {
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen");
    assert!(st.success());
}

pub fn fingerprint(pub_file: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(pub_file)
        .output()
        .expect("ssh-keygen -l");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split_whitespace().nth(1).expect("fingerprint").to_string()
}

pub fn write_exe(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().expect("id -un");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// One "machine": an sshd on 127.0.0.1 with its host key, its remote stand-ins and state.
pub struct Machine {
    pub dir: PathBuf,
    pub port: u16,
    child: Child,
}

impl Machine {
    pub fn start(dir: &Path, log: &Path, user_pub: &Path) -> Machine {
        std::fs::create_dir_all(dir).unwrap();
        let dir = dir.canonicalize().unwrap();
        keygen(&dir.join("host_ed25519"), "host");
        std::fs::copy(user_pub, dir.join("authorized_keys")).unwrap();
        let state = dir.join("state");
        std::fs::create_dir_all(&state).unwrap();
        std::fs::write(state.join("system"), format!("{OLD_SYSTEM}\n")).unwrap();
        let bin = dir.join("remote-bin");
        std::fs::create_dir_all(&bin).unwrap();
        let log = log.display();
        write_exe(
            &dir.join("force-command"),
            &format!(
                "#!/bin/sh\nexport PATH={bin}:$PATH STATE={state} LOG={log}\n\
                 printf 'ssh: %s\\n' \"$SSH_ORIGINAL_COMMAND\" >> \"$LOG\"\nexec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"\n",
                bin = bin.display(),
                state = state.display(),
            ),
        );
        write_exe(
            &bin.join("readlink"),
            r#"#!/bin/sh
if [ "$1" = -f ]; then
  case "$2" in
  /nix/var/nix/profiles/system) cat "$STATE/system";;
  /run/current-system) cat "$STATE/current";;
  /run/booted-system) cat "$STATE/booted" 2>/dev/null || cat "$STATE/current";;
  *) exec /bin/readlink "$@";;
  esac
else
  case "$1" in
  /nix/var/nix/profiles/system) echo "system-$(cat "$STATE/generation" 2>/dev/null || echo 41)-link";;
  *) exec /bin/readlink "$@";;
  esac
fi
"#,
        );
        write_exe(
            &bin.join("nix-env"),
            "#!/bin/sh\nif [ \"$3\" = --set ]; then echo \"$4\" > \"$STATE/system\"\n\
             g=$(cat \"$STATE/generation\" 2>/dev/null || echo 41); echo $((g + 1)) > \"$STATE/generation\"; fi\nexit 0\n",
        );
        write_exe(&bin.join("nix-daemon"), "#!/bin/sh\ncat > /dev/null\n");
        // Like a real transient unit, the activation does not belong to the SSH session: it
        // runs detached (setsid) and the foreground only waits for it, so a dropped connection
        // leaves it running; `systemctl is-active --quiet UNIT` sees it while it runs.
        write_exe(
            &bin.join("systemd-run"),
            r#"#!/bin/sh
unit=
while [ "$1" != -- ]; do
  case "$1" in -E) export "$2"; shift 2;; --unit=*) unit="${1#--unit=}"; shift;; *) shift;; esac
done
shift
TOPLEVEL="${1%/bin/switch-to-configuration}"; export TOPLEVEL; shift
u="$STATE/units/$unit"; mkdir -p "$STATE/units"; touch "$u"
setsid sh -c 'switch-to-configuration "$@" > "$0.out" 2>&1; echo $? > "$0.rc"; rm -f "$0"' "$u" "$@" \
  < /dev/null > /dev/null 2>&1 &
while [ -e "$u" ]; do sleep 0.1; done
cat "$u.out" >&2
exit "$(cat "$u.rc")"
"#,
        );
        write_exe(
            &bin.join("systemctl"),
            r#"#!/bin/sh
case "$1" in
is-active) [ -e "$STATE/units/$3" ];;
list-units) cat "$STATE/failed-units" 2>/dev/null; exit 0;;
*) exit 1;;
esac
"#,
        );
        write_exe(
            &bin.join("switch-to-configuration"),
            &format!("#!/bin/sh\necho \"switch-to-configuration $* toplevel=$TOPLEVEL EXPECTED_HOSTNAME=$EXPECTED_HOSTNAME\" >> \"$LOG\"\n\
             [ -f \"$STATE/sleep\" ] && [ \"$TOPLEVEL\" != {OLD_SYSTEM} ] && sleep \"$(cat \"$STATE/sleep\")\"\n\
             if [ -f \"$STATE/fail-switch\" ] && [ \"$(cat \"$STATE/fail-switch\")\" = \"$TOPLEVEL\" ]; then\n\
             echo 'warning: the following units failed: broken.service' >&2; exit 4; fi\n\
             echo \"$TOPLEVEL\" > \"$STATE/current\"\n\
             [ \"$TOPLEVEL\" != {OLD_SYSTEM} ] && [ -f \"$STATE/break-units\" ] && cat \"$STATE/break-units\" >> \"$STATE/failed-units\"\n\
             exit 0\n"),
        );
        // What a rescue system is asked before an install: its disks, memory and CPU.
        write_exe(
            &bin.join("lsblk"),
            r#"#!/bin/sh
# lsblk -dn -o NAME [-- PATH]: the kernel names in $STATE/disks, or whether PATH is one of $STATE/disk-paths
if [ $# -ge 4 ]; then
  for p; do :; done
  grep -qx -- "$p" "$STATE/disk-paths" 2>/dev/null && { basename -- "$p"; exit 0; }
  echo "lsblk: $p: not a block device" >&2; exit 32
fi
cat "$STATE/disks"
"#,
        );
        std::fs::write(state.join("disks"), "vda\nloop0\n").unwrap();
        write_exe(
            &bin.join("cat"),
            "#!/bin/sh\n[ \"$1\" = /proc/meminfo ] && [ -f \"$STATE/meminfo\" ] && exec /bin/cat \"$STATE/meminfo\"\nexec /bin/cat \"$@\"\n",
        );
        write_exe(
            &bin.join("uname"),
            "#!/bin/sh\n[ \"$1\" = -m ] && [ -f \"$STATE/arch\" ] && exec /bin/cat \"$STATE/arch\"\nexec /bin/uname \"$@\"\n",
        );
        let port = free_port();
        // The same server after an install: the host key nixos-anywhere put under mnt/.
        for (name, host_key, pid) in [
            ("sshd_config", "host_ed25519", "sshd.pid"),
            (
                "sshd_config_installed",
                "mnt/etc/ssh/ssh_host_ed25519_key",
                "installed.pid",
            ),
        ] {
            std::fs::write(
                dir.join(name),
                format!(
                    "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/{host_key}\nPidFile {d}/{pid}\n\
                     AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n\
                     KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\n\
                     ForceCommand {d}/force-command\nLogLevel ERROR\n",
                    d = dir.display()
                ),
            )
            .unwrap();
        }
        let config = dir.join("sshd_config");
        // Running as root, sshd wants its privilege-separation directory.
        if current_user() == "root" {
            let _ = std::fs::create_dir_all("/run/sshd");
        }
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("sshd.log")).unwrap())
            .spawn()
            .expect("start sshd");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "sshd did not listen on 127.0.0.1:{port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Machine { dir, port, child }
    }

    /// Drops every SSH connection: kills the per-connection sshd processes under this
    /// server (not the server itself, and not the detached activation).
    pub fn drop_connections(&self) {
        let mut tree = vec![self.child.id()];
        let mut found = true;
        while found {
            found = false;
            for entry in std::fs::read_dir("/proc").unwrap().flatten() {
                let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
                let ppid = stat
                    .rsplit(')')
                    .next()
                    .and_then(|r| r.split_whitespace().nth(1))
                    .and_then(|p| p.parse().ok());
                if ppid.is_some_and(|p: u32| tree.contains(&p)) && !tree.contains(&pid) {
                    tree.push(pid);
                    found = true;
                }
            }
        }
        for pid in &tree[1..] {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.trim() == "sshd" {
                let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            }
        }
    }

    pub fn host_pub(&self) -> PathBuf {
        self.dir.join("host_ed25519.pub")
    }

    pub fn state(&self, name: &str) -> PathBuf {
        self.dir.join("state").join(name)
    }

    pub fn read_state(&self, name: &str) -> String {
        std::fs::read_to_string(self.state(name))
            .unwrap_or_default()
            .trim()
            .to_string()
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The server an install's "reboot" started in its place.
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("installed.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}
