//! The project model: what blueprint, srvos and the NixOS module system will make of the
//! repository, read statically. A pure function of the texts a `FileSource` supplies.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use rnix::SyntaxNode;
use rowan::GreenNode;

use crate::diagnostic::FilePath;
use crate::source::SourceFile;

pub mod catalogue;
pub mod disko;
pub mod flake;
pub mod host;
pub mod key_material;
pub mod layout;
pub mod lock;
pub mod module;
pub mod nix;
mod reparse;
pub mod secrets;
pub mod source;

pub use flake::{Flake, FlakeInput, Follows};
pub use host::{Definition, HostView, Lookup, ModuleOrigin, Priority, Value};
pub use layout::{HostDir, HostEntry, Layout};
pub use lock::{Lock, LockError};
pub use module::{BodyInsertion, Import, ImportTarget, ModuleSummary};
pub use secrets::Secrets;
pub use source::{EntryKind, FileSource, MemorySource};

/// A parsed Nix file. The green tree is immutable and shareable across threads.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    pub source: SourceFile,
    green: GreenNode,
    pub errors: Vec<rnix::ParseError>,
    /// Set when the file was too deeply nested to parse safely; the tree is then empty.
    pub refused: Option<crate::parse::Refused>,
    /// How long parsing took (the engine's per-file time limit counts it).
    pub parse_time: std::time::Duration,
}

impl ParsedFile {
    pub fn parse(source: SourceFile) -> ParsedFile {
        let started = std::time::Instant::now();
        let parsed = crate::parse::parse(&source.text);
        ParsedFile {
            green: parsed.green,
            errors: parsed.errors,
            refused: parsed.refused,
            parse_time: started.elapsed(),
            source,
        }
    }

    /// Whether the parser reported errors, the file was not UTF-8 or too deep to parse.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.source.invalid_utf8_at.is_some() || self.refused.is_some()
    }

    pub fn syntax(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green.clone())
    }

    /// The same tree and text under another project-relative path.
    pub fn with_path(&self, path: FilePath) -> ParsedFile {
        let mut source = self.source.clone();
        source.path = path;
        ParsedFile {
            source,
            green: self.green.clone(),
            errors: self.errors.clone(),
            refused: self.refused,
            parse_time: self.parse_time,
        }
    }

    pub fn path(&self) -> &FilePath {
        &self.source.path
    }
}

/// Everything the project rules see.
pub struct Project {
    /// Every Nix file of the project, parsed, by path.
    pub files: BTreeMap<FilePath, Arc<ParsedFile>>,
    /// Other files the model read (flake.lock, …), so diagnostics can point into them.
    pub other_files: BTreeMap<FilePath, SourceFile>,
    pub flake: Option<Flake>,
    /// `flake.lock`: absent, parsed, or unreadable (with why).
    pub lock: Option<Result<Lock, LockError>>,
    pub layout: Layout,
    pub hosts: Vec<HostView>,
    /// Every module file read: reached from a host, or under `hosts/` or `modules/`.
    pub modules: BTreeMap<FilePath, ModuleSummary>,
    /// What each path literal in a definition points at (`None`: nothing there), so rules can
    /// check `keyFiles` and the like without IO.
    pub paths: BTreeMap<String, Option<EntryKind>>,
    /// `.sops.yaml`, sops files, host keys and private keys in the tree.
    pub secrets: Secrets,
}

