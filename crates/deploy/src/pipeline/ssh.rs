//! Remote commands through the system OpenSSH client, with the host key pinned: a generated
//! known_hosts file holding only the repository's key, and options that make ssh refuse any other.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::process::{self, shell_quote, Cmd, Finished};
use super::{Context, PipelineError};

/// The pinned public key from `hosts/<h>/ssh_host_ed25519_key.pub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedKey {
    /// `ssh-ed25519 AAAA…` without the comment.
    pub key: String,
    pub file: String,
}

impl PinnedKey {
    /// Reads an OpenSSH `.pub` line; only ssh-ed25519 (what `host add` writes, and what the
    /// host is told to present).
    pub fn parse(text: &str, file: &str) -> Result<PinnedKey, String> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'));
        let mut words = line.ok_or_else(|| format!("{file} is empty"))?.split_whitespace();
        let (Some(kind), Some(b64)) = (words.next(), words.next()) else {
            return Err(format!("{file}: expected `ssh-ed25519 AAAA…`"));
        };
        if kind != "ssh-ed25519" {
            return Err(format!(
                "{file}: the host key is {kind}; nixpilot pins ssh-ed25519 host keys"
            ));
        }
        let blob = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| format!("{file}: the key is not valid base64"))?;
        // string "ssh-ed25519" (4 + 11 bytes) then string key (4 + 32 bytes).
        if blob.len() != 51 || &blob[4..15] != b"ssh-ed25519" {
            return Err(format!("{file}: not an ssh-ed25519 public key"));
        }
        Ok(PinnedKey {
            key: format!("{kind} {b64}"),
            file: file.to_string(),
        })
    }

    /// `SHA256:…`, as `ssh-keygen -l` and ssh's own messages print it.
    pub fn fingerprint(&self) -> String {
        let b64 = self.key.split_whitespace().nth(1).unwrap_or_default();
        let blob = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_default();
        let digest = Sha256::digest(&blob);
        format!(
            "SHA256:{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
        )
    }
}

/// Where to connect: `user@host` and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub user: String,
    pub host: String,
    pub port: Option<u16>,
}

impl Target {
    /// `[user@]host[:port]`, with IPv6 addresses in brackets (`root@[2001:db8::1]:22`).
    /// The user defaults to root: activation needs it.
    pub fn parse(s: &str) -> Result<Target, String> {
        let (user, rest) = match s.rsplit_once('@') {
            Some((u, r)) => (u.to_string(), r),
            None => ("root".to_string(), s),
        };
        let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
            let (h, after) = inner.split_once(']').ok_or_else(|| format!("`{s}`: missing `]`"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(format!("`{s}`: unexpected `{after}` after the address")),
            };
            (h.to_string(), port)
        } else if rest.matches(':').count() == 1 {
            let (h, p) = rest.split_once(':').unwrap_or((rest, ""));
            (h.to_string(), Some(p))
        } else {
            (rest.to_string(), None)
        };
        let port = port
            .map(|p| p.parse::<u16>().map_err(|_| format!("`{s}`: `{p}` is not a port")))
            .transpose()?;
        let valid = |w: &str| !w.is_empty() && !w.starts_with('-') && !w.chars().any(|c| c.is_whitespace() || c == '/');
        if !valid(&user) || !valid(&host) {
            return Err(format!(
                "`{s}` is not a target like root@203.0.113.10 or root@host.example:2222"
            ));
        }
        Ok(Target { user, host, port })
    }

    /// `user@host` as ssh and nix store URIs take it.
    pub fn user_host(&self) -> String {
        format!("{}@{}", self.user, self.host)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(p) => write!(f, "{}@{host}:{p}", self.user),
            None => write!(f, "{}@{host}", self.user),
        }
    }
}

