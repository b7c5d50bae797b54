//! From the lint crate's diagnostics and fixes to LSP types, with positions in UTF-16.

use std::collections::HashMap;

use nixpilot_lint::rules::Group;
use nixpilot_lint::{Applicability, Diagnostic, Severity};
use tower_lsp::lsp_types::{
    self as lsp, CodeActionKind, CodeDescription, DiagnosticRelatedInformation, Location, NumberOrString, TextEdit,
    Url, WorkspaceEdit,
};

use crate::documents::Document;

/// Resolves a project-relative path to its URI and the text the diagnostic was computed on.
pub trait Texts {
    fn uri(&self, path: &str) -> Option<Url>;
    fn document(&self, path: &str) -> Option<&Document>;
}

pub fn severity(s: Severity) -> lsp::DiagnosticSeverity {
    match s {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
    }
}

pub fn diagnostic(d: &Diagnostic, texts: &dyn Texts) -> Option<lsp::Diagnostic> {
    let doc = texts.document(&d.span.file)?;
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter_map(|l| {
            let uri = texts.uri(&l.span.file)?;
            let range = texts.document(&l.span.file)?.range(l.span.range);
            Some(DiagnosticRelatedInformation {
                location: Location { uri, range },
                message: l.message.clone(),
            })
        })
        .collect();
    let meta = nixpilot_lint::rules::by_name(d.rule);
    // Style findings at their default level are hints: editors show them faintly, below
    // everything that is about the configuration itself.
    let is_style_info = d.severity == Severity::Info && meta.is_some_and(|m| m.group == Group::Style);
    Some(lsp::Diagnostic {
        range: doc.range(d.span.range),
        severity: Some(if is_style_info {
            lsp::DiagnosticSeverity::HINT
        } else {
            severity(d.severity)
        }),
        code: Some(NumberOrString::String(d.rule.to_string())),
        code_description: meta
            .and_then(|m| Url::parse(&m.help_uri()).ok())
            .map(|href| CodeDescription { href }),
        source: Some("nixpilot".into()),
        message: d.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    })
}

/// Every fix of a diagnostic as a quick fix; safe ones are marked preferred.
pub fn quick_fixes(
    d: &Diagnostic,
    lsp_diagnostic: &lsp::Diagnostic,
    texts: &dyn Texts,
) -> Vec<lsp::CodeActionOrCommand> {
    let mut out = Vec::new();
    for fix in &d.fixes {
        if fix.edits.is_empty() {
            continue;
        }
        let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
        let mut complete = true;
        for edit in &fix.edits {
            match (texts.uri(&edit.span.file), texts.document(&edit.span.file)) {
                (Some(uri), Some(doc)) => changes.entry(uri).or_default().push(TextEdit {
                    range: doc.range(edit.span.range),
                    new_text: edit.new_text.clone(),
                }),
                _ => complete = false,
            }
        }
        if !complete {
            continue;
        }
        let suffix = match fix.applicability {
            Applicability::Safe => "",
            Applicability::Unsafe => " (unsafe)",
            Applicability::DisplayOnly => continue,
        };
        out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
            title: format!("{}{suffix}", fix.title),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![lsp_diagnostic.clone()]),
            edit: Some(WorkspaceEdit {
                changes: Some(changes),
                ..WorkspaceEdit::default()
            }),
            is_preferred: Some(fix.applicability == Applicability::Safe),
            ..lsp::CodeAction::default()
        }));
    }
    out
}

/// "Allow this rule here": a suppression comment on its own line above the diagnostic.
pub fn allow_action(
    d: &Diagnostic,
    lsp_diagnostic: &lsp::Diagnostic,
    texts: &dyn Texts,
) -> Option<lsp::CodeActionOrCommand> {
    if !d.span.file.ends_with(".nix") {
        return None;
    }
    let uri = texts.uri(&d.span.file)?;
    let doc = texts.document(&d.span.file)?;
    let line = lsp_diagnostic.range.start.line as usize;
    let text = doc.rope.get_line(line)?.to_string();
    let indent: String = text.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    let at = lsp::Position {
        line: line as u32,
        character: 0,
    };
    let edit = TextEdit {
        range: lsp::Range { start: at, end: at },
        new_text: format!("{indent}# nixpilot: allow({})\n", d.rule),
    };
    Some(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
        title: format!("Allow `{}` on this line", d.rule),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![lsp_diagnostic.clone()]),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(uri, vec![edit])])),
            ..WorkspaceEdit::default()
        }),
        is_preferred: Some(false),
        ..lsp::CodeAction::default()
    }))
}
