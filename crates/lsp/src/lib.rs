//! Placeholder until the language server lands (issue 8).
