//! Local programs, spawned for real from PATH: output streamed line by line as events and kept
//! for the caller, a timeout, Ctrl-C kills the child, a missing program names what to install.
//! Children never inherit the age key variables, and the process is kept from being dumped.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{Context, Event, PipelineError, Stream};

/// How many of a failed command's last lines an error shows.
const TAIL_LINES: usize = 15;

/// The first arguments of every `nix` nixpilot runs: the `nix` command and flakes are still
/// experimental, and a stock Nix (nothing in nix.conf) refuses them without these two words.
pub const NIX_FEATURES: [&str; 2] = ["--extra-experimental-features", "nix-command flakes"];

/// A `nix` command with `NIX_FEATURES` in front of `args`.
pub fn nix(args: impl IntoIterator<Item = impl Into<String>>) -> Cmd {
    let features = NIX_FEATURES.iter().map(|a| a.to_string());
    Cmd::new("nix", features.chain(args.into_iter().map(Into::into)))
}

/// What to install when `program` is missing.
pub fn install_hint(program: &str) -> &'static str {
    match program {
        "nix" | "nix-copy-closure" => {
            "install Nix with flakes (https://nixos.org/download, Debian: apt install nix-bin) or run nixpilot inside `nix --extra-experimental-features 'nix-command flakes' develop`"
        }
        "nixos-anywhere" => "run nixpilot inside `nix --extra-experimental-features 'nix-command flakes' develop` (the devshell has nixos-anywhere) or `nix --extra-experimental-features 'nix-command flakes' profile install nixpkgs#nixos-anywhere`",
        "ssh" | "ssh-keygen" => "install the OpenSSH client (Debian: apt install openssh-client)",
        _ => "install it or put it on PATH",
    }
}

