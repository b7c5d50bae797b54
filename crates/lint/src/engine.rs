//! Runs the rules: one parse and one tree walk per file (in parallel), the project model
//! and project rules, then suppressions and configured severities. A pure function of texts.

use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use rnix::{NodeOrToken, SyntaxKind, WalkEvent};

use crate::config::{Config, RuleLevel};
use crate::diagnostic::Diagnostic;
use crate::project::{FileSource, ParsedFile, Project};
use crate::rules::{self, FileContext, FileRule, ProjectContext, ProjectRule};
use crate::source::SourceFile;
use crate::suppression::{self, Suppression};

/// The enabled rules, with file rules indexed by the node kind they visit.
pub struct RuleSet {
    by_kind: Vec<Vec<&'static dyn FileRule>>,
    whole_file: Vec<&'static dyn FileRule>,
    project: Vec<&'static dyn ProjectRule>,
}

impl RuleSet {
    pub fn new(config: &Config) -> RuleSet {
        let max_kind = SyntaxKind::NODE_WITH as usize + 1;
        let mut by_kind: Vec<Vec<&'static dyn FileRule>> = vec![Vec::new(); max_kind];
        let mut whole_file = Vec::new();
        for &rule in rules::FILE_RULES {
            if !config.is_enabled(rule.meta()) {
                continue;
            }
            whole_file.push(rule);
            for kind in rule.node_kinds() {
                by_kind[*kind as usize].push(rule);
            }
        }
        let project = rules::PROJECT_RULES
            .iter()
            .copied()
            .filter(|r| config.is_enabled(r.meta()))
            .collect();
        RuleSet {
            by_kind,
            whole_file,
            project,
        }
    }
}

/// What one file's analysis produced before suppressions are applied.
pub struct FileAnalysis {
    pub diagnostics: Vec<Diagnostic>,
    pub suppressions: Vec<Suppression>,
}

/// Runs every enabled file rule over one parsed file in a single walk of its tree.
pub fn analyze_file(parsed: &ParsedFile, rules: &RuleSet) -> FileAnalysis {
    let file = &parsed.source;
    let root = parsed.syntax();
    let mut cx = FileContext::new(file, &root);
    for rule in &rules.whole_file {
        rule.check_file(&parsed.errors, &mut cx);
    }
    let mut suppressions = Vec::new();
    // Suppressions are comments holding `nixpilot:`. Without that text the walk needs no
    // tokens, which are more than half of a tree's elements.
    if memchr::memmem::find(file.text.as_bytes(), suppression::MARKER.as_bytes()).is_none() {
        for event in root.preorder() {
            if let WalkEvent::Enter(node) = event {
                for rule in &rules.by_kind[node.kind() as usize] {
                    rule.check_node(&node, &mut cx);
                }
            }
        }
        return FileAnalysis {
            diagnostics: cx.diagnostics,
            suppressions,
        };
    }
    for event in root.preorder_with_tokens() {
        let WalkEvent::Enter(element) = event else { continue };
        match element {
            NodeOrToken::Node(node) => {
                for rule in &rules.by_kind[node.kind() as usize] {
                    rule.check_node(&node, &mut cx);
                }
            }
            NodeOrToken::Token(token) => {
                if token.kind() == SyntaxKind::TOKEN_COMMENT {
                    if let Some(s) = suppression::parse_comment(file, &token) {
                        suppressions.push(s);
                    }
                }
            }
        }
    }
    FileAnalysis {
        diagnostics: cx.diagnostics,
        suppressions,
    }
}

/// Which project diagnostics a run reports: those in files below one of these project-relative
/// paths (`""` is the whole project).
#[derive(Debug, Clone)]
pub struct Scope(pub Vec<String>);

impl Scope {
    pub fn whole() -> Scope {
        Scope(vec![String::new()])
    }

    pub fn contains(&self, path: &str) -> bool {
        self.0
            .iter()
            .any(|p| p.is_empty() || path == p || path.strip_prefix(p.as_str()).is_some_and(|r| r.starts_with('/')))
    }
}

