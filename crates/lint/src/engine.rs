//! Runs the rules: one parse and one tree walk per file (in parallel), the project model
//! and project rules, then suppressions and configured severities. A pure function of texts.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rnix::{NodeOrToken, SyntaxKind, SyntaxNode, WalkEvent};
use rowan::{TextRange, TextSize};

use crate::config::{Config, RuleLevel};
use crate::diagnostic::{Diagnostic, Span};
use crate::parse::Refused;
use crate::project::{FileSource, ParsedFile, Project};
use crate::rules::analysis_limit::ANALYSIS_LIMIT;
use crate::rules::unread_file::UNREAD_FILE;
use crate::rules::{self, FileContext, FileRule, ProjectContext, ProjectRule};
use crate::scope;
use crate::source::SourceFile;
use crate::suppression::{self, Suppression};

/// The enabled rules, with file rules indexed by the node kind they visit.
pub struct RuleSet {
    by_kind: Vec<Vec<&'static dyn FileRule>>,
    whole_file: Vec<&'static dyn FileRule>,
    project: Vec<&'static dyn ProjectRule>,
    options: crate::config::RuleOptions,
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
            options: config.options.clone(),
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
    analyze_file_within(parsed, rules, Duration::MAX)
}

/// How many tree elements the walk visits between two looks at the clock.
const CLOCK_EVERY: u32 = 1024;

/// `analyze_file`, stopped with an `analysis-limit` diagnostic (and nothing else from the
/// rules) once parsing and walking have taken longer than `limit`. A refused parse gets that
/// diagnostic alone.
pub fn analyze_file_within(parsed: &ParsedFile, rules: &RuleSet, limit: Duration) -> FileAnalysis {
    let file = &parsed.source;
    if let Some(refused) = parsed.refused {
        return stopped(file, refused.offset(), refused_message(refused));
    }
    let deadline = Instant::now().checked_add(limit.saturating_sub(parsed.parse_time));
    let root = parsed.syntax();
    let mut cx = FileContext::new(file, &root, &rules.options, !parsed.errors.is_empty());
    let mut suppressions = Vec::new();
    // Looks at the clock every `CLOCK_EVERY` elements: whether the time is up.
    let mut until_clock = CLOCK_EVERY;
    let mut late = || {
        until_clock -= 1;
        if until_clock > 0 {
            return false;
        }
        until_clock = CLOCK_EVERY;
        deadline.is_some_and(|d| Instant::now() > d)
    };
    // One walk resolves the file's names and collects the nodes some rule wants; the rules run
    // after it, so every rule can ask `cx.names()` for the whole file's resolution without a
    // second walk.
    let mut resolver = scope::Resolver::for_text(&file.text);
    let mut wanted: Vec<SyntaxNode> = Vec::new();
    // Suppressions are comments holding `nixpilot:`. Without that text the walk needs no
    // tokens, which are more than half of a tree's elements.
    if memchr::memmem::find(file.text.as_bytes(), suppression::MARKER.as_bytes()).is_none() {
        for event in root.preorder() {
            match event {
                WalkEvent::Enter(node) => {
                    if late() {
                        return stopped(file, node.text_range().start(), timeout_message(limit));
                    }
                    resolver.enter(&node);
                    if !rules.by_kind[node.kind() as usize].is_empty() {
                        wanted.push(node);
                    }
                }
                WalkEvent::Leave(node) => resolver.leave(&node),
            }
        }
    } else {
        for event in root.preorder_with_tokens() {
            match event {
                WalkEvent::Enter(NodeOrToken::Node(node)) => {
                    if late() {
                        return stopped(file, node.text_range().start(), timeout_message(limit));
                    }
                    resolver.enter(&node);
                    if !rules.by_kind[node.kind() as usize].is_empty() {
                        wanted.push(node);
                    }
                }
                WalkEvent::Enter(NodeOrToken::Token(token)) => {
                    if late() {
                        return stopped(file, token.text_range().start(), timeout_message(limit));
                    }
                    if token.kind() == SyntaxKind::TOKEN_COMMENT {
                        if let Some(s) = suppression::parse_comment(file, &token) {
                            suppressions.push(s);
                        }
                    }
                }
                WalkEvent::Leave(NodeOrToken::Node(node)) => resolver.leave(&node),
                WalkEvent::Leave(NodeOrToken::Token(_)) => {}
            }
        }
    }
    cx.set_names(resolver.finish());
    for rule in &rules.whole_file {
        rule.check_file(&parsed.errors, &mut cx);
    }
    for node in &wanted {
        if late() {
            return stopped(file, node.text_range().start(), timeout_message(limit));
        }
        for rule in &rules.by_kind[node.kind() as usize] {
            rule.check_node(node, &mut cx);
        }
    }
    if deadline.is_some_and(|d| Instant::now() > d) {
        return stopped(file, TextSize::from(0), timeout_message(limit));
    }
    FileAnalysis {
        diagnostics: cx.diagnostics,
        suppressions,
    }
}

