//! Where age identities come from, in sops's order: `SOPS_AGE_KEY`,
//! `SOPS_AGE_KEY_FILE`, `$XDG_CONFIG_HOME/sops/age/keys.txt`, then `~/.ssh/id_ed25519`.
//!
//! `SOPS_AGE_SSH_PRIVATE_KEY_FILE` replaces the default SSH key, as in sops.
//! The environment is passed in (`IdentityEnv`) so tests never read the real
//! HOME. Key material stays in age's zeroizing types; only locations are reported.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use zeroize::Zeroizing;

use nixpilot_sops::ssh_to_age;

/// The parts of the process environment identity lookup reads.
#[derive(Clone, Default)]
pub struct IdentityEnv {
    /// `SOPS_AGE_KEY`: identities inline (never printed).
    pub sops_age_key: Option<Zeroizing<String>>,
    pub sops_age_key_file: Option<PathBuf>,
    /// `SOPS_AGE_SSH_PRIVATE_KEY_FILE`: replaces `~/.ssh/id_ed25519` when set.
    pub sops_age_ssh_private_key_file: Option<PathBuf>,
    pub xdg_config_home: Option<PathBuf>,
    pub home: Option<PathBuf>,
}

// By hand, so that `SOPS_AGE_KEY` never reaches a log.
impl std::fmt::Debug for IdentityEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityEnv")
            .field("sops_age_key", &self.sops_age_key.as_ref().map(|_| "<redacted>"))
            .field("sops_age_key_file", &self.sops_age_key_file)
            .field("sops_age_ssh_private_key_file", &self.sops_age_ssh_private_key_file)
            .field("xdg_config_home", &self.xdg_config_home)
            .field("home", &self.home)
            .finish()
    }
}

impl IdentityEnv {
    pub fn from_process() -> IdentityEnv {
        let path = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        IdentityEnv {
            sops_age_key: std::env::var("SOPS_AGE_KEY").ok().map(Zeroizing::new),
            sops_age_key_file: path("SOPS_AGE_KEY_FILE"),
            sops_age_ssh_private_key_file: path("SOPS_AGE_SSH_PRIVATE_KEY_FILE"),
            xdg_config_home: path("XDG_CONFIG_HOME"),
            home: path("HOME"),
        }
    }

    /// Go's `os.UserConfigDir` on Linux: `$XDG_CONFIG_HOME`, else `~/.config`.
    pub fn config_dir(&self) -> Option<PathBuf> {
        match &self.xdg_config_home {
            Some(x) if x.is_absolute() => Some(x.clone()),
            _ => self.home.as_ref().map(|h| h.join(".config")),
        }
    }
}

/// What kind of stanza an identity opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    /// An `AGE-SECRET-KEY-1…` key.
    X25519,
    /// An SSH ed25519 key converted with ssh-to-age (opens X25519 stanzas).
    SshConverted,
    /// An SSH key used directly by age (opens `ssh-ed25519` stanzas).
    Ssh,
}

pub struct LoadedIdentity {
    /// Where it came from, e.g. `SOPS_AGE_KEY_FILE=/path` (never key text).
    pub source: String,
    pub kind: IdentityKind,
    /// The recipient that this identity opens, when known.
    pub recipient: Option<String>,
    identity: Box<dyn age::Identity + Send + Sync>,
}

impl std::fmt::Debug for LoadedIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedIdentity")
            .field("source", &self.source)
            .field("kind", &self.kind)
            .field("recipient", &self.recipient)
            .finish_non_exhaustive()
    }
}

/// The identities found, where we looked, and what went wrong on the way.
#[derive(Debug, Default)]
pub struct Identities {
    pub loaded: Vec<LoadedIdentity>,
    /// Every location consulted, in order, found or not.
    pub looked_in: Vec<String>,
    /// Locations that existed but could not be used (and why).
    pub problems: Vec<String>,
}

impl Identities {
    pub fn as_age(&self) -> Vec<&dyn age::Identity> {
        self.loaded.iter().map(|l| &*l.identity as &dyn age::Identity).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.loaded.is_empty()
    }