/// The first executable `program` on `path` (the PATH value), as the OS would run it.
pub fn find_on_path(program: &str, path: Option<OsString>) -> Option<PathBuf> {
    if program.contains('/') {
        return is_executable(Path::new(program)).then(|| PathBuf::from(program));
    }
    std::env::split_paths(&path?)
        .map(|dir| dir.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A command to run: program, arguments, extra environment, optional time limit.
#[derive(Debug, Clone)]
pub struct Cmd {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub dir: Option<PathBuf>,
    pub timeout: Option<Duration>,
    /// Shown instead of the real command line (ssh's long option list hides what runs).
    pub display: Option<String>,
    /// Picks the lines that mark a phase (nixos-anywhere's `### Installing NixOS ###`) and
    /// turns them into progress messages, besides the output lines they also are.
    pub phase: Option<fn(&str) -> Option<String>>,
    /// Keep the output for the caller without streaming it as events (HTTP bodies).
    pub quiet: bool,
}

impl Cmd {
    pub fn new(program: &str, args: impl IntoIterator<Item = impl Into<String>>) -> Cmd {
        Cmd {
            program: program.to_string(),
            args: args.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            dir: None,
            timeout: None,
            display: None,
            phase: None,
            quiet: false,
        }
    }

    pub fn line(&self) -> String {
        if let Some(d) = &self.display {
            return d.clone();
        }
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .map(shell_quote)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Quotes a word for a POSIX shell when it needs it: the one quoting of every argument of a
/// remote command line (and of the command lines shown). A `#` that starts a word starts a
/// comment (`#/dev/sda` would vanish from the command), so such a word is quoted.
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.starts_with('#')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+%^#".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A finished command.
#[derive(Debug)]
pub struct Finished {
    pub code: Option<i32>,
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
}

impl Finished {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// The last lines of both streams, for error messages.
    pub fn tail(&self) -> Vec<String> {
        let all: Vec<&String> = self.stdout.iter().chain(&self.stderr).collect();
        all[all.len().saturating_sub(TAIL_LINES)..]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    pub fn status_text(&self) -> String {
        match self.code {
            Some(c) => format!("exit code {c}"),
            None => "killed by a signal".into(),
        }
    }
}

/// Runs `cmd` to its end, streaming its lines to the context's sink. A non-zero exit is not an
/// error here (callers decide); a missing program, a timeout and Ctrl-C are.
pub fn run(cmd: &Cmd, cx: &Context<'_>) -> Result<Finished, PipelineError> {
    let path = cmd
        .env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| OsString::from(v))
        .or_else(|| std::env::var_os("PATH"));
    let Some(program) = find_on_path(&cmd.program, path) else {
        return Err(PipelineError::ProgramMissing {
            program: cmd.program.clone(),
            hint: install_hint(&cmd.program),
        });
    };
    cx.emit(Event::Command { line: cmd.line() });
    let mut command = Command::new(&program);
    without_age_keys(&mut command);
    command
        .args(&cmd.args)
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: the terminal's Ctrl-C reaches nixpilot only, which then stops
        // the child and cleans up instead of both dying half-way.
        .process_group(0);
    if let Some(dir) = &cmd.dir {
        command.current_dir(dir);
    }
    let mut child = command.spawn().map_err(|source| PipelineError::Spawn {
        program: cmd.program.clone(),
        source,
    })?;
    // Known to a second Ctrl-C, which kills the group if the normal stop below hangs.
    let _tracked = super::cancel::ChildGroup::track(child.id() as libc::pid_t);

    let (tx, rx) = mpsc::channel::<(Stream, String)>();
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|o| (Stream::Stdout, Box::new(o) as Box<dyn Read + Send>)),
        child
            .stderr
            .take()
            .map(|e| (Stream::Stderr, Box::new(e) as Box<dyn Read + Send>)),
    ]
    .into_iter()
    .flatten()
    .map(|(stream, reader)| {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).split(b'\n') {
                let Ok(line) = line else { break };
                let text = String::from_utf8_lossy(&line).trim_end_matches('\r').to_string();
                if tx.send((stream, text)).is_err() {
                    break;
                }
            }
        })
    })
    .collect();
    drop(tx);

    let started = Instant::now();
    let mut out = Finished {
        code: None,
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    let take = |out: &mut Finished, (stream, line): (Stream, String)| {
        if !cmd.quiet {
            cx.emit(Event::Output {
                stream,
                line: line.clone(),
            });
        }
        if let Some(message) = cmd.phase.and_then(|phase| phase(&line)) {
            cx.emit(Event::Progress { message });
        }
        match stream {
            Stream::Stdout => out.stdout.push(line),
            Stream::Stderr => out.stderr.push(line),
        }
    };
    let status = loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(item) => take(&mut out, item),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // Both pipes closed: the child is exiting (or a grandchild closed them).
            Err(mpsc::RecvTimeoutError::Disconnected) => std::thread::sleep(Duration::from_millis(20)),
        }
        let stop = if cx.cancel.is_set() {
            Some(PipelineError::Interrupted)
        } else {
            cmd.timeout
                .filter(|t| started.elapsed() > *t)
                .map(|after| PipelineError::TimedOut {
                    command: cmd.line(),
                    after,
                    tail: Vec::new(),
                })
        };
        if let Some(err) = stop {
            kill_group(&mut child);
            let tail = {
                let _ = child.wait();
                out.tail()
            };
            return Err(match err {
                PipelineError::TimedOut { command, after, .. } => PipelineError::TimedOut { command, after, tail },
                e => e,
            });
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(source) => {
                return Err(PipelineError::Spawn {
                    program: cmd.program.clone(),
                    source,
                })
            }
        }
    };
    // The child is gone; collect what is still in the pipes (a grandchild holding them open
    // must not block us forever, hence the bound).
    let deadline = Instant::now() + Duration::from_secs(2);
    while let Ok(item) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        take(&mut out, item);
    }
    for r in readers {
        if r.is_finished() {
            let _ = r.join();
        }
    }
    out.code = status.code();
    Ok(out)
}

/// Runs `cmd` and turns a non-zero exit into `PipelineError::Failed`.
pub fn run_ok(cmd: &Cmd, cx: &Context<'_>) -> Result<Finished, PipelineError> {
    let out = run(cmd, cx)?;
    if out.success() {
        Ok(out)
    } else {
        Err(PipelineError::Failed {
            command: cmd.line(),
            status: out.status_text(),
            tail: out.tail(),
        })
    }
}

/// How long a stopped child's group has to exit after SIGTERM before it gets SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(2);