/// SSH settings shared by every connection to one host.
#[derive(Debug, Clone)]
pub struct SshConfig {
    pub host_name: String,
    pub target: Target,
    pub pinned: PinnedKey,
    /// `--identity`; without it ssh uses the agent and its default key files.
    pub identity: Option<PathBuf>,
    /// TCP connect plus SSH banner exchange; also the bound for short remote commands.
    pub connect_timeout: Duration,
}

/// An SSH destination with its pinned known_hosts file written (in a private temp dir that
/// the pipeline removes on every exit path).
pub struct Ssh {
    pub config: SshConfig,
    known_hosts: PathBuf,
}

impl Ssh {
    /// Writes the known_hosts file into `dir` (0700, owned by the caller's cleanup).
    pub fn new(config: SshConfig, dir: &Path) -> Result<Ssh, PipelineError> {
        let known_hosts = dir.join("known_hosts");
        std::fs::write(
            &known_hosts,
            format!("{} {}\n", alias(&config.host_name), config.pinned.key),
        )
        .map_err(|e| PipelineError::Host {
            host: config.host_name.clone(),
            message: format!("cannot write {}: {e}", known_hosts.display()),
        })?;
        Ok(Ssh { config, known_hosts })
    }

    /// The options every ssh process gets (ssh itself, `nix copy` via NIX_SSHOPTS). The key is
    /// checked against the alias, not the address, so the pin holds whatever address or port
    /// the host is reached at; only ed25519 is offered, so the host cannot pick another key.
    pub fn options(&self) -> Vec<String> {
        let mut o: Vec<String> = [
            "BatchMode=yes".to_string(),
            "StrictHostKeyChecking=yes".into(),
            format!("UserKnownHostsFile={}", self.known_hosts.display()),
            "GlobalKnownHostsFile=/dev/null".into(),
            format!("HostKeyAlias={}", alias(&self.config.host_name)),
            "HostKeyAlgorithms=ssh-ed25519".into(),
            "CheckHostIP=no".into(),
            "UpdateHostKeys=no".into(),
            format!("ConnectTimeout={}", self.config.connect_timeout.as_secs().max(1)),
            // A connection that dies mid-activation is noticed within 30 s instead of never.
            "ServerAliveInterval=5".into(),
            "ServerAliveCountMax=6".into(),
        ]
        .into_iter()
        .flat_map(|opt| ["-o".to_string(), opt])
        .collect();
        if let Some(id) = &self.config.identity {
            o.extend([
                "-i".to_string(),
                id.display().to_string(),
                "-o".into(),
                "IdentitiesOnly=yes".into(),
            ]);
        }
        if let Some(port) = self.config.target.port {
            o.extend(["-p".to_string(), port.to_string()]);
        }
        o
    }

    /// The `ssh … user@host -- command` invocation for `argv` (quoted for the remote shell).
    pub fn command(&self, argv: &[&str], timeout: Option<Duration>) -> Cmd {
        let remote = argv.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" ");
        let mut args = self.options();
        args.extend([self.config.target.user_host(), "--".into(), remote.clone()]);
        let mut cmd = Cmd::new("ssh", args);
        cmd.timeout = timeout;
        cmd.display = Some(format!("ssh {} {remote}", self.config.target));
        cmd
    }

    /// Runs `argv` on the host; a refused host key becomes `HostKeyMismatch` with both
    /// fingerprints, a dead or silent host a timeout error.
    pub fn run(&self, argv: &[&str], timeout: Option<Duration>, cx: &Context<'_>) -> Result<Finished, PipelineError> {
        let cmd = self.command(argv, timeout);
        let out = process::run(&cmd, cx)?;
        // 255 is ssh's own failure (connection, authentication, host key), not the command's.
        if out.code == Some(255) {
            return Err(self.ssh_failure(&cmd, &out));
        }
        Ok(out)
    }

    /// `run`, with a non-zero exit of the remote command as an error.
    pub fn run_ok(
        &self,
        argv: &[&str],
        timeout: Option<Duration>,
        cx: &Context<'_>,
    ) -> Result<Finished, PipelineError> {
        let cmd = self.command(argv, timeout);
        let out = self.run(argv, timeout, cx)?;
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

    fn ssh_failure(&self, cmd: &Cmd, out: &Finished) -> PipelineError {
        if out.stderr.iter().any(|l| l.contains("Host key verification failed")) {
            return PipelineError::HostKeyMismatch {
                host: self.config.host_name.clone(),
                target: self.config.target.to_string(),
                pinned_file: self.config.pinned.file.clone(),
                expected: self.config.pinned.fingerprint(),
                presented: presented_fingerprint(&out.stderr).unwrap_or_else(|| "(not shown by ssh)".into()),
            };
        }
        let timed_out = out
            .stderr
            .iter()
            .any(|l| l.contains("timed out") || l.contains("Connection timed out"));
        if timed_out {
            return PipelineError::TimedOut {
                command: cmd.line(),
                after: self.config.connect_timeout,
                tail: out.tail(),
            };
        }
        PipelineError::SshFailed {
            command: cmd.line(),
            tail: out.tail(),
        }
    }
}

