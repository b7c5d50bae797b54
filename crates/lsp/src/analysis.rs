//! Linting the projects of the open documents: editor buffers override the disk, file rules
//! run on the open Nix files, project rules on the whole project. Runs on a blocking thread.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use nixpilot_lint::config::RuleLevel;
use nixpilot_lint::diagnostic::FilePath;
use nixpilot_lint::engine::{self, Scope};
use nixpilot_lint::project::source::OverlaySource;
use nixpilot_lint::project::{EntryKind, FileSource, ParsedFile};
use nixpilot_lint::{vfs, Config, Diagnostic, SourceFile};
use tower_lsp::lsp_types::Url;

use crate::convert::Texts;
use crate::documents::Document;

/// The diagnostics of one project, with the texts they were computed on.
pub struct ProjectAnalysis {
    pub root: PathBuf,
    /// Project-relative path -> diagnostics located in that file.
    pub diagnostics: BTreeMap<String, Vec<Diagnostic>>,
    /// The text of every file a diagnostic, label or fix points into.
    pub texts: BTreeMap<String, Document>,
    /// Why `nixpilot.toml` was ignored, if it was.
    pub config_error: Option<String>,
    /// The project model the run built (navigation and hover read it).
    pub project: Option<nixpilot_lint::project::Project>,
    /// The trees of the open Nix documents, with the version each was parsed from: the
    /// server keeps them with the buffers for the next edit.
    pub trees: Vec<(PathBuf, i32, Arc<ParsedFile>)>,
    /// The project-relative paths of the open documents this run analysed: each gets a list
    /// of diagnostics from this run, and from no other.
    pub open: Vec<String>,
}

impl Texts for ProjectAnalysis {
    fn uri(&self, path: &str) -> Option<Url> {
        Url::from_file_path(self.root.join(path)).ok()
    }

    fn document(&self, path: &str) -> Option<&Document> {
        self.texts.get(path)
    }
}

/// Lints the project at `root` given the open documents in it (absolute path -> document).
/// `settings` are rule levels from the editor (`workspace/configuration`, section
/// `nixpilot`); `nixpilot.toml` wins where both set a rule.
/// Loose files (`root.is_project` false) get their file rules only: no configuration, no
/// project model, no read of anything beside them.
pub fn analyze(
    analysis_root: &AnalysisRoot,
    open: &[(PathBuf, Document)],
    settings: &BTreeMap<String, RuleLevel>,
) -> ProjectAnalysis {
    let root = analysis_root.dir.as_path();
    let (mut config, config_error) = if analysis_root.is_project {
        match vfs::load_config(root) {
            Ok(c) => (c, None),
            Err(e) => (Config::default(), Some(e.to_string())),
        }
    } else {
        (Config::default(), None)
    };
    for (rule, level) in settings {
        config.rules.entry(rule.clone()).or_insert(*level);
    }
    let mut overlay = BTreeMap::new();
    let mut files = Vec::new();
    let mut trees = Vec::new();
    for (path, doc) in open {
        let rel = vfs::relative_path(root, path);
        let text = doc.text();
        if rel.ends_with(".nix") && !config.is_excluded(&rel) {
            // The tree kept with the buffer, when it is the current text's; else a full parse.
            let parsed = match &doc.parsed {
                Some(p) if *p.source.text == *text => Arc::new(p.with_path(rel.as_str().into())),
                _ => Arc::new(ParsedFile::parse(SourceFile::new(rel.as_str(), text.as_str()))),
            };
            trees.push((path.clone(), doc.version, parsed.clone()));
            overlay.insert(rel, parsed.source.clone());
            files.push(parsed);
        } else {
            overlay.insert(rel.clone(), SourceFile::new(rel.as_str(), text));
        }
    }
    let result = if analysis_root.is_project {
        let disk = vfs::DiskSource::new(root, &config);
        let cached = CachedSource::new(root, &disk);
        let source = OverlaySource { base: &cached, overlay };
        let result = engine::lint_parsed(&files, Some(&source), &Scope::whole(), &config, &|| {});
        cached.finish();
        result
    } else {
        engine::lint_parsed(&files, None, &Scope::whole(), &config, &|| {})
    };

    let mut texts: BTreeMap<String, Document> = BTreeMap::new();
    let mut open_paths = Vec::new();
    for (path, doc) in open {
        let rel = vfs::relative_path(root, path);
        open_paths.push(rel.clone());
        texts.insert(rel, doc.clone());
    }
    // Ropes only for the files diagnostics, labels and fixes point into: a large project's
    // other files are never shown.
    let mut shown: BTreeSet<&str> = BTreeSet::new();
    for d in &result.diagnostics {
        shown.insert(&d.span.file);
        shown.extend(d.labels.iter().map(|l| &*l.span.file));
        shown.extend(d.fixes.iter().flat_map(|f| f.edits.iter().map(|e| &*e.span.file)));
    }
    if let Some(project) = &result.project {
        for s in project.sources().filter(|s| shown.contains(&*s.path)) {
            texts
                .entry(s.path.to_string())
                .or_insert_with(|| Document::new(&s.text, 0));
        }
    }
    // A file that was not read (`unread-file`: a link out of the repository, a FIFO) has no
    // text: an empty one places the warning at its start.
    for d in result.diagnostics.iter().filter(|d| d.rule == "unread-file") {
        texts
            .entry(d.span.file.to_string())
            .or_insert_with(|| Document::new("", 0));
    }
    let mut diagnostics: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
    for d in result.diagnostics {
        diagnostics.entry(d.span.file.to_string()).or_default().push(d);
    }
    ProjectAnalysis {
        root: root.to_path_buf(),
        diagnostics,
        texts,
        config_error,
        project: result.project,
        trees,
        open: open_paths,
    }
}