/// Stops the child and everything it started (its process group): SIGTERM, then SIGKILL for
/// whatever is left of the group after the grace period (a grandchild that outlived its parent
/// or ignores SIGTERM included).
fn kill_group(child: &mut std::process::Child) {
    let group = child.id() as libc::pid_t;
    // SAFETY: plain kill(2) on the group we created for this child.
    unsafe { libc::kill(-group, libc::SIGTERM) };
    let deadline = Instant::now() + KILL_GRACE;
    let mut reaped = false;
    while Instant::now() < deadline {
        reaped = reaped || matches!(child.try_wait(), Ok(Some(_)));
        // SAFETY: signal 0 only asks whether the group still has a member.
        if reaped && unsafe { libc::kill(-group, 0) } != 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: as above.
    unsafe { libc::kill(-group, libc::SIGKILL) };
    let _ = child.wait();
}

/// Stops `child` and every process below it (found through `/proc`), for a child that shares
/// our process group and so cannot be stopped as one (the editor of `secrets edit`, which needs
/// the terminal: `sh -c` forks the editor rather than exec it). SIGTERM, a grace period, then
/// SIGKILL for what is left.
pub fn stop_tree(child: &mut std::process::Child) {
    let tree = descendants(child.id());
    for pid in &tree {
        // SAFETY: kill(2) on processes found below our own child a moment ago.
        unsafe { libc::kill(*pid as libc::pid_t, libc::SIGTERM) };
    }
    let deadline = Instant::now() + KILL_GRACE;
    let mut reaped = false;
    while Instant::now() < deadline {
        reaped = reaped || matches!(child.try_wait(), Ok(Some(_)));
        if reaped && tree[1..].iter().all(|p| !running(*p)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    for pid in tree.iter().filter(|p| running(**p)) {
        // SAFETY: as above.
        unsafe { libc::kill(*pid as libc::pid_t, libc::SIGKILL) };
    }
    let _ = child.wait();
}

/// `root` and the processes below it, by their parent pids in `/proc/<pid>/stat`.
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let ppid = stat.rsplit(')').next()?.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(parents.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
        i += 1;
    }
    tree
}

/// Whether `pid` runs (a zombie waiting for its parent does not).
fn running(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat.rsplit(')').next().and_then(|r| r.split_whitespace().next());
    !matches!(state, None | Some("Z" | "X"))
}

/// The variables that hold age keys or say where they are (`SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`,
/// `SOPS_AGE_KEY_CMD`, `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, …): nixpilot reads them itself, and no
/// child (nix, ssh, nixos-anywhere, an editor) has any use for them, so none inherits them.
pub fn without_age_keys(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.as_encoded_bytes().starts_with(b"SOPS_AGE_") {
            command.env_remove(name);
        }
    }
}

/// Makes the process non-dumpable: no core file (which would hold decrypted keys and secret
/// values), and /proc/<pid>/mem, environ and ptrace closed to other processes of the same user.
/// Set once, at the start of every command that may load a private key: keys are decrypted at
/// several places and may sit in freed memory afterwards, so "while keys are in memory" is the
/// whole run. Programs it starts are dumpable again (exec resets the flag).
pub fn forbid_dumps() -> std::io::Result<()> {
    // SAFETY: prctl(PR_SET_DUMPABLE, 0) only changes this process's flag.
    if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Whether the process may be dumped (`PR_GET_DUMPABLE`); only the process itself can ask.
pub fn is_dumpable() -> bool {
    // SAFETY: prctl(PR_GET_DUMPABLE) reads this process's flag.
    unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) == 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_the_shell_would_read_otherwise_are_quoted() {
        assert_eq!(shell_quote("/dev/sda"), "/dev/sda");
        assert_eq!(shell_quote(".#web1"), ".#web1");
        assert_eq!(shell_quote("#/dev/nvme9n9"), "'#/dev/nvme9n9'");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$(id)"), "'$(id)'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn a_process_that_forbids_dumps_is_no_longer_dumpable() {
        // The flag is per process: the test binary gives up its dumps, nothing else changes.
        forbid_dumps().unwrap();
        assert!(!is_dumpable());
    }
}