/// The name the pinned key is filed under in the generated known_hosts.
fn alias(host: &str) -> String {
    format!("nixpilot-host-{host}")
}

/// ssh prints "The fingerprint for the ED25519 key sent by the remote host is\nSHA256:…."
/// when the key differs from the known one.
fn presented_fingerprint(stderr: &[String]) -> Option<String> {
    let i = stderr
        .iter()
        .position(|l| l.contains("key sent by the remote host is"))?;
    let line = stderr[i..]
        .iter()
        .find_map(|l| l.split_whitespace().find(|w| w.starts_with("SHA256:")))?;
    Some(line.trim_end_matches('.').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_with_users_ports_and_ipv6() {
        let t = Target::parse("203.0.113.10").unwrap();
        assert_eq!(
            (t.user.as_str(), t.host.as_str(), t.port),
            ("root", "203.0.113.10", None)
        );
        let t = Target::parse("admin@host.example:2222").unwrap();
        assert_eq!(
            (t.user.as_str(), t.host.as_str(), t.port),
            ("admin", "host.example", Some(2222))
        );
        let t = Target::parse("root@[2001:db8::1]:22").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("2001:db8::1", Some(22)));
        assert_eq!(t.to_string(), "root@[2001:db8::1]:22");
        assert_eq!(Target::parse("2001:db8::1").unwrap().host, "2001:db8::1");
        assert!(Target::parse("root@host:99999").is_err());
        assert!(Target::parse("-oProxyCommand=x").is_err());
        assert!(Target::parse("root@").is_err());
    }

    #[test]
    fn fingerprints_match_ssh_keygen() {
        // `ssh-keygen -lf` of this key prints SHA256:0VzEIAHGiapTigyvGFaHb9k2f63vE5amIMnWuAFua20.
        let key = PinnedKey::parse(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGoAAabXutbdfruhtHkTA7c2Frfe6NvQr9BE5zXLRfu2 root@web1\n",
            "hosts/web1/ssh_host_ed25519_key.pub",
        )
        .unwrap();
        assert_eq!(key.fingerprint(), FINGERPRINT);
        assert!(PinnedKey::parse("ssh-rsa AAAAB3Nza", "x.pub").is_err());
        assert!(PinnedKey::parse("", "x.pub").is_err());
    }

    const FINGERPRINT: &str = "SHA256:0VzEIAHGiapTigyvGFaHb9k2f63vE5amIMnWuAFua20";

    #[test]
    fn the_presented_fingerprint_is_read_from_ssh_s_warning() {
        let stderr: Vec<String> = [
            "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
            "The fingerprint for the ED25519 key sent by the remote host is",
            "SHA256:abc/def+ghi.",
            "Host key verification failed.",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(presented_fingerprint(&stderr).as_deref(), Some("SHA256:abc/def+ghi"));
    }
}
