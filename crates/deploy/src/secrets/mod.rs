//! SOPS files with age keys, without the Go `sops` binary: the file format
//! (`format`, no crypto), value encryption and MAC, data-key wrapping, identities.

pub mod age_keys;
pub mod atomic;
pub mod cipher;
pub mod config;
pub mod error;
pub mod file;
pub mod format;
pub mod identity;
pub mod ssh_to_age;
pub mod walk;

pub use age_keys::Recipient;
pub use atomic::WriteLock;
pub use cipher::DataKey;
pub use error::SecretsError;
pub use file::{EncryptOptions, ExtractError, KeyChanges, Opened, PlainTree, SopsFile};
pub use format::{CryptRule, CryptRuleKind, Format, Map, MapItem, Value};
pub use identity::{Identities, IdentityEnv};
