//! The floor any rnix-based linter stands on: find the `.nix` files the way `nixpilot lint`
//! does, read them, parse each with rnix and walk every tree once, in parallel, keeping nothing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use rnix::WalkEvent;

/// What one floor run went through.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FloorCount {
    pub files: u64,
    pub bytes: u64,
    /// Nodes and tokens entered by the walk.
    pub elements: u64,
    pub files_with_errors: u64,
}

/// Every `*.nix` file below `dir`, with the same walker settings as nixpilot's discovery
/// (`.gitignore` honoured without a git repository, hidden files included, `.git`, `.direnv`
/// and `.jj` skipped, symlinks not followed), sorted.
pub fn discover(dir: &Path) -> Result<Vec<PathBuf>, ignore::Error> {
    let mut files = Vec::new();
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| !matches!(e.file_name().to_str(), Some(".git" | ".direnv" | ".jj")))
        .build();
    for entry in walker {
        let entry = entry?;
        if entry.file_type().is_some_and(|t| t.is_file()) && entry.path().extension().is_some_and(|e| e == "nix") {
            files.push(entry.into_path());
        }
    }
    files.sort();
    Ok(files)
}

/// Parses and walks every file; a file that cannot be read counts as empty, as a parse of
/// nothing (the floor measures the parser, not error handling).
pub fn parse_and_walk(files: &[PathBuf]) -> FloorCount {
    let elements = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let with_errors = AtomicU64::new(0);
    files.par_iter().for_each(|path| {
        let data = std::fs::read(path).unwrap_or_default();
        bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
        let text = String::from_utf8_lossy(&data);
        let parse = rnix::Root::parse(&text);
        if !parse.errors().is_empty() {
            with_errors.fetch_add(1, Ordering::Relaxed);
        }
        let mut seen = 0u64;
        for event in parse.syntax().preorder_with_tokens() {
            if let WalkEvent::Enter(_) = event {
                seen += 1;
            }
        }
        elements.fetch_add(seen, Ordering::Relaxed);
    });
    FloorCount {
        files: files.len() as u64,
        bytes: bytes.into_inner(),
        elements: elements.into_inner(),
        files_with_errors: with_errors.into_inner(),
    }
}
