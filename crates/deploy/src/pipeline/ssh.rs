//! Remote commands over SSH (russh), with the host key pinned to the repository's `.pub`: the
//! key is checked in the handshake, before authentication, and one connection serves a run.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use russh::client::{self, Handle};
use russh::keys::agent::client::AgentClient;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::{ChannelMsg, Disconnect};
use sha2::{Digest, Sha256};

use super::process::{shell_quote, Finished};
use super::{Context, Event, PipelineError, Stream};

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

    /// The key as russh compares it.
    fn public_key(&self) -> Option<PublicKey> {
        PublicKey::from_openssh(&self.key).ok()
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

/// A login name as `--target` and `targetUser` may give it: letters, digits, `.`, `_`, `-`, not
/// first a `-`. It ends up in `user@host` for ssh, nix's store URI and nixos-anywhere, where an
/// `@`, `:` or `/` would change the host and a leading `-` would be read as an option.
pub fn check_user(user: &str) -> Result<(), String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
    if user.is_empty() || user.len() > 64 || user.starts_with('-') || !user.chars().all(plain) {
        return Err(format!(
            "`{user}` is not a user name (letters, digits, `.`, `_`, `-`, not starting with `-`)"
        ));
    }
    Ok(())
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
        let valid_host =
            !host.is_empty() && !host.starts_with('-') && !host.chars().any(|c| c.is_whitespace() || c == '/');
        if check_user(&user).is_err() || !valid_host {
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
    /// `--identity`; without it: the keys of ssh-agent, then `~/.ssh/id_ed25519` and `~/.ssh/id_ecdsa`.
    pub identity: Option<PathBuf>,
    /// TCP connect plus SSH handshake and login; also the bound for short remote commands.
    pub connect_timeout: Duration,
}

/// Which host key a connection accepts.
#[derive(Debug, Clone)]
pub enum HostKeyCheck {
    /// Only the repository's key (`hosts/<h>/ssh_host_ed25519_key.pub`).
    Pinned(PinnedKey),
    /// Only a key with this `SHA256:` fingerprint: a rescue system the user accepted
    /// (`nixpilot install --accept-rescue-key`).
    Fingerprint(String),
    /// No key: the handshake stops after the host showed its key (like `ssh-keyscan`).
    Probe,
}

/// Why a connection could not be made.
#[derive(Debug)]
pub enum ConnectError {
    /// The host's key is not the one `HostKeyCheck` accepts (`presented` is what it showed,
    /// when it got that far); for `Probe` this is the expected outcome.
    HostKey {
        presented: Option<Box<PublicKey>>,
    },
    TimedOut,
    /// Connection refused, reset, no route…
    Network(String),
    /// Reached and verified, but no key of ours was accepted.
    Login(String),
    /// Our own key could not be used (unreadable, encrypted without an agent, …).
    Identity(String),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::HostKey { presented: Some(k) } => {
                write!(f, "the host presented another key ({})", fingerprint_of(k))
            }
            ConnectError::HostKey { presented: None } => write!(f, "the host presented no ssh-ed25519 key"),
            ConnectError::TimedOut => write!(f, "timed out"),
            ConnectError::Network(m) | ConnectError::Login(m) | ConnectError::Identity(m) => f.write_str(m),
        }
    }
}

/// `SHA256:…` of a key, as `ssh-keygen -l` prints it.
pub fn fingerprint_of(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// One runtime for every SSH connection of the process: the pipeline is synchronous (a thread
/// per host), the connections' background tasks run here, and each host thread blocks on its own
/// futures with `block_on`.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("nixpilot-ssh")
            .enable_all()
            .build()
            .unwrap_or_else(|e| {
                // Without threads or timers nothing remote can work; this is not a user error.
                eprintln!("nixpilot: cannot start the SSH runtime: {e}");
                std::process::exit(2)
            })
    })
}

/// Checks the host key during the handshake and remembers what was presented.
pub struct Verifier {
    check: HostKeyCheck,
    presented: Arc<Mutex<Option<PublicKey>>>,
}

