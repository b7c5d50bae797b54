//! Linting the projects of the open documents: editor buffers override the disk, file rules
//! run on the open Nix files, project rules on the whole project. Runs on a blocking thread.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nixpilot_lint::config::RuleLevel;
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
/// `settings` are rule levels from the editor (`workspace/configuration`, section
/// `nixpilot`); `nixpilot.toml` wins where both set a rule.
pub fn analyze(root: &Path, open: &[(PathBuf, Document)], settings: &BTreeMap<String, RuleLevel>) -> ProjectAnalysis {
    let (mut config, config_error) = match vfs::load_config(root) {
        Ok(c) => (c, None),
        Err(e) => (Config::default(), Some(e.to_string())),
    };
    for (rule, level) in settings {
        config.rules.entry(rule.clone()).or_insert(*level);
    }
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
