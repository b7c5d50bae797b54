//! `--format human`: codespan-reporting snippets and a one-line summary.

use std::io::{self, Write};
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel, Severity as CsSeverity};
use codespan_reporting::term::{self, termcolor};

use super::excerpt::{Excerpt, Excerpts};
use super::{plural, Renderer, Report};
use crate::diagnostic::{Applicability, Severity};

pub struct Human;

impl Renderer for Human {
    fn render(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        let config = term::Config::default();
        let mut fixable = 0;
        for d in report.diagnostics {
            let severity = match d.severity {
                Severity::Error => CsSeverity::Error,
                Severity::Warning => CsSeverity::Warning,
                Severity::Info => CsSeverity::Note,
            };
            // Each diagnostic shows excerpts of its files (long lines cut to a window), so
            // its size does not grow with the lines it points into.
            let spans = std::iter::once((&d.span, None)).chain(d.labels.iter().map(|l| (&l.span, Some(&l.message))));
            let mut paths: Vec<&str> = Vec::new();
            let mut ranges: Vec<Vec<Range<usize>>> = Vec::new();
            for (span, _) in spans.clone() {
                if report.file(&span.file).is_none() {
                    continue;
                }
                let range = usize::from(span.range.start())..usize::from(span.range.end());
                match paths.iter().position(|p| *p == &*span.file) {
                    Some(i) => ranges[i].push(range),
                    None => {
                        paths.push(&span.file);
                        ranges.push(vec![range]);
                    }
                }
            }
            let excerpts = Excerpts(
                paths
                    .iter()
                    .zip(&ranges)
                    .filter_map(|(path, ranges)| {
                        let source = report.file(path)?;
                        Some(Excerpt::new(
                            format!("{}{}", report.display_prefix, path),
                            source,
                            ranges,
                        ))
                    })
                    .collect(),
            );
            // A file whose text is not at hand (a directory, an unreadable file) still gets its
            // diagnostic, named in the message instead of shown as a snippet.
            let mut labels = Vec::new();
            let mut primary_shown = false;
            for (span, message) in spans {
                let Some(id) = paths.iter().position(|p| *p == &*span.file) else {
                    continue;
                };
                let excerpt = &excerpts.0[id];
                let range = excerpt.offset(span.range.start().into())..excerpt.offset(span.range.end().into());
                labels.push(match message {
                    None => {
                        primary_shown = true;
                        CsLabel::primary(id, range)
                    }
                    Some(message) => CsLabel::secondary(id, range).with_message(message),
                });
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
            let message = if primary_shown {
                d.message.clone()
            } else {
                format!("{}{}: {}", report.display_prefix, d.span.file, d.message)
            };
            let diagnostic = CsDiagnostic::new(severity)
                .with_code(d.rule)
                .with_message(message)
                .with_labels(labels)
                .with_notes(notes);
            let result = if report.color {
                term::emit_to_write_style(&mut termcolor::Ansi::new(&mut *out), &config, &excerpts, &diagnostic)
            } else {
                term::emit_to_write_style(&mut termcolor::NoColor::new(&mut *out), &config, &excerpts, &diagnostic)
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
