//! `flake.lock` (version 7): the node graph, root inputs, follows paths and locked info.

use std::collections::BTreeMap;

use crate::diagnostic::FilePath;
use crate::source::SourceFile;

/// A parsed lock file.
#[derive(Debug, Clone, Default)]
pub struct Lock {
    pub file: FilePath,
    pub version: u64,
    pub root: String,
    pub nodes: BTreeMap<String, LockNode>,
}

/// One node of the graph.
#[derive(Debug, Clone, Default)]
pub struct LockNode {
    pub inputs: BTreeMap<String, LockInput>,
    pub locked: Option<Locked>,
    pub is_flake: bool,
}

/// Where a node's input points: another node, or a follows path from the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockInput {
    Node(String),
    Follows(Vec<String>),
}

/// The `locked` attributes that identify a source.
#[derive(Debug, Clone, Default)]
pub struct Locked {
    pub kind: String,
    pub owner: Option<String>,
    pub repo: Option<String>,
    pub url: Option<String>,
    pub rev: Option<String>,
    pub last_modified: Option<i64>,
    pub nar_hash: Option<String>,
}

/// `flake.lock` could not be read; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct LockError {
    pub file: FilePath,
    pub line: usize,
    pub message: String,
}

impl Lock {
    pub fn parse(file: &SourceFile) -> Result<Lock, LockError> {
        Err(LockError {
            file: file.path.clone(),
            line: 1,
            message: "not parsed yet".into(),
        })
    }
}