fn refused_message(refused: Refused) -> String {
    match refused {
        Refused::Word { length, .. } => format!(
            "not analysed: a run of {length} letters, digits, `.`, `+`, `-`, `_` or `/` without a space starts \
             here (or many long ones); the Nix tokenizer nixpilot uses takes quadratic time on such runs"
        ),
        Refused::Nesting { limit, .. } => format!(
            "not analysed: nested or chained more than {limit} levels deep here (brackets, operator chains, \
             function arguments, lambdas, `let`s…); nixpilot refuses such files rather than overflow its stack"
        ),
        Refused::TreeDepth { limit, .. } => format!(
            "not analysed: the syntax tree gets more than {limit} levels deep here (a very long chain of \
             `+`, `&&`, function arguments…); nixpilot refuses such files rather than overflow its stack"
        ),
    }
}

fn timeout_message(limit: Duration) -> String {
    format!(
        "not analysed: stopped after the per-file time limit of {} s (`file-time-limit` in nixpilot.toml)",
        limit.as_secs_f64()
    )
}

/// The analysis of a file the engine gave up on: one `analysis-limit` diagnostic, no suppressions.
fn stopped(file: &SourceFile, at: TextSize, message: String) -> FileAnalysis {
    let at = at.min(TextSize::of(&*file.text));
    let span = Span::new(file.path.clone(), TextRange::empty(at));
    FileAnalysis {
        diagnostics: vec![Diagnostic::new(&ANALYSIS_LIMIT, span, message)],
        suppressions: Vec::new(),
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
            let analysis = analyze_file_within(p, &rules, config.file_time_limit());
            progress();
            analysis
        })
        .collect();

    // The model's walks recurse on syntax depth: a big stack (see `on_deep_stack`).
    let project = source.map(|s| on_deep_stack(|| Project::build(s, parsed)));
    let paths: Vec<crate::diagnostic::FilePath> = parsed.iter().map(|p| p.path().clone()).collect();
    let texts: Vec<Option<&SourceFile>> = parsed.iter().map(|p| Some(&p.source)).collect();
    let unread = unread_diagnostics(source);
    let diagnostics = finish(
        &paths,
        &texts,
        analyses,
        project.as_ref(),
        unread,
        &rules,
        scope,
        config,
    );
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
            let analysis = analyze_file_within(&parsed, &rules, config.file_time_limit());
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
    let project = source.map(|s| on_deep_stack(|| Project::build(s, &trees)));
    drop(trees);
    let refs: Vec<Option<&SourceFile>> = texts.iter().map(Option::as_ref).collect();
    let unread = unread_diagnostics(source);
    // A file without a text of its own has no suppressions: `finish` only needs its path.
    let diagnostics = finish(paths, &refs, analyses, project.as_ref(), unread, &rules, scope, config);
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

/// An `unread-file` warning for each file the source did not read.
fn unread_diagnostics(source: Option<&dyn FileSource>) -> Vec<Diagnostic> {
    let Some(source) = source else { return Vec::new() };
    source
        .unread()
        .into_iter()
        .map(|(path, why)| {
            let message = format!("`{path}`: {why}");
            Diagnostic::new(
                &UNREAD_FILE,
                crate::diagnostic::Span::new(path, TextRange::default()),
                message,
            )
        })
        .collect()
}