impl client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        // Certificates are not pinned keys: refused like any other key.
        let PublicKeyOrCertificate::PublicKey { key, .. } = key else {
            return Ok(false);
        };
        if let Ok(mut slot) = self.presented.lock() {
            *slot = Some(key.clone());
        }
        Ok(match &self.check {
            HostKeyCheck::Pinned(pinned) => pinned.public_key().is_some_and(|p| p.key_data() == key.key_data()),
            HostKeyCheck::Fingerprint(fp) => fp.trim() == fingerprint_of(key),
            HostKeyCheck::Probe => false,
        })
    }
}

/// An open, verified and logged-in connection.
pub struct Session {
    handle: Handle<Verifier>,
    /// The key file that logged in (`None`: the agent did), for the system `ssh` of `nix copy`,
    /// which looks for default keys in the passwd home rather than `$HOME`.
    pub key_file: Option<PathBuf>,
}

pub type Connection = Arc<Session>;

/// Connects to `target`, checks its host key, logs in with the user's keys; bounded by
/// `config.connect_timeout` as a whole.
pub fn connect(config: &SshConfig, check: HostKeyCheck) -> Result<Connection, ConnectError> {
    runtime().block_on(connect_bounded(config, check))
}

async fn connect_bounded(config: &SshConfig, check: HostKeyCheck) -> Result<Connection, ConnectError> {
    match tokio::time::timeout(config.connect_timeout, connect_async(config, check)).await {
        Ok(r) => r,
        Err(_) => Err(ConnectError::TimedOut),
    }
}

/// The key the host at `config.target` presents, without logging in.
pub fn probe_host_key(config: &SshConfig) -> Result<PublicKey, ConnectError> {
    match connect(config, HostKeyCheck::Probe) {
        Err(ConnectError::HostKey { presented: Some(k) }) => Ok(*k),
        Err(e) => Err(e),
        // Probe accepts nothing, so a login cannot happen; treat it as "no key seen".
        Ok(_) => Err(ConnectError::HostKey { presented: None }),
    }
}

async fn connect_async(config: &SshConfig, check: HostKeyCheck) -> Result<Connection, ConnectError> {
    let presented = Arc::new(Mutex::new(None));
    let verifier = Verifier {
        check,
        presented: presented.clone(),
    };
    let ssh_config = client::Config {
        // A connection that dies mid-activation is noticed within 30 s instead of never.
        keepalive_interval: Some(Duration::from_secs(5)),
        keepalive_max: 6,
        inactivity_timeout: None,
        nodelay: true,
        preferred: russh::Preferred {
            // Only ed25519 is offered, so a host cannot answer with a key type we did not pin.
            key: std::borrow::Cow::Borrowed(&[russh::keys::Algorithm::Ed25519]),
            ..Default::default()
        },
        ..Default::default()
    };
    let addr = (config.target.host.as_str(), config.target.port.unwrap_or(22));
    // Resolved here, so a name that does not resolve says how to give the address instead.
    let addrs: Vec<std::net::SocketAddr> = match tokio::net::lookup_host(addr).await {
        Ok(found) => found.collect(),
        Err(io) => return Err(ConnectError::Network(unresolved(config, &io))),
    };
    let mut handle = match client::connect(Arc::new(ssh_config), addrs.as_slice(), verifier).await {
        Ok(h) => h,
        Err(e) => {
            let presented = presented.lock().ok().and_then(|p| p.clone()).map(Box::new);
            return Err(match e {
                russh::Error::UnknownKey => ConnectError::HostKey { presented },
                russh::Error::NoCommonAlgo {
                    kind: russh::AlgorithmKind::Key,
                    ..
                } => ConnectError::HostKey { presented: None },
                russh::Error::IO(io) => ConnectError::Network(format!("cannot connect to {}: {io}", config.target)),
                russh::Error::Disconnect | russh::Error::HUP => {
                    ConnectError::Network(format!("{} closed the connection during the handshake", config.target))
                }
                other => ConnectError::Network(format!("SSH handshake with {} failed: {other}", config.target)),
            });
        }
    };
    let key_file = login(&mut handle, config).await?;
    Ok(Arc::new(Session { handle, key_file }))
}

/// The error for a target whose name does not resolve: where the target came from is often a
/// guess (the host's name), so it names both ways to give the address.
fn unresolved(config: &SshConfig, io: &std::io::Error) -> String {
    let host = &config.host_name;
    format!(
        "cannot find the address of {} ({io}); give {host}'s address with --target root@ADDRESS, \
         or as deployment.targetHost in hosts/{host}/deploy.toml",
        config.target.host
    )
}

