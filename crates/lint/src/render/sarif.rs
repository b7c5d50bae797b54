//! `--format sarif`: SARIF 2.1.0 for code-scanning dashboards, validated against the official
//! schema in the tests. Paths are relative to `%SRCROOT%`, the project root.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::{Renderer, Report};
use crate::diagnostic::{Severity, Span};
use crate::rules::{self, RuleMeta};

pub struct Sarif;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Percent-encodes a relative path for a URI reference, keeping `/`.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn rule_descriptor(meta: &RuleMeta) -> Value {
    json!({
        "id": meta.name,
        "shortDescription": { "text": meta.summary() },
        "fullDescription": { "text": meta.summary() },
        "help": { "text": meta.documentation(), "markdown": meta.documentation() },
        "helpUri": meta.help_uri(),
        "defaultConfiguration": { "level": level(meta.default_severity) },
        "properties": { "tags": [meta.group.as_str()], "fixable": meta.fixable },
    })
}

impl Sarif {
    fn location(report: &Report<'_>, span: &Span) -> Value {
        json!({
            "physicalLocation": {
                "artifactLocation": { "uri": uri_path(&span.file), "uriBaseId": "%SRCROOT%" },
                "region": Self::region(report, span),
            }
        })
    }

    fn region(report: &Report<'_>, span: &Span) -> Value {
        let r = report.range(&span.file, span.range);
        json!({
            "startLine": r.start.line,
            "startColumn": r.start.column,
            "endLine": r.end.line,
            "endColumn": r.end.column,
            "byteOffset": u32::from(span.range.start()),
            "byteLength": u32::from(span.range.len()),
        })
    }

    pub fn to_value(report: &Report<'_>) -> Value {
        let all = rules::all();
        let results: Vec<Value> = report
            .diagnostics
            .iter()
            .map(|d| {
                let index = all.iter().position(|m| m.name == d.rule);
                let related: Vec<Value> = d
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        let mut loc = Self::location(report, &l.span);
                        loc["id"] = json!(i + 1);
                        loc["message"] = json!({ "text": l.message });
                        loc
                    })
                    .collect();
                let fixes: Vec<Value> = d
                    .fixes
                    .iter()
                    .map(|f| {
                        let mut files: Vec<&str> = f.edits.iter().map(|e| &*e.span.file).collect();
                        files.dedup();
                        let changes: Vec<Value> = files
                            .iter()
                            .map(|file| {
                                let replacements: Vec<Value> = f
                                    .edits
                                    .iter()
                                    .filter(|e| &*e.span.file == *file)
                                    .map(|e| {
                                        json!({
                                            "deletedRegion": Self::region(report, &e.span),
                                            "insertedContent": { "text": e.new_text },
                                        })
                                    })
                                    .collect();
                                json!({
                                    "artifactLocation": { "uri": uri_path(file), "uriBaseId": "%SRCROOT%" },
                                    "replacements": replacements,
                                })
                            })
                            .collect();
                        json!({
                            "description": { "text": format!("{} ({})", f.title, f.applicability.as_str()) },
                            "artifactChanges": changes,
                        })
                    })
                    .collect();
                let mut result = json!({
                    "ruleId": d.rule,
                    "level": level(d.severity),
                    "message": { "text": d.message },
                    "locations": [Self::location(report, &d.span)],
                });
                if let Some(i) = index {
                    result["ruleIndex"] = json!(i);
                }
                if !related.is_empty() {
                    result["relatedLocations"] = json!(related);
                }
                if !fixes.is_empty() {
                    result["fixes"] = json!(fixes);
                }
                result
            })
            .collect();
        let mut run = json!({
            "tool": {
                "driver": {
                    "name": "nixpilot",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/nixpilot/nixpilot",
                    "rules": all.iter().map(|m| rule_descriptor(m)).collect::<Vec<_>>(),
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        });
        if let Some(root) = report.root_uri {
            run["originalUriBaseIds"] = json!({ "%SRCROOT%": { "uri": root } });
        }
        json!({
            "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
            "version": "2.1.0",
            "runs": [run],
        })
    }
}

impl Renderer for Sarif {
    fn render(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &Sarif::to_value(report))?;
        writeln!(out)
    }
}
