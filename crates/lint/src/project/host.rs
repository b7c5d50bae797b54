//! HostView: for each host, every module reachable through `imports` and the option
//! definitions they make, read statically. Unresolvable parts are recorded as unknown.

use std::collections::BTreeMap;
use std::sync::Arc;

use rowan::TextRange;

use super::catalogue::{known_flake, ModuleFacts};
use super::layout::{HostClass, HostDir, HostEntry, Layout};
use super::module::{ImportTarget, ModuleSummary};
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
    /// For a value the evaluator computed (`x = mirrorBoot "0";`), the definition whose
    /// expression made it; `range` and `value_range` then point inside the helper where the
    /// value was written (or at the call, when that is in another file).
    pub via: Option<TextRange>,
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
    /// The disko layout, read from the definitions on first use (eight rules ask for it).
    disko: std::sync::OnceLock<super::disko::Disko>,
}

impl HostView {
    /// The host's disko layout (computed once, then shared by the rules that ask).
    pub fn disko(&self) -> &super::disko::Disko {
        self.disko.get_or_init(|| super::disko::Disko::for_host(self))
    }

    /// Follows the imports from the host's entry file. Summaries are read once per file and
    /// kept in `modules` for the other hosts and the rules.
    pub fn build(
        host: &HostDir,
        files: &BTreeMap<FilePath, Arc<ParsedFile>>,
        source: &dyn FileSource,
        flake: Option<&Flake>,
        layout: &Layout,
        modules: &mut BTreeMap<FilePath, ModuleSummary>,
    ) -> Option<HostView> {
        let entry = host.entry.clone()?;
        if entry.class != HostClass::Nixos {
            return None;
        }
        let mut view = HostView {
            name: host.name.clone(),
            dir: host.dir.clone(),
            entry: entry.clone(),
            modules: Vec::new(),
            definitions: Vec::new(),
            unknown: false,
            disko: Default::default(),
        };
        let mut queue = vec![entry.file.clone()];
        let mut seen: Vec<FilePath> = Vec::new();
        while let Some(file) = queue.pop() {
            if seen.contains(&file) {
                continue;
            }
            seen.push(file.clone());
            let Some(summary) = summary_of(&file, files, source, layout, modules) else {
                // Imported but not a Nix file we could read (binary, ignored, …).
                view.unknown = true;
                continue;
            };
            view.modules.push(ModuleOrigin::File(file.clone()));
            view.unknown |= summary.unknown;
            view.definitions.extend(summary.definitions.iter().cloned());
            // Depth-first in source order: push in reverse so the first import is read next.
            for import in summary.imports.iter().rev() {
                match &import.target {
                    ImportTarget::File(f) => queue.push(f.clone()),
                    ImportTarget::FlakeModule { file: Some(f), .. } => queue.push(f.clone()),
                    ImportTarget::FlakeModule { file: None, .. } | ImportTarget::Missing(_) | ImportTarget::Unknown => {
                        view.unknown = true
                    }
                    ImportTarget::External { input, class, name } => {
                        let known = flake
                            .and_then(|f| f.input(input))
                            .and_then(|i| i.url.as_deref())
                            .and_then(known_flake);
                        let facts = known.filter(|_| class == "nixos").and_then(|k| k.nixos_module(name));
                        // A module of a flake nixpilot does not know may set anything.
                        if known.is_none() || (facts.is_none() && known.is_some_and(|k| k.nixos_modules.is_some())) {
                            view.unknown = true;
                        }
                        view.modules.push(ModuleOrigin::External {
                            input: input.clone(),
                            name: name.clone(),
                            facts,
                        });
                    }
                }
            }
        }
        Some(view)
    }

    /// Every definition of exactly `path`, or whether an unreadable part may define it.
    pub fn lookup(&self, path: &[&str]) -> Lookup<'_> {
        let mut found = Vec::new();
        let mut maybe = self.unknown;
        for d in &self.definitions {
            let exact = d.path.len() == path.len() && d.path.iter().zip(path).all(|(a, b)| a.as_deref() == Some(*b));
            if exact {
                found.push(d);
                continue;
            }
            // `networking.${x} = …`, or `networking = someExpression;`, may define it.
            let common = d.path.len().min(path.len());
            let prefix_matches = d.path[..common]
                .iter()
                .zip(path)
                .all(|(a, b)| a.as_deref().is_none_or(|a| a == *b));
            let dynamic = d.path.iter().any(Option::is_none);
            if prefix_matches && (dynamic || (d.path.len() < path.len() && d.value == Value::Other)) {
                maybe = true;
            }
        }
        if !found.is_empty() {
            Lookup::Defined(found)
        } else if maybe {
            Lookup::Maybe
        } else {
            Lookup::Absent
        }
    }

    /// Definitions whose path starts with `prefix` (e.g. every `users.users.*` definition).
    pub fn definitions_under<'a>(&'a self, prefix: &'a [&'a str]) -> impl Iterator<Item = &'a Definition> + 'a {
        self.definitions.iter().filter(move |d| {
            d.path.len() >= prefix.len() && d.path.iter().zip(prefix).all(|(a, b)| a.as_deref() == Some(*b))
        })
    }

    /// Facts of the external modules this host imports.
    pub fn external_facts(&self) -> impl Iterator<Item = &'static ModuleFacts> + '_ {
        self.modules.iter().filter_map(|m| match m {
            ModuleOrigin::External { facts, .. } => *facts,
            ModuleOrigin::File(_) => None,
        })
    }
}

/// The summary of a module file, read on first use.
pub fn summary_of<'m>(
    file: &FilePath,
    files: &BTreeMap<FilePath, Arc<ParsedFile>>,
    source: &dyn FileSource,
    layout: &Layout,
    modules: &'m mut BTreeMap<FilePath, ModuleSummary>,
) -> Option<&'m ModuleSummary> {
    if !modules.contains_key(file) {
        let parsed = match files.get(file) {
            Some(p) => p.clone(),
            None => source.parsed(file)?,
        };
        modules.insert(file.clone(), ModuleSummary::read(&parsed, source, layout, files));
    }
    modules.get(file)
}
