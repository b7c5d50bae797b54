//! SOPS files with age keys, without the Go `sops` binary: the file format
//! (the `nixpilot-sops` crate, no crypto), value encryption and MAC, data-key wrapping, identities.

pub mod age_keys;
pub mod atomic;
pub mod cipher;
pub mod commands;
pub mod config;
pub mod edit;
pub mod error;
pub mod file;
pub mod identity;
pub mod password;
pub mod walk;

pub use age_keys::Recipient;
pub use atomic::WriteLock;
pub use cipher::DataKey;
pub use error::SecretsError;
pub use file::{EncryptOptions, ExtractError, KeyChanges, Opened, PlainTree, SopsFile};
pub use identity::{Identities, IdentityEnv};
pub use nixpilot_sops::{CryptRule, CryptRuleKind, Format, Map, MapItem, Value};
