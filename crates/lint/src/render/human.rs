//! `--format human`: codespan-reporting snippets and a one-line summary.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel, Severity as CsSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};

use super::{plural, Renderer, Report};
use crate::diagnostic::{Applicability, Severity};

pub struct Human;

impl Renderer for Human {
    fn render(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        let mut files: SimpleFiles<String, Arc<str>> = SimpleFiles::new();
        let mut ids: HashMap<&str, usize> = HashMap::new();
        let mut id_of = |path: &str, files: &mut SimpleFiles<String, Arc<str>>| -> Option<usize> {
            if let Some(id) = ids.get(path) {
                return Some(*id);
            }
            let source = report.file(path)?;
            let id = files.add(format!("{}{}", report.display_prefix, path), source.text.clone());
            ids.insert(source.path.as_ref(), id);
            Some(id)
        };
        let config = term::Config::default();
        let mut fixable = 0;
        for d in report.diagnostics {
            let file_id = id_of(&d.span.file, &mut files);
            let severity = match d.severity {
                Severity::Error => CsSeverity::Error,
                Severity::Warning => CsSeverity::Warning,
                Severity::Info => CsSeverity::Note,
            };
            // A file whose text is not at hand (a directory, an unreadable file) still gets its
            // diagnostic, named in the message instead of shown as a snippet.
            let mut labels = Vec::new();
            if let Some(id) = file_id {
                labels.push(CsLabel::primary(id, d.span.range));
            }
            for l in &d.labels {
                if let Some(id) = id_of(&l.span.file, &mut files) {
                    labels.push(CsLabel::secondary(id, l.span.range).with_message(&l.message));
                }
            }
            let mut notes: Vec<String> = d
                .fixes
                .iter()
                .map(|f| {
                    let how = match f.applicability {
                        Applicability::Safe => "fix",
                        Applicability::Unsafe => "fix (unsafe, --unsafe-fixes)",
                        Applicability::DisplayOnly => "suggestion",
                    };
                    format!("{how}: {}", f.title)
                })
                .collect();
            if d.fixes.iter().any(|f| f.applicability == Applicability::Safe) {
                fixable += 1;
            }
            notes.push(format!("see `nixpilot explain {}`", d.rule));
            let message = match file_id {
                Some(_) => d.message.clone(),
                None => format!("{}{}: {}", report.display_prefix, d.span.file, d.message),
            };
            let diagnostic = CsDiagnostic::new(severity)
                .with_code(d.rule)
                .with_message(message)
                .with_labels(labels)
                .with_notes(notes);
            let result = if report.color {
                term::emit_to_write_style(&mut termcolor::Ansi::new(&mut *out), &config, &files, &diagnostic)
            } else {
                term::emit_to_write_style(&mut termcolor::NoColor::new(&mut *out), &config, &files, &diagnostic)
            };
            result.map_err(|e| match e {
                codespan_reporting::files::Error::Io(io) => io,
                other => io::Error::other(other.to_string()),
            })?;
        }
        let mut summary = format!(
            "{}, {} in {}",
            plural(report.count(Severity::Error), "error", "errors"),
            plural(report.count(Severity::Warning), "warning", "warnings"),
            plural(report.files_checked, "file", "files"),
        );
        let infos = report.count(Severity::Info);
        if infos > 0 {
            summary.push_str(&format!(" ({})", plural(infos, "info", "infos")));
        }
        if fixable > 0 {
            summary.push_str(&format!("; {fixable} fixable with `nixpilot lint --fix`"));
        }
        writeln!(out, "{summary}")
    }
}
