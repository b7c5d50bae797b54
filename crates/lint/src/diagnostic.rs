//! What a rule reports: a diagnostic with its primary span, secondary labels and fixes.
//! Every renderer (human, json, sarif, github, LSP) works from these values alone.

use std::fmt;
use std::sync::Arc;

use rowan::TextRange;
use serde::{Deserialize, Serialize};

/// How serious a diagnostic is. Ordered so that `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A path relative to the project root, with `/` separators (`hosts/a/configuration.nix`).
/// Cheap to clone: every diagnostic of a file shares one allocation.
pub type FilePath = Arc<str>;

/// A place in a file: the file and a byte range within its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FilePath,
    pub range: TextRange,
}

impl Span {
    pub fn new(file: FilePath, range: TextRange) -> Span {
        Span { file, range }
    }
}

/// A secondary place that explains the diagnostic ("first defined here").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// Whether a fix may be applied without a human looking at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Keeps the meaning of the code; `--fix` applies it.
    Safe,
    /// Probably right but may change meaning; needs `--unsafe-fixes`.
    Unsafe,
    /// Shown to the user, never applied automatically.
    DisplayOnly,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

/// Replace the text at `span` with `new_text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub new_text: String,
}

/// A titled set of edits that together resolve a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn safe(title: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            title: title.into(),
            applicability: Applicability::Safe,
            edits,
        }
    }

    pub fn unsafe_(title: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            title: title.into(),
            applicability: Applicability::Unsafe,
            edits,
        }
    }
}

/// One finding of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The rule's stable name, e.g. `unused-let-binding`.
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    pub labels: Vec<Label>,
    pub fixes: Vec<Fix>,
}

impl Diagnostic {
    /// A diagnostic at the rule's default severity; the engine applies configured severities later.
    pub fn new(rule: &'static crate::rules::RuleMeta, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            rule: rule.name,
            severity: rule.default_severity,
            message: message.into(),
            span,
            labels: Vec::new(),
            fixes: Vec::new(),
        }
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a label at the call of the helper that made the value at the primary span (the
    /// project model's `via`), when there is one.
    pub fn with_call_site(self, call: Option<Span>) -> Self {
        match call {
            Some(span) => self.with_label(span, "the value comes from this call"),
            None => self,
        }
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fixes.push(fix);
        self
    }
}
