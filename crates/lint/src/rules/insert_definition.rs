//! Fixes that add an option definition to a module, in the file's own indentation.

use crate::diagnostic::{Edit, Span};
use crate::project::{HostView, Project};

/// An edit inserting `line` (e.g. `networking.hostName = "web1";`) as the last entry of the
/// host entry file's module body; `None` when the body is not a plain attribute set.
pub fn into_host_entry(project: &Project, host: &HostView, line: &str) -> Option<Edit> {
    let summary = project.modules.get(&host.entry.file)?;
    let body = summary.body.as_ref()?;
    Some(Edit {
        span: Span::new(host.entry.file.clone(), rowan::TextRange::empty(body.insert_at)),
        new_text: format!("\n{}{}", body.indent, line),
    })
}

/// Where host diagnostics point: the opening brace of the entry file's module body, or the
/// start of the file.
pub fn host_anchor(project: &Project, host: &HostView) -> Span {
    let range = project
        .modules
        .get(&host.entry.file)
        .and_then(|s| s.body.as_ref())
        .map_or(rowan::TextRange::empty(0.into()), |b| b.open_brace);
    Span::new(host.entry.file.clone(), range)
}