/// Everything a lint run found.
pub struct LintResult {
    /// Sorted by file, position and rule.
    pub diagnostics: Vec<Diagnostic>,
    /// How many files were checked by the file rules.
    pub files_checked: usize,
    /// The project model, when project rules ran.
    pub project: Option<Project>,
}

/// Lints `files` with the file rules and, when a `source` for the whole project is given,
/// builds the project model and runs the project rules, keeping their diagnostics that fall
/// in `scope` (and, for Nix files, in `files`). `progress` is called once per file analysed.
pub fn lint(
    files: &[SourceFile],
    source: Option<&dyn FileSource>,
    scope: &Scope,
    config: &Config,
    progress: &(dyn Fn() + Sync),
) -> LintResult {
    let parsed: Vec<Arc<ParsedFile>> = files
        .par_iter()
        .map(|f| Arc::new(ParsedFile::parse(f.clone())))
        .collect();
    lint_parsed(&parsed, source, scope, config, progress)
}

/// `lint` for files already parsed (the language server keeps the trees of open buffers
/// between edits).
pub fn lint_parsed(
    parsed: &[Arc<ParsedFile>],
    source: Option<&dyn FileSource>,
    scope: &Scope,
    config: &Config,
    progress: &(dyn Fn() + Sync),
) -> LintResult {
    let rules = RuleSet::new(config);
    let analyses: Vec<FileAnalysis> = parsed
        .par_iter()
        .map(|p| {
            let analysis = analyze_file(p, &rules);
            progress();
            analysis
        })
        .collect();

    let project = source.map(|s| Project::build(s, parsed));
    let paths: Vec<crate::diagnostic::FilePath> = parsed.iter().map(|p| p.path().clone()).collect();
    let texts: Vec<Option<&SourceFile>> = parsed.iter().map(|p| Some(&p.source)).collect();
    let diagnostics = finish(&paths, &texts, analyses, project.as_ref(), &rules, scope, config);
    LintResult {
        diagnostics,
        files_checked: parsed.len(),
        project,
    }
}

/// What `lint_streamed` found, with the texts a report of it needs.
pub struct StreamedLint {
    pub result: LintResult,
    /// The text of every linted file with a diagnostic (the project model holds the texts
    /// of the other files its diagnostics point into).
    pub texts: Vec<SourceFile>,
}

/// `lint` for files read one at a time by `read` (project-relative `paths`), keeping only
/// what the report needs: the texts of files with diagnostics or suppressions, and the
/// syntax trees only when the project model reads them (a `flake.nix` at the root). Memory
/// then follows the files in flight, not the size of the tree. The first read error stops
/// the run.
pub fn lint_streamed<E: Send>(
    paths: &[crate::diagnostic::FilePath],
    read: &(dyn Fn(&crate::diagnostic::FilePath) -> Result<SourceFile, E> + Sync),
    source: Option<&dyn FileSource>,
    scope: &Scope,
    config: &Config,
    progress: &(dyn Fn() + Sync),
) -> Result<StreamedLint, E> {
    let rules = RuleSet::new(config);
    let keep_trees = source.is_some_and(|s| s.exists("flake.nix"));
    let done: Vec<(Option<SourceFile>, Option<Arc<ParsedFile>>, FileAnalysis)> = paths
        .par_iter()
        .map(|path| {
            let parsed = ParsedFile::parse(read(path)?);
            let analysis = analyze_file(&parsed, &rules);
            progress();
            let needed = !analysis.diagnostics.is_empty() || !analysis.suppressions.is_empty();
            let text = needed.then(|| parsed.source.clone());
            let tree = keep_trees.then(|| Arc::new(parsed));
            Ok((text, tree, analysis))
        })
        .collect::<Result<_, E>>()?;
    let mut texts = Vec::with_capacity(done.len());
    let mut trees = Vec::new();
    let mut analyses = Vec::with_capacity(done.len());
    for (text, tree, analysis) in done {
        texts.push(text);
        trees.extend(tree);
        analyses.push(analysis);
    }
    let project = source.map(|s| Project::build(s, &trees));
    drop(trees);
    let refs: Vec<Option<&SourceFile>> = texts.iter().map(Option::as_ref).collect();
    // A file without a text of its own has no suppressions: `finish` only needs its path.
    let diagnostics = finish(paths, &refs, analyses, project.as_ref(), &rules, scope, config);
    // Project rules may report in a linted file that had nothing of its own: read it again.
    let mut kept: Vec<SourceFile> = texts.into_iter().flatten().collect();
    let have: std::collections::HashSet<&str> = kept.iter().map(|f| &*f.path).collect();
    let in_model = |p: &str| project.as_ref().is_some_and(|m| m.sources().any(|s| &*s.path == p));
    let mut missing: Vec<crate::diagnostic::FilePath> = diagnostics
        .iter()
        .map(|d| d.span.file.clone())
        .filter(|p| !have.contains(&**p))
        .collect();
    missing.dedup();
    missing.retain(|p| paths.contains(p) && !in_model(p));
    drop(have);
    for path in missing {
        kept.push(read(&path)?);
    }
    Ok(StreamedLint {
        result: LintResult {
            diagnostics,
            files_checked: paths.len(),
            project,
        },
        texts: kept,
    })
}

