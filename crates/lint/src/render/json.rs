//! `--format json`: the stable machine-readable shape documented in docs/json-output.md.

use std::io::{self, Write};

use serde::Serialize;

use super::{LineColRange, Renderer, Report};
use crate::diagnostic::{Diagnostic, Severity, Span};

/// Bumped only on incompatible changes to the shape.
pub const JSON_VERSION: u32 = 1;

pub struct Json;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'a str,
    severity: Severity,
    message: &'a str,
    file: &'a str,
    range: LineColRange,
    offset: Offsets,
    labels: Vec<JsonLabel<'a>>,
    fixes: Vec<JsonFix<'a>>,
}

#[derive(Serialize)]
struct Offsets {
    start: u32,
    end: u32,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
    range: LineColRange,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    title: &'a str,
    applicability: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    file: &'a str,
    range: LineColRange,
    new_text: &'a str,
}

/// The JSON value of a report (keys in `serde_json::Value` are sorted; the renderer keeps
/// the documented field order).
pub fn to_value(report: &Report<'_>) -> serde_json::Value {
    serde_json::to_value(build(report)).unwrap_or(serde_json::Value::Null)
}

fn build<'a>(report: &'a Report<'a>) -> Output<'a> {
    let range = |s: &Span| report.range(&s.file, s.range);
    let diagnostics = report
        .diagnostics
        .iter()
        .map(|d: &Diagnostic| JsonDiagnostic {
            rule: d.rule,
            severity: d.severity,
            message: &d.message,
            file: &d.span.file,
            range: range(&d.span),
            offset: Offsets {
                start: d.span.range.start().into(),
                end: d.span.range.end().into(),
            },
            labels: d
                .labels
                .iter()
                .map(|l| JsonLabel {
                    file: &l.span.file,
                    range: range(&l.span),
                    message: &l.message,
                })
                .collect(),
            fixes: d
                .fixes
                .iter()
                .map(|f| JsonFix {
                    title: &f.title,
                    applicability: f.applicability.as_str(),
                    edits: f
                        .edits
                        .iter()
                        .map(|e| JsonEdit {
                            file: &e.span.file,
                            range: range(&e.span),
                            new_text: &e.new_text,
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    Output {
        version: JSON_VERSION,
        diagnostics,
        summary: Summary {
            files: report.files_checked,
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            infos: report.count(Severity::Info),
        },
    }
}

impl Renderer for Json {
    fn render(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer(&mut *out, &build(report))?;
        writeln!(out)
    }
}
