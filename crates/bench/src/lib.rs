//! nixpilot's benchmark tools as a library: the deterministic synthetic corpus, the rnix
//! parse floor, and the process measurements the `nixpilot-bench` harnesses share.

pub mod floor;
pub mod generate;
pub mod lsp;
pub mod measure;
pub mod secrets;
pub mod table;

use std::path::{Path, PathBuf};

use anyhow::Context;

/// A program found on PATH, for the comparison tools that may or may not be installed.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// The absolute path of a program given on the command line (the harnesses run it from
/// other directories).
pub fn resolve_program(path: &Path) -> anyhow::Result<PathBuf> {
    std::fs::canonicalize(path)
        .with_context(|| format!("{}: not found (build it first: cargo build --release)", path.display()))
}
