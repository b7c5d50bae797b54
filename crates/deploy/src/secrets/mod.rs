//! SOPS files with age keys, without the Go `sops` binary: the file format
//! (`format`, no crypto), value encryption and MAC, data-key wrapping, identities.

pub mod age_keys;
pub mod atomic;
pub mod cipher;
pub mod commands;
pub mod config;
pub mod edit;
pub mod error;
pub mod file;
/// The sops file format without cryptography lives in the lint crate, which reads
/// secrets files for its rules; it is re-exported here under its old name.
pub use nixpilot_lint::sops as format;
pub mod identity;
pub mod password;
/// ssh-to-age lives in the lint crate too (its rules convert host keys to recipients).
pub use nixpilot_lint::ssh_to_age;
pub mod walk;

pub use age_keys::Recipient;
pub use atomic::WriteLock;
pub use cipher::DataKey;
pub use error::SecretsError;
pub use file::{EncryptOptions, ExtractError, KeyChanges, Opened, PlainTree, SopsFile};
pub use format::{CryptRule, CryptRuleKind, Format, Map, MapItem, Value};
pub use identity::{Identities, IdentityEnv};
