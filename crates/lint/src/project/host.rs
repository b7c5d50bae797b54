//! HostView: for each host, every module reachable through `imports` and the option
//! definitions they make, read statically. Unresolvable parts are recorded as unknown.

use std::collections::BTreeMap;
use std::sync::Arc;

use rowan::TextRange;

use super::catalogue::ModuleFacts;
use super::layout::{HostClass, HostDir, HostEntry};
use super::source::FileSource;
use super::{Flake, ParsedFile};
use crate::diagnostic::FilePath;

/// How strongly a definition is set (`lib.mkDefault`, `lib.mkForce`, `lib.mkOverride N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Normal,
    Default,
    Force,
    Override(i64),
}

/// A statically known value, or `Other` for anything that needs evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    Null,
    /// A path literal, resolved against the defining file (`None` if it leaves the project).
    Path(Option<String>),
    List(Vec<(Value, TextRange)>),
    Other,
}

/// One option definition, e.g. `networking.hostName = "web1";`.
#[derive(Debug, Clone)]
pub struct Definition {
    /// The option path; `None` for a segment that is computed (`${name}`).
    pub path: Vec<Option<String>>,
    pub value: Value,
    pub file: FilePath,
    /// The whole `path = value;` entry (or the innermost one that made it).
    pub range: TextRange,
    pub value_range: TextRange,
    pub priority: Priority,
    /// Under `lib.mkIf`: may not apply.
    pub conditional: bool,
}

/// The answer to "does this host set option X?".
#[derive(Debug)]
pub enum Lookup<'a> {
    Defined(Vec<&'a Definition>),
    /// Something the model could not read might set it.
    Maybe,
    Absent,
}

/// A module a host imports.
#[derive(Debug, Clone)]
pub enum ModuleOrigin {
    File(FilePath),
    External {
        input: String,
        name: String,
        facts: Option<&'static ModuleFacts>,
    },
}

/// What a host's configuration is made of.
#[derive(Debug, Clone)]
pub struct HostView {
    pub name: String,
    pub dir: String,
    pub entry: HostEntry,
    pub modules: Vec<ModuleOrigin>,
    pub definitions: Vec<Definition>,
    /// Some import or module body could not be read statically.
    pub unknown: bool,
}

impl HostView {
    pub fn build(
        host: &HostDir,
        _files: &BTreeMap<FilePath, Arc<ParsedFile>>,
        _source: &dyn FileSource,
        _flake: Option<&Flake>,
    ) -> Option<HostView> {
        let entry = host.entry.clone()?;
        if entry.class != HostClass::Nixos {
            return None;
        }
        Some(HostView {
            name: host.name.clone(),
            dir: host.dir.clone(),
            entry,
            modules: Vec::new(),
            definitions: Vec::new(),
            unknown: true,
        })
    }
}
