//! nixpilot-lint: from Nix file texts to diagnostics. Parsing (rnix), rules, suppressions,
//! fixes and renderers are pure functions of the texts; only `vfs` touches the disk.

pub mod config;
pub mod diagnostic;
pub mod engine;
pub mod fix;
pub mod git_index;
pub mod nesting;
pub mod parse;
pub mod project;
pub mod render;
pub mod rules;
pub mod source;
pub mod suppression;
pub mod vfs;

pub use config::Config;
pub use diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity, Span};
pub use engine::{lint, LintResult};
/// Name resolution lives in the semantics crate; re-exported for the rules and the server.
pub use nixpilot_semantics::scope;
pub use source::SourceFile;

/// Lints one in-memory file with the default configuration (tests, LSP, fuzzing).
pub fn lint_text(path: &str, text: &str) -> Vec<Diagnostic> {
    let files = [SourceFile::new(path, text)];
    engine::lint(&files, None, &engine::Scope::whole(), &Config::default(), &|| {}).diagnostics
}