/// Project rules, suppressions, configured severities and sorting. `texts[i]` is the text of
/// `paths[i]`, or `None` for a file without suppressions whose text was not kept. `unread`
/// are the `unread-file` warnings of the run.
#[allow(clippy::too_many_arguments)]
fn finish(
    paths: &[crate::diagnostic::FilePath],
    texts: &[Option<&SourceFile>],
    mut analyses: Vec<FileAnalysis>,
    project: Option<&Project>,
    unread: Vec<Diagnostic>,
    rules: &RuleSet,
    scope: &Scope,
    config: &Config,
) -> Vec<Diagnostic> {
    // Files that were not read have no suppressions of their own: kept with the first file's.
    let unread: Vec<Diagnostic> = unread.into_iter().filter(|d| scope.contains(&d.span.file)).collect();
    if !unread.is_empty() {
        match analyses.first_mut() {
            Some(first) => first.diagnostics.extend(unread),
            None => analyses.push(FileAnalysis {
                diagnostics: unread,
                suppressions: Vec::new(),
            }),
        }
    }
    if let Some(project) = project {
        if !rules.project.is_empty() {
            let project_diagnostics = on_deep_stack(|| {
                let mut cx = ProjectContext::new(project);
                for rule in &rules.project {
                    rule.check(&mut cx);
                }
                cx.into_diagnostics()
            });
            let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
            for (i, p) in paths.iter().enumerate() {
                index.entry(&**p).or_insert(i);
            }
            let mut outside = Vec::new();
            for d in project_diagnostics {
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

    // An empty file is only found wrong by the parser; who imports it is the model's to say.
    if let Some(project) = project {
        for d in analyses.iter_mut().flat_map(|a| a.diagnostics.iter_mut()) {
            if d.rule == rules::syntax_error::SYNTAX_ERROR.name && d.message == rules::syntax_error::EMPTY_FILE_MESSAGE
            {
                for (file, range) in project.importers_of(&d.span.file) {
                    d.labels.push(crate::diagnostic::Label {
                        span: crate::diagnostic::Span::new(file, range),
                        message: "imported here".into(),
                    });
                }
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
        if let Some(RuleLevel::On(severity)) = rules::by_name(d.rule).and_then(|m| config.configured_level(m)) {
            d.severity = severity;
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

/// Stack for the project model and project rules: their walks recurse on syntax depth
/// (bounded by `parse::MAX_TREE_DEPTH`), and callers such as the language server's blocking
/// threads have 2 MiB.
const PROJECT_STACK: usize = 256 << 20;
const _: () = assert!(PROJECT_STACK >= crate::parse::PARSE_STACK);

/// Runs `f` on a thread with `PROJECT_STACK` (only touched pages cost memory); on the calling
/// thread if no thread can be made.
fn on_deep_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let slot = std::sync::Mutex::new(Some(f));
    let take = || slot.lock().ok().and_then(|mut f| f.take());
    let ran = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("nixpilot-project".into())
            .stack_size(PROJECT_STACK)
            .spawn_scoped(scope, || {
                // More than the parse stack: files the model parses here need no thread of
                // their own.
                crate::parse::mark_large_stack_thread();
                take().map(|f| f())
            })
            .ok()
            .map(|handle| handle.join())
    });
    match ran {
        Some(Ok(Some(result))) => result,
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        _ => match take() {
            Some(f) => f(),
            None => unreachable!("the closure ran but returned nothing"),
        },
    }
}

/// A rule set built once for callers that lint with the default configuration.
pub fn default_rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::new(&Config::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_past_the_time_limit_gets_one_analysis_limit_diagnostic() {
        let mut text = String::from("# nixpilot: allow(manual-inherit)\nlet unused = 1; in {\n");
        for i in 0..5_000 {
            text.push_str(&format!("  a{i} = a{i};\n"));
        }
        text.push('}');
        let parsed = ParsedFile::parse(SourceFile::new("slow.nix", text));
        let rules = default_rules();
        let full = analyze_file_within(&parsed, rules, Duration::from_secs(600));
        assert!(full.diagnostics.len() > 1 && !full.suppressions.is_empty());
        let stopped = analyze_file_within(&parsed, rules, Duration::ZERO);
        assert!(stopped.suppressions.is_empty());
        let [d] = &stopped.diagnostics[..] else {
            panic!(
                "{:?}",
                stopped.diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()
            )
        };
        assert_eq!(d.rule, "analysis-limit");
        assert!(d.message.contains("per-file time limit of 0 s"), "{}", d.message);
    }

    #[test]
    fn the_configured_limit_reaches_the_engine() {
        let config = Config::parse("nixpilot.toml", "file-time-limit = 0.000001\n").expect("config");
        let text = format!("{{\n{}}}", "  a = 1;\n".repeat(20_000));
        let result = lint(
            &[SourceFile::new("big.nix", text)],
            None,
            &Scope::whole(),
            &config,
            &|| {},
        );
        assert!(result.diagnostics.iter().any(|d| d.rule == "analysis-limit"));
    }
}
