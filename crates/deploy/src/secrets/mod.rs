//! SOPS files with age keys, without the Go `sops` binary: the file format
//! (`format`, no crypto), value encryption and MAC, data-key wrapping, identities.

pub mod age_keys;
pub mod cipher;
pub mod format;
pub mod identity;
pub mod ssh_to_age;
pub mod walk;