/// Public-key login: `--identity` if given (through the agent when the file is encrypted and the
/// agent holds it), else every agent key, then the default key files. Names what was tried.
async fn login(handle: &mut Handle<Verifier>, config: &SshConfig) -> Result<Option<PathBuf>, ConnectError> {
    let user = config.target.user.clone();
    let mut tried: Vec<String> = Vec::new();
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let files: Vec<PathBuf> = match &config.identity {
        Some(id) => vec![id.clone()],
        None => home
            .iter()
            .flat_map(|h| ["id_ed25519", "id_ecdsa"].map(|f| h.join(".ssh").join(f)))
            .filter(|p| p.exists())
            .collect(),
    };
    // An explicit identity limits the agent to that key (as IdentitiesOnly would).
    let only: Option<PublicKey> = match &config.identity {
        Some(id) => Some(read_public_half(id)?),
        None => None,
    };

    for file in &files {
        match russh::keys::load_secret_key(file, None) {
            Ok(key) => {
                let hash = rsa_hash(handle).await;
                let key = PrivateKeyWithHashAlg::new(Arc::new(key), hash);
                match handle.authenticate_publickey(&user, key).await {
                    Ok(r) if r.success() => return Ok(Some(file.clone())),
                    Ok(_) => tried.push(file.display().to_string()),
                    Err(e) => return Err(ConnectError::Network(format!("login to {} failed: {e}", config.target))),
                }
            }
            // Encrypted: only the agent can use it (nixpilot never asks for passphrases).
            Err(russh::keys::Error::KeyIsEncrypted) => {
                tried.push(format!("{} (encrypted: add it with ssh-add)", file.display()))
            }
            Err(e) if config.identity.is_some() => {
                return Err(ConnectError::Identity(format!(
                    "cannot use the key {}: {e}",
                    file.display()
                )))
            }
            Err(_) => tried.push(format!("{} (unreadable)", file.display())),
        }
    }

    if let Ok(mut agent) = AgentClient::connect_env().await {
        let keys = agent.request_identities().await.unwrap_or_default();
        let mut offered = 0;
        for identity in keys {
            let russh::keys::agent::AgentIdentity::PublicKey { key, .. } = identity else {
                continue;
            };
            if only.as_ref().is_some_and(|o| o.key_data() != key.key_data()) {
                continue;
            }
            offered += 1;
            let hash = rsa_hash(handle).await;
            match handle.authenticate_publickey_with(&user, key, hash, &mut agent).await {
                Ok(r) if r.success() => return Ok(None),
                Ok(_) => {}
                Err(e) => {
                    return Err(ConnectError::Network(format!(
                        "login to {} through ssh-agent failed: {e}",
                        config.target
                    )))
                }
            }
        }
        tried.push(format!(
            "ssh-agent ({offered} key{})",
            if offered == 1 { "" } else { "s" }
        ));
    }
    Err(ConnectError::Login(format!(
        "{} did not accept any of our keys as `{user}` (tried: {}); pass --identity FILE or add the key to ssh-agent",
        config.target,
        if tried.is_empty() {
            "none found".to_string()
        } else {
            tried.join(", ")
        }
    )))
}

/// The public half of an identity: `FILE.pub`, else the private file itself when unencrypted.
fn read_public_half(id: &Path) -> Result<PublicKey, ConnectError> {
    let pub_file = PathBuf::from(format!("{}.pub", id.display()));
    if let Ok(text) = std::fs::read_to_string(&pub_file) {
        if let Ok(k) = PublicKey::from_openssh(text.trim()) {
            return Ok(k);
        }
    }
    match russh::keys::load_secret_key(id, None) {
        Ok(k) => Ok(k.public_key().clone()),
        Err(russh::keys::Error::KeyIsEncrypted) => Err(ConnectError::Identity(format!(
            "{} is encrypted and {} is missing: nixpilot cannot tell which agent key it is",
            id.display(),
            pub_file.display()
        ))),
        Err(e) => Err(ConnectError::Identity(format!(
            "cannot use the key {}: {e}",
            id.display()
        ))),
    }
}

