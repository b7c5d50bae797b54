//! `--format github`: GitHub Actions workflow commands, one annotation per diagnostic.

use std::io::{self, Write};

use super::{Renderer, Report};
use crate::diagnostic::Severity;

pub struct Github;

impl Renderer for Github {
    fn render(&self, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
        for d in report.diagnostics {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let r = report.range(&d.span.file, d.span.range);
            let file = format!("{}{}", report.display_prefix, d.span.file);
            writeln!(
                out,
                "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&file),
                r.start.line,
                r.start.column,
                r.end.line,
                r.end.column,
                escape_property(d.rule),
                escape_data(&d.message),
            )?;
        }
        Ok(())
    }
}

/// Escaping of a workflow command's message (see actions/toolkit `command.ts`).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escaping of a workflow command's property values.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_like_the_actions_toolkit() {
        assert_eq!(super::escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(super::escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