/// Project rules, suppressions, configured severities and sorting. `texts[i]` is the text of
/// `paths[i]`, or `None` for a file without suppressions whose text was not kept.
fn finish(
    paths: &[crate::diagnostic::FilePath],
    texts: &[Option<&SourceFile>],
    mut analyses: Vec<FileAnalysis>,
    project: Option<&Project>,
    rules: &RuleSet,
    scope: &Scope,
    config: &Config,
) -> Vec<Diagnostic> {
    if let Some(project) = project {
        if !rules.project.is_empty() {
            let mut cx = ProjectContext::new(project);
            for rule in &rules.project {
                rule.check(&mut cx);
            }
            let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
            for (i, p) in paths.iter().enumerate() {
                index.entry(&**p).or_insert(i);
            }
            let mut outside = Vec::new();
            for d in cx.into_diagnostics() {
                if !scope.contains(&d.span.file) {
                    continue;
                }
                match index.get(&*d.span.file) {
                    Some(&i) => analyses[i].diagnostics.push(d),
                    // Non-Nix files (flake.lock, …) have no suppressions; excluded Nix files stay quiet.
                    None if !d.span.file.ends_with(".nix") => outside.push(d),
                    None => {}
                }
            }
            if let Some(first) = analyses.first_mut() {
                first.diagnostics.extend(outside);
            } else {
                analyses.push(FileAnalysis {
                    diagnostics: outside,
                    suppressions: Vec::new(),
                });
            }
        }
    }

    let mut diagnostics = Vec::new();
    for (i, mut analysis) in analyses.into_iter().enumerate() {
        if let Some(Some(file)) = texts.get(i) {
            suppression::apply(file, &mut analysis.suppressions, &mut analysis.diagnostics, config);
        }
        diagnostics.append(&mut analysis.diagnostics);
    }
    // A configured level replaces whatever the rule chose (rules may lower a finding's
    // severity themselves, e.g. an untracked private key is only a warning).
    for d in &mut diagnostics {
        if let Some(RuleLevel::On(severity)) = config.rules.get(d.rule) {
            d.severity = *severity;
        }
    }
    // Engine-made diagnostics of a rule switched off are dropped here.
    diagnostics.retain(|d| rules::by_name(d.rule).is_none_or(|m| config.is_enabled(m)));
    diagnostics.sort_by(|a, b| {
        (
            &a.span.file,
            a.span.range.start(),
            a.span.range.end(),
            a.rule,
            &a.message,
        )
            .cmp(&(
                &b.span.file,
                b.span.range.start(),
                b.span.range.end(),
                b.rule,
                &b.message,
            ))
    });
    diagnostics
}

/// A rule set built once for callers that lint with the default configuration.
pub fn default_rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::new(&Config::default()))
}