async fn rsa_hash(handle: &Handle<Verifier>) -> Option<HashAlg> {
    handle.best_supported_rsa_hash().await.ok().flatten().flatten()
}

/// An SSH destination: the pinned connection (made on first use, made again after it was lost)
/// and a known_hosts file for the programs that run the system `ssh` themselves (`nix copy`),
/// in a private temp dir the pipeline removes on every exit path.
pub struct Ssh {
    pub config: SshConfig,
    check: HostKeyCheck,
    known_hosts: Option<PathBuf>,
    connection: Mutex<Option<Connection>>,
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
        Ok(Ssh {
            check: HostKeyCheck::Pinned(config.pinned.clone()),
            config,
            known_hosts: Some(known_hosts),
            connection: Mutex::new(None),
        })
    }

    /// A machine that does not have the repository's key yet (the rescue system before an
    /// install): only the key with the accepted fingerprint is let through.
    pub fn accepting(config: SshConfig, fingerprint: &str) -> Ssh {
        Ssh {
            check: HostKeyCheck::Fingerprint(fingerprint.to_string()),
            config,
            known_hosts: None,
            connection: Mutex::new(None),
        }
    }

    /// The options for the system `ssh` that `nix copy` runs (through NIX_SSHOPTS): the same pin
    /// as nixpilot's own connections. The key is checked against the alias, not the address, so
    /// the pin holds whatever address or port the host is reached at; only ed25519 is offered, so
    /// the host cannot pick another key type. `-F /dev/null` first: no `~/.ssh/config` or
    /// `/etc/ssh/ssh_config` is read, so no `KnownHostsCommand` there can accept another key and
    /// no `ProxyCommand`, `LocalCommand` or `Match exec` there runs (ssh takes the last `-F`;
    /// nix adds none after these).
    pub fn options(&self) -> Vec<String> {
        let mut o: Vec<String> = vec!["-F".to_string(), "/dev/null".into()];
        o.extend(
            [
                "BatchMode=yes".to_string(),
                "StrictHostKeyChecking=yes".into(),
                format!(
                    "UserKnownHostsFile={}",
                    self.known_hosts.as_deref().unwrap_or(Path::new("/dev/null")).display()
                ),
                "GlobalKnownHostsFile=/dev/null".into(),
                format!("HostKeyAlias={}", alias(&self.config.host_name)),
                "HostKeyAlgorithms=ssh-ed25519".into(),
                "CheckHostIP=no".into(),
                "UpdateHostKeys=no".into(),
                format!("ConnectTimeout={}", self.config.connect_timeout.as_secs().max(1)),
                "ServerAliveInterval=5".into(),
                "ServerAliveCountMax=6".into(),
            ]
            .into_iter()
            .flat_map(|opt| ["-o".to_string(), opt]),
        );
        // The key nixpilot logged in with, so ssh uses the same one.
        let used = self
            .connection
            .lock()
            .ok()
            .and_then(|c| c.as_ref().and_then(|c| c.key_file.clone()));
        if let Some(id) = self.config.identity.clone().or(used) {
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

    /// The open connection, or a new one; a host key other than the pinned one is
    /// `HostKeyMismatch` with both fingerprints.
    async fn connection(&self) -> Result<Connection, PipelineError> {
        if let Some(c) = self.connection.lock().ok().and_then(|c| c.clone()) {
            if !c.handle.is_closed() {
                return Ok(c);
            }
        }
        let c = connect_bounded(&self.config, self.check.clone())
            .await
            .map_err(|e| self.connect_error(e))?;
        if let Ok(mut slot) = self.connection.lock() {
            *slot = Some(c.clone());
        }
        Ok(c)
    }

    /// Forgets the connection, so the next command makes a new one (after it was lost, or to
    /// prove a new configuration still lets us in).
    pub fn disconnect(&self) {
        let old = self.connection.lock().ok().and_then(|mut c| c.take());
        if let Some(c) = old {
            let _ = runtime().block_on(async {
                tokio::time::timeout(
                    Duration::from_secs(2),
                    c.handle.disconnect(Disconnect::ByApplication, "", "en"),
                )
                .await
            });
        }
    }

    pub fn connect_error(&self, e: ConnectError) -> PipelineError {
        match (&self.check, e) {
            (HostKeyCheck::Fingerprint(fp), ConnectError::HostKey { presented }) => PipelineError::Host {
                host: self.config.host_name.clone(),
                message: format!(
                    "{} now presents {} instead of the accepted {fp}; nothing was run on it",
                    self.config.target,
                    presented
                        .as_deref()
                        .map(fingerprint_of)
                        .unwrap_or_else(|| "no ssh-ed25519 key".into()),
                ),
            },
            (_, e) => connect_error(&self.config, e),
        }
    }

    /// Runs `argv` on the host (quoted for its shell), streaming its output lines as events. A
    /// non-zero exit is not an error here; a lost connection is `SshFailed`, a command still
    /// running after `timeout` is `TimedOut`, Ctrl-C is `Interrupted`.
    pub fn run(&self, argv: &[&str], timeout: Option<Duration>, cx: &Context<'_>) -> Result<Finished, PipelineError> {
        self.run_inner(argv, timeout, cx, false, None)
    }

    /// `run` without streaming the output as events (it is still returned).
    pub fn run_quiet(
        &self,
        argv: &[&str],
        timeout: Option<Duration>,
        cx: &Context<'_>,
    ) -> Result<Finished, PipelineError> {
        self.run_inner(argv, timeout, cx, true, None)
    }

    /// `run_ok` that sets `started` once the command was sent to the host: a failure before
    /// that (no connection, no session) ran nothing there; one after may have changed it.
    pub fn run_ok_noting_start(
        &self,
        argv: &[&str],
        timeout: Option<Duration>,
        cx: &Context<'_>,
        started: &AtomicBool,
    ) -> Result<Finished, PipelineError> {
        let out = self.run_inner(argv, timeout, cx, false, Some(started))?;
        self.ok_or_failed(argv, out)
    }

    fn run_inner(
        &self,
        argv: &[&str],
        timeout: Option<Duration>,
        cx: &Context<'_>,
        quiet: bool,
        started: Option<&AtomicBool>,
    ) -> Result<Finished, PipelineError> {
        let remote = argv.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" ");
        let line = format!("ssh {} {remote}", self.config.target);
        cx.emit(Event::Command { line: line.clone() });
        let mut out = Finished {
            code: None,
            stdout: Vec::new(),
            stderr: Vec::new(),
        };
        let result = runtime().block_on(async {
            let work = async {
                let connection = self.connection().await?;
                exec(&connection, &remote, &line, cx, quiet, started, &mut out).await
            };
            match timeout {
                Some(t) => match tokio::time::timeout(t, work).await {
                    Ok(r) => r,
                    Err(_) => Err(PipelineError::TimedOut {
                        command: line.clone(),
                        after: t,
                        tail: Vec::new(),
                    }),
                },
                None => work.await,
            }
        });
        match result {
            Ok(()) => Ok(out),
            Err(e) => {
                // A connection that failed a command is not trusted with the next one.
                if matches!(e, PipelineError::SshFailed { .. } | PipelineError::TimedOut { .. }) {
                    self.disconnect();
                }
                Err(with_tail(e, &out))
            }
        }
    }

    /// `run`, with a non-zero exit of the remote command as an error.
    pub fn run_ok(
        &self,
        argv: &[&str],
        timeout: Option<Duration>,
        cx: &Context<'_>,
    ) -> Result<Finished, PipelineError> {
        let out = self.run(argv, timeout, cx)?;
        self.ok_or_failed(argv, out)
    }

    fn ok_or_failed(&self, argv: &[&str], out: Finished) -> Result<Finished, PipelineError> {
        if out.success() {
            Ok(out)
        } else {
            let remote = argv.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" ");
            Err(PipelineError::Failed {
                command: format!("ssh {} {remote}", self.config.target),
                status: out.status_text(),
                tail: out.tail(),
            })
        }
    }
}

