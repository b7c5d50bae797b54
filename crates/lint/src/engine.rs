//! Runs the rules: one parse and one tree walk per file (in parallel), then the project
//! rules, then suppressions and configured severities. A pure function of the file texts.

use std::sync::OnceLock;

use rayon::prelude::*;
use rnix::{NodeOrToken, SyntaxKind, WalkEvent};

use crate::config::{Config, RuleLevel};
use crate::diagnostic::Diagnostic;
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

/// Parses one file and runs every enabled file rule in a single walk of its tree.
pub fn analyze_file(file: &SourceFile, rules: &RuleSet) -> FileAnalysis {
    let parse = rnix::Root::parse(&file.text);
    let root = parse.syntax();
    let mut cx = FileContext::new(file, &root);
    for rule in &rules.whole_file {
        rule.check_file(parse.errors(), &mut cx);
    }
    let mut suppressions = Vec::new();
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

/// Everything a lint run found.
#[derive(Debug, Clone)]
pub struct LintResult {
    /// Sorted by file, position and rule.
    pub diagnostics: Vec<Diagnostic>,
    /// How many files were checked.
    pub files_checked: usize,
}

/// Lints `targets` (indices into `files`) with file rules and the whole of `files` with the
/// project rules; only diagnostics located in a target file are kept.
/// `progress` is called once per file analysed, from any thread.
pub fn lint(files: &[SourceFile], targets: &[usize], config: &Config, progress: &(dyn Fn() + Sync)) -> LintResult {
    let rules = RuleSet::new(config);
    let mut analyses: Vec<(usize, FileAnalysis)> = targets
        .par_iter()
        .map(|&i| {
            let analysis = analyze_file(&files[i], &rules);
            progress();
            (i, analysis)
        })
        .collect();

    if !rules.project.is_empty() {
        let mut cx = ProjectContext {
            files,
            diagnostics: Vec::new(),
        };
        for rule in &rules.project {
            rule.check(&mut cx);
        }
        for d in cx.diagnostics {
            if let Some((_, a)) = analyses.iter_mut().find(|(i, _)| files[*i].path == d.span.file) {
                a.diagnostics.push(d);
            }
        }
    }

    let mut diagnostics = Vec::new();
    for (i, mut analysis) in analyses {
        suppression::apply(&files[i], &mut analysis.suppressions, &mut analysis.diagnostics, config);
        diagnostics.append(&mut analysis.diagnostics);
    }
    for d in &mut diagnostics {
        if let Some(meta) = rules::by_name(d.rule) {
            if let RuleLevel::On(severity) = config.level(meta) {
                d.severity = severity;
            }
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
    LintResult {
        diagnostics,
        files_checked: targets.len(),
    }
}

/// A rule set built once for callers that lint with the default configuration.
pub fn default_rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::new(&Config::default()))
}