impl Project {
    /// Builds the model from a file source. `preparsed` files (already read and parsed by the
    /// caller) are reused instead of being read again.
    pub fn build(source: &dyn FileSource, preparsed: &[Arc<ParsedFile>]) -> Project {
        let mut files: BTreeMap<FilePath, Arc<ParsedFile>> =
            preparsed.iter().map(|p| (p.path().clone(), p.clone())).collect();
        // Without a flake.nix there are no inputs, hosts or blueprint modules: no project
        // rule reads the other Nix files, so they are neither listed nor parsed.
        let has_flake = files.contains_key("flake.nix") || source.kind("flake.nix") == Some(EntryKind::File);
        let missing: Vec<FilePath> = if has_flake {
            source
                .nix_files()
                .into_iter()
                .filter(|p| !files.contains_key(p))
                .collect()
        } else {
            Vec::new()
        };
        let parsed: Vec<Arc<ParsedFile>> = missing.par_iter().filter_map(|p| source.parsed(p)).collect();
        for p in parsed {
            files.insert(p.path().clone(), p);
        }

        let mut other_files = BTreeMap::new();
        let flake = files.get("flake.nix").map(|f| Flake::from_file(f));
        let lock = source.read("flake.lock").map(|text| {
            let lock = Lock::parse(&text);
            other_files.insert(text.path.clone(), text);
            lock
        });
        let prefix = flake.as_ref().and_then(|f| f.blueprint_prefix.clone());
        // Folder conventions (hosts/, modules/) only mean something when blueprint builds the
        // outputs; other repositories use the same names for their own schemes.
        let layout = if flake.as_ref().is_some_and(|f| f.uses_blueprint) {
            Layout::discover(source, prefix.as_deref())
        } else {
            Layout::default()
        };
        // Modules no host reaches are still checked (imports, arguments).
        let in_dir = |p: &str, d: &str| {
            let d = if layout.root.is_empty() {
                d.to_string()
            } else {
                format!("{}/{d}", layout.root)
            };
            p.starts_with(&format!("{d}/"))
        };
        let blueprint = flake.as_ref().is_some_and(|f| f.uses_blueprint);
        let module_roots: Vec<FilePath> = files
            .keys()
            .filter(|p| blueprint && (in_dir(p, "hosts") || in_dir(p, "modules")))
            .cloned()
            .collect();
        // Every summary below hosts/ and modules/ is needed anyway: read them in parallel
        // first (a summary depends only on its file), then the hosts find them ready.
        let mut modules: BTreeMap<FilePath, ModuleSummary> = module_roots
            .par_iter()
            .filter_map(|p| files.get(p))
            .map(|parsed| {
                (
                    parsed.path().clone(),
                    ModuleSummary::read(parsed, source, &layout, &files),
                )
            })
            .collect();
        let hosts: Vec<HostView> = layout
            .hosts
            .iter()
            .filter_map(|h| HostView::build(h, &files, source, flake.as_ref(), &layout, &mut modules))
            .collect();
        for path in module_roots {
            host::summary_of(&path, &files, source, &layout, &mut modules);
        }
        let mut paths = BTreeMap::new();
        for summary in modules.values() {
            for d in &summary.definitions {
                collect_paths(&d.value, &mut |p| {
                    paths.entry(p.to_string()).or_insert_with(|| source.kind(p));
                });
            }
        }
        let host_dirs: Vec<(String, String)> = layout.hosts.iter().map(|h| (h.name.clone(), h.dir.clone())).collect();
        let secrets = Secrets::build(source, &hosts, &host_dirs, &mut other_files);
        Project {
            files,
            other_files,
            flake,
            lock,
            layout,
            hosts,
            modules,
            paths,
            secrets,
        }
    }

    /// The range of the first occurrence of `needle` in a file the model holds (empty at the
    /// start of the file when absent): for pointing into YAML and key files.
    pub fn find_text(&self, file: &str, needle: &str) -> rowan::TextRange {
        let text = self
            .files
            .get(file)
            .map(|f| &f.source.text)
            .or_else(|| self.other_files.get(file).map(|f| &f.text));
        match text.and_then(|t| t.find(needle)) {
            Some(i) => rowan::TextRange::at((i as u32).into(), rowan::TextSize::of(needle)),
            None => rowan::TextRange::empty(0.into()),
        }
    }

    /// The range of 1-based `line` of a file the model holds (for errors reported by line).
    pub fn line_range(&self, file: &str, line: usize) -> rowan::TextRange {
        let source = self
            .files
            .get(file)
            .map(|f| &f.source)
            .or_else(|| self.other_files.get(file));
        let Some(source) = source else {
            return rowan::TextRange::empty(0.into());
        };
        let Some(start) = source.line_start(line.saturating_sub(1)) else {
            return rowan::TextRange::empty(0.into());
        };
        let len = source.line_text(line.saturating_sub(1)).len();
        rowan::TextRange::at((start as u32).into(), (len as u32).into())
    }

    /// Whether a project path named in a definition exists (`None` when never looked up).
    pub fn path_kind(&self, path: &str) -> Option<Option<EntryKind>> {
        self.paths.get(path).copied()
    }

    pub fn file(&self, path: &str) -> Option<&ParsedFile> {
        self.files.get(path).map(|f| f.as_ref())
    }

    /// Every text the model holds, for renderers.
    /// The `imports` entries that bring in `file` (by path or as a blueprint module), with
    /// the file each is written in.
    pub fn importers_of(&self, file: &str) -> Vec<(FilePath, rowan::TextRange)> {
        let mut out: Vec<(FilePath, rowan::TextRange)> = self
            .modules
            .values()
            .flat_map(|m| m.imports.iter().map(move |i| (m, i)))
            .filter(|(_, i)| match &i.target {
                module::ImportTarget::File(f) | module::ImportTarget::FlakeModule { file: Some(f), .. } => &**f == file,
                _ => false,
            })
            .map(|(m, i)| (m.file.clone(), i.range))
            .collect();
        out.sort_by_key(|(f, r)| (f.clone(), r.start(), r.end()));
        out.dedup();
        out
    }

    pub fn sources(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.values().map(|f| &f.source).chain(self.other_files.values())
    }
}

fn collect_paths(value: &Value, found: &mut dyn FnMut(&str)) {
    match value {
        Value::Path(Some(p)) => found(p),
        Value::List(items) => items.iter().for_each(|(v, _)| collect_paths(v, found)),
        _ => {}
    }
}
