//! SOPS files with age keys, without the Go `sops` binary: the file format
//! (`format`, no crypto), value encryption and MAC, data-key wrapping, identities.

pub mod format;