/// The pipeline error for a failed connection to `config`'s host.
pub fn connect_error(config: &SshConfig, e: ConnectError) -> PipelineError {
    let command = format!("ssh {}", config.target);
    match e {
        ConnectError::HostKey { presented } => PipelineError::HostKeyMismatch {
            host: config.host_name.clone(),
            target: config.target.to_string(),
            pinned_file: config.pinned.file.clone(),
            expected: config.pinned.fingerprint(),
            presented: presented
                .as_deref()
                .map(fingerprint_of)
                .unwrap_or_else(|| "no ssh-ed25519 key".into()),
        },
        ConnectError::TimedOut => PipelineError::TimedOut {
            command,
            after: config.connect_timeout,
            tail: vec![format!(
                "no SSH answer from {} within {}s",
                config.target,
                config.connect_timeout.as_secs()
            )],
        },
        ConnectError::Network(m) | ConnectError::Login(m) | ConnectError::Identity(m) => {
            PipelineError::SshFailed { command, tail: vec![m] }
        }
    }
}

fn with_tail(e: PipelineError, out: &Finished) -> PipelineError {
    match e {
        PipelineError::TimedOut { command, after, tail } if tail.is_empty() => PipelineError::TimedOut {
            command,
            after,
            tail: out.tail(),
        },
        PipelineError::SshFailed { command, mut tail } => {
            let mut all = out.tail();
            all.append(&mut tail);
            PipelineError::SshFailed { command, tail: all }
        }
        e => e,
    }
}

