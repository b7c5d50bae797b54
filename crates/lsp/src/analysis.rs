//! Linting the projects of the open documents: editor buffers override the disk, file rules
//! run on the open Nix files, project rules on the whole project. Runs on a blocking thread.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nixpilot_lint::engine::{self, Scope};
use nixpilot_lint::project::source::OverlaySource;
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
pub fn analyze(root: &Path, open: &[(PathBuf, Document)]) -> ProjectAnalysis {
    let (config, config_error) = match vfs::load_config(root) {
        Ok(c) => (c, None),
        Err(e) => (Config::default(), Some(e.to_string())),
    };
    let disk = vfs::DiskSource::new(root, &config);
    let mut overlay = BTreeMap::new();
    let mut files = Vec::new();
    for (path, doc) in open {
        let rel = vfs::relative_path(root, path);
        let source = SourceFile::new(rel.as_str(), doc.text());
        if rel.ends_with(".nix") && !config.is_excluded(&rel) {
            files.push(source.clone());
        }
        overlay.insert(rel, source);
    }
    let source = OverlaySource { base: &disk, overlay };
    let result = engine::lint(&files, Some(&source), &Scope::whole(), &config, &|| {});

    let mut texts: BTreeMap<String, Document> = BTreeMap::new();
    for (path, doc) in open {
        texts.insert(vfs::relative_path(root, path), doc.clone());
    }
    if let Some(project) = &result.project {
        for s in project.sources() {
            texts
                .entry(s.path.to_string())
                .or_insert_with(|| Document::new(&s.text, 0));
        }
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
    }
}

/// The project root of a file: the nearest directory at or above it holding flake.nix.
pub fn project_root(path: &Path) -> PathBuf {
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d.join("flake.nix").is_file() {
            return d.to_path_buf();
        }
        dir = d.parent();
    }
    path.parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"))
}
