//! The one error type of the secrets library. Every variant about a file names
//! it; none carries a secret value, a key, or a decrypted MAC.

use std::path::PathBuf;

use super::age_keys::AgeError;
use super::atomic::WriteError;
use nixpilot_sops::keypath::KeyPathError;
use nixpilot_sops::FormatError;

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("{file}: {source}")]
    Format { file: PathBuf, source: FormatError },
    #[error("{file}: MAC mismatch: the file was modified outside sops/nixpilot or is corrupted; refusing to use it")]
    MacMismatch { file: PathBuf },
    #[error("{file}: the `sops.mac` entry is missing or does not decrypt (tampered or corrupted)")]
    BadMac { file: PathBuf },
    #[error("{file}: {source}; the file was tampered with, corrupted, or the value moved to another key")]
    Value {
        file: PathBuf,
        source: super::walk::LeafError,
    },
    #[error(
        "{file}: no identity opens this file.\n  recipients: {}\n  looked for keys in: {}{}",
        recipients.join(", "),
        looked_in.join(", "),
        if problems.is_empty() { String::new() } else { format!("\n  problems: {}", problems.join("; ")) }
    )]
    NoIdentity {
        file: PathBuf,
        recipients: Vec<String>,
        looked_in: Vec<String>,
        problems: Vec<String>,
    },
    #[error("{file}: more than one crypt rule is set ({}); sops allows one", .rules.join(", "))]
    ConflictingRules { file: PathBuf, rules: Vec<&'static str> },
    #[error("{file}: invalid regex in the crypt rule: {reason}")]
    BadRegex { file: PathBuf, reason: String },
    #[error("{file}: Shamir key groups are not supported yet")]
    KeyGroups { file: PathBuf },
    #[error("{file}: {source}")]
    KeyPath { file: PathBuf, source: KeyPathError },
    #[error(transparent)]
    Recipient(AgeError),
    #[error("{file}: the file is completely empty; it must hold at least one document (as sops requires)")]
    Empty { file: PathBuf },
    #[error("{file}: no recipients given; a sops file needs at least one")]
    NoRecipients { file: PathBuf },
    #[error(
        "{file}: its data key is also held by {}, which nixpilot cannot re-wrap (it speaks age only); \
         a rotation would leave them on the old key, so nothing was written. Rotate with Go `sops rotate --in-place`, \
         or drop those keys from the file first (`sops updatekeys` after removing them from .sops.yaml)",
        kinds.join(", ")
    )]
    CannotRewrap { file: PathBuf, kinds: Vec<String> },
    #[error("{file}: wrapping the data key failed: {source}")]
    Wrap { file: PathBuf, source: AgeError },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("the system random number generator failed")]
    Random,
}