/// One remote command on an open connection: output split into lines as it comes, the exit
/// status at the end; Ctrl-C is checked every 100 ms.
async fn exec(
    connection: &Connection,
    remote: &str,
    line: &str,
    cx: &Context<'_>,
    quiet: bool,
    started: Option<&AtomicBool>,
    out: &mut Finished,
) -> Result<(), PipelineError> {
    let lost = |why: String| PipelineError::SshFailed {
        command: line.to_string(),
        tail: vec![why],
    };
    let mut channel = connection
        .handle
        .channel_open_session()
        .await
        .map_err(|e| lost(format!("cannot open a session: {e}")))?;
    // From here the host may run the command, even if the request seems to fail.
    if let Some(started) = started {
        started.store(true, Ordering::SeqCst);
    }
    channel
        .exec(true, remote)
        .await
        .map_err(|e| lost(format!("cannot start the command: {e}")))?;
    let mut partial = [Vec::new(), Vec::new()];
    let emit = |stream: Stream, bytes: &[u8], out: &mut Finished, partial: &mut [Vec<u8>; 2]| {
        let buf = &mut partial[stream as usize];
        buf.extend_from_slice(bytes);
        while let Some(i) = buf.iter().position(|b| *b == b'\n') {
            let rest = buf.split_off(i + 1);
            let text = String::from_utf8_lossy(&buf[..i]).trim_end_matches('\r').to_string();
            *buf = rest;
            push_line(stream, text, out, cx, quiet);
        }
    };
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            msg = channel.wait() => match msg {
                Some(ChannelMsg::Data { data }) => emit(Stream::Stdout, &data, out, &mut partial),
                Some(ChannelMsg::ExtendedData { data, .. }) => emit(Stream::Stderr, &data, out, &mut partial),
                Some(ChannelMsg::ExitStatus { exit_status }) => out.code = Some(exit_status as i32),
                Some(ChannelMsg::ExitSignal { signal_name, .. }) => {
                    out.code = None;
                    out.stderr.push(format!("killed by signal {signal_name:?}"));
                }
                Some(_) => {}
                None => break,
            },
            _ = tick.tick() => {
                if cx.cancel.is_set() {
                    return Err(PipelineError::Interrupted);
                }
            }
        }
    }
    for (stream, buf) in [(Stream::Stdout, &partial[0]), (Stream::Stderr, &partial[1])] {
        if !buf.is_empty() {
            push_line(stream, String::from_utf8_lossy(buf).to_string(), out, cx, quiet);
        }
    }
    if out.code.is_none() && !out.stderr.iter().any(|l| l.starts_with("killed by signal")) {
        // The channel ended without an exit status: the connection went away under it.
        return Err(lost(format!(
            "the connection to the host was lost while `{remote}` ran"
        )));
    }
    Ok(())
}

fn push_line(stream: Stream, text: String, out: &mut Finished, cx: &Context<'_>, quiet: bool) {
    if !quiet {
        cx.emit(Event::Output {
            stream,
            line: text.clone(),
        });
    }
    match stream {
        Stream::Stdout => out.stdout.push(text),
        Stream::Stderr => out.stderr.push(text),
    }
}

/// The name the pinned key is filed under in the generated known_hosts.
fn alias(host: &str) -> String {
    format!("nixpilot-host-{host}")
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
}