    /// Adds the identities of an age key file's text (one per line, `#` comments).
    pub fn add_key_text(&mut self, source: &str, text: &str, several_per_line: bool) {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = if several_per_line {
                line.split_whitespace().collect()
            } else {
                vec![line]
            };
            for w in words {
                if w.starts_with("AGE-PLUGIN-") {
                    self.problems.push(format!(
                        "{source} line {}: age plugin identities are not supported",
                        i + 1
                    ));
                    continue;
                }
                match age::x25519::Identity::from_str(w) {
                    Ok(id) => self.loaded.push(LoadedIdentity {
                        source: source.to_string(),
                        kind: IdentityKind::X25519,
                        recipient: Some(id.to_public().to_string()),
                        identity: Box::new(id),
                    }),
                    Err(_) => self
                        .problems
                        .push(format!("{source} line {}: not an age identity", i + 1)),
                }
            }
        }
    }

    /// Adds an OpenSSH ed25519 private key twice: converted with ssh-to-age
    /// (opens the X25519 stanzas sops-nix hosts use) and as an age SSH identity
    /// (opens `ssh-ed25519` stanzas, as sops ≥3.10 does with this file).
    pub fn add_ssh_key(&mut self, source: &str, pem: &[u8]) {
        match ssh_to_age::private_key_to_identity(pem) {
            Ok(text) => match age::x25519::Identity::from_str(&text) {
                Ok(id) => self.loaded.push(LoadedIdentity {
                    source: format!("{source} (via ssh-to-age)"),
                    kind: IdentityKind::SshConverted,
                    recipient: Some(id.to_public().to_string()),
                    identity: Box::new(id),
                }),
                Err(_) => self.problems.push(format!("{source}: conversion failed")),
            },
            Err(e) => {
                self.problems.push(format!("{source}: {e}"));
                return;
            }
        }
        if let Ok(age::ssh::Identity::Unencrypted(k)) = age::ssh::Identity::from_buffer(pem, Some(source.to_string())) {
            self.loaded.push(LoadedIdentity {
                source: source.to_string(),
                kind: IdentityKind::Ssh,
                recipient: None,
                identity: Box::new(age::ssh::Identity::Unencrypted(k)),
            });
        }
    }

    /// Looks in every place sops looks (see the module docs); a missing
    /// location is fine, an unreadable or malformed one is kept in `problems`.
    pub fn load(env: &IdentityEnv) -> Identities {
        let mut ids = Identities::default();
        ids.looked_in.push("SOPS_AGE_KEY".into());
        if let Some(k) = &env.sops_age_key {
            ids.add_key_text("SOPS_AGE_KEY", k, true);
        }
        if let Some(p) = &env.sops_age_key_file {
            let src = format!("SOPS_AGE_KEY_FILE={}", p.display());
            ids.looked_in.push(src.clone());
            ids.read_file(&src, p, false);
        } else {
            ids.looked_in.push("SOPS_AGE_KEY_FILE".into());
        }
        if let Some(dir) = env.config_dir() {
            let p = dir.join("sops").join("age").join("keys.txt");
            let src = p.display().to_string();
            ids.looked_in.push(src.clone());
            ids.read_file(&src, &p, true);
        }
        let ssh_key = match (&env.sops_age_ssh_private_key_file, &env.home) {
            (Some(p), _) => Some((p.clone(), format!("SOPS_AGE_SSH_PRIVATE_KEY_FILE={}", p.display()))),
            (None, Some(home)) => {
                let p = home.join(".ssh").join("id_ed25519");
                let src = p.display().to_string();
                Some((p, src))
            }
            (None, None) => None,
        };
        if let Some((p, src)) = ssh_key {
            ids.looked_in.push(src.clone());
            match std::fs::read(&p) {
                Ok(bytes) => {
                    let bytes = Zeroizing::new(bytes);
                    ids.add_ssh_key(&src, &bytes);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => ids.problems.push(format!("{src}: {e}")),
            }
        }
        ids
    }

    fn read_file(&mut self, source: &str, path: &Path, missing_ok: bool) {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let text = Zeroizing::new(text);
                self.add_key_text(source, &text, false);
            }
            Err(e) if missing_ok && e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => self.problems.push(format!("{source}: {e}")),
        }
    }
}