/// Trees of the project's files on disk from the previous run, by project root and path.
static DISK_TREES: Mutex<BTreeMap<PathBuf, HashMap<String, Arc<ParsedFile>>>> = Mutex::new(BTreeMap::new());

/// The disk with the trees of the previous run: a file whose text is unchanged is not parsed
/// again (in a 200-host repository that is most of an analysis). Trees of files no longer
/// read are dropped when the run ends.
struct CachedSource<'a> {
    root: &'a Path,
    base: &'a vfs::DiskSource,
    previous: HashMap<String, Arc<ParsedFile>>,
    used: Mutex<HashMap<String, Arc<ParsedFile>>>,
}

impl<'a> CachedSource<'a> {
    fn new(root: &'a Path, base: &'a vfs::DiskSource) -> CachedSource<'a> {
        let previous = DISK_TREES
            .lock()
            .ok()
            .and_then(|mut trees| trees.remove(root))
            .unwrap_or_default();
        CachedSource {
            root,
            base,
            previous,
            used: Mutex::new(HashMap::new()),
        }
    }

    fn finish(self) {
        let used = self.used.into_inner().unwrap_or_default();
        if let Ok(mut trees) = DISK_TREES.lock() {
            trees.insert(self.root.to_path_buf(), used);
        }
    }
}

impl FileSource for CachedSource<'_> {
    fn read(&self, path: &str) -> Option<SourceFile> {
        self.base.read(path)
    }

    fn parsed(&self, path: &str) -> Option<Arc<ParsedFile>> {
        let text = self.base.read(path)?;
        let tree = match self.previous.get(path) {
            Some(tree) if tree.source.text == text.text && tree.source.invalid_utf8_at == text.invalid_utf8_at => {
                tree.clone()
            }
            _ => Arc::new(ParsedFile::parse(text)),
        };
        if let Ok(mut used) = self.used.lock() {
            used.insert(path.to_string(), tree.clone());
        }
        Some(tree)
    }

    fn read_bytes(&self, path: &str) -> Option<Vec<u8>> {
        self.base.read_bytes(path)
    }

    fn read_bytes_within(&self, path: &str, limit: u64) -> Option<Vec<u8>> {
        self.base.read_bytes_within(path, limit)
    }

    fn unread(&self) -> Vec<(FilePath, String)> {
        self.base.unread()
    }

    fn kind(&self, path: &str) -> Option<EntryKind> {
        self.base.kind(path)
    }

    fn list_dir(&self, path: &str) -> Option<Vec<(String, EntryKind)>> {
        self.base.list_dir(path)
    }

    fn nix_files(&self) -> Vec<FilePath> {
        self.base.nix_files()
    }

    fn all_files(&self) -> Vec<FilePath> {
        self.base.all_files()
    }

    fn is_tracked(&self, path: &str) -> Option<bool> {
        self.base.is_tracked(path)
    }
}

/// Where a file is analysed from: the directory its paths are relative to, and whether that is
/// a project (read from disk with project rules) or only the directory of a loose file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalysisRoot {
    pub dir: PathBuf,
    pub is_project: bool,
}

/// The project of a file: the nearest directory above it holding `flake.nix` or
/// `nixpilot.toml`, as `nixpilot lint FILE` decides it. A file under neither (a loose `.nix` file
/// in `$HOME` or `/`) is analysed alone: only its buffer, nothing read from the disk around it.
pub fn analysis_root(path: &Path) -> AnalysisRoot {
    match nixpilot_lint::vfs::project_root_for_file(path) {
        Some(dir) => AnalysisRoot { dir, is_project: true },
        None => AnalysisRoot {
            dir: path.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf),
            is_project: false,
        },
    }
}

/// Reads the `nixpilot` settings section: `{ "rules": { "<rule>": "off|info|warning|error" } }`.
/// Returns the levels and a message per entry that was ignored.
pub fn parse_settings(value: &serde_json::Value) -> (BTreeMap<String, RuleLevel>, Vec<String>) {
    let mut levels = BTreeMap::new();
    let mut problems = Vec::new();
    let Some(rules) = value.get("rules").and_then(|r| r.as_object()) else {
        return (levels, problems);
    };
    for (rule, level) in rules {
        if nixpilot_lint::rules::by_name(rule).is_none() {
            problems.push(format!("nixpilot.rules: unknown rule `{rule}` (ignored)"));
            continue;
        }
        let parsed = match level.as_str() {
            Some("off") => Some(RuleLevel::Off),
            Some(s) => nixpilot_lint::Severity::parse(s).map(RuleLevel::On),
            None => None,
        };
        match parsed {
            Some(l) => {
                levels.insert(rule.clone(), l);
            }
            None => problems.push(format!(
                "nixpilot.rules.{rule}: use \"off\", \"info\", \"warning\" or \"error\" (ignored)"
            )),
        }
    }
    (levels, problems)
}
