//! Output formats. Each renders a `Report` to a writer; adding a format is one file here and
//! one line in `FORMATS`.

use std::collections::HashMap;
use std::io::{self, Write};

use rowan::TextRange;
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceFile;

mod excerpt;
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

/// Every output format by its `--format` name.
pub static FORMATS: &[(&str, &dyn Renderer)] = &[
    ("human", &human::Human),
    ("json", &json::Json),
    ("sarif", &sarif::Sarif),
    ("github", &github::Github),
];

pub fn by_name(name: &str) -> Option<&'static dyn Renderer> {
    FORMATS.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

/// Renders a report.
pub trait Renderer: Sync {
    fn render(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()>;
}

/// What renderers need: the diagnostics, the texts they point into, and how to name files.
pub struct Report<'a> {
    pub diagnostics: &'a [Diagnostic],
    pub files_checked: usize,
    /// Prepended to project-relative paths where a format shows paths to a human or to a
    /// CI system running in another directory (human, github); e.g. `examples/demo/`.
    pub display_prefix: &'a str,
    /// `file://` URI of the project root, ending in `/` (SARIF's `%SRCROOT%`).
    pub root_uri: Option<&'a str>,
    /// ANSI colours in the human format.
    pub color: bool,
    files: HashMap<&'a str, &'a SourceFile>,
}

impl<'a> Report<'a> {
    pub fn new(diagnostics: &'a [Diagnostic], files: &'a [SourceFile], files_checked: usize) -> Report<'a> {
        Report {
            diagnostics,
            files_checked,
            display_prefix: "",
            root_uri: None,
            color: false,
            files: files.iter().map(|f| (&*f.path, f)).collect(),
        }
    }

    pub fn file(&self, path: &str) -> Option<&'a SourceFile> {
        self.files.get(path).copied()
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == severity).count()
    }

    /// 1-based line/column range of a span, columns in characters.
    pub fn range(&self, path: &str, range: TextRange) -> LineColRange {
        match self.file(path) {
            Some(f) => {
                let s = f.line_col(range.start());
                let e = f.line_col(range.end());
                LineColRange {
                    start: Position {
                        line: s.line,
                        column: s.column,
                    },
                    end: Position {
                        line: e.line,
                        column: e.column,
                    },
                }
            }
            None => LineColRange {
                start: Position { line: 1, column: 1 },
                end: Position { line: 1, column: 1 },
            },
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct LineColRange {
    pub start: Position,
    pub end: Position,
}

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
