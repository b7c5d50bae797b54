//! `host-without-entry`: a `hosts/<h>/` directory blueprint cannot load.

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Span};
use crate::project::layout::HOST_ENTRY_FILES;

crate::declare_rule! {
    /// ## What it does
    /// Reports a directory under `hosts/` with none of blueprint's entry files
    /// (`default.nix`, `configuration.nix`, `rpi-configuration.nix`,
    /// `darwin-configuration.nix`, `system-configuration.nix`) and no home-manager users.
    ///
    /// ## Why is this bad?
    /// blueprint turns every directory of `hosts/` into a host and throws
    /// `host '<h>' does not have a configuration`, so the whole flake fails to evaluate —
    /// every host, not just this one. A misspelt `configuraton.nix` does the same.
    ///
    /// ## Example
    /// ```text
    /// hosts/web1/config.nix      # not an entry file name
    /// ```
    ///
    /// ## Fix
    /// Rename the host's main file to `configuration.nix` (or remove the directory). There is
    /// no automatic fix.
    pub static HOST_WITHOUT_ENTRY = { name: "host-without-entry", group: Blueprint, severity: Error, fixable: false };
}

pub struct HostWithoutEntry;

impl ProjectRule for HostWithoutEntry {
    fn meta(&self) -> &'static RuleMeta {
        &HOST_WITHOUT_ENTRY
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        for host in &cx.project.layout.hosts {
            if host.entry.is_some() || !host.home_users.is_empty() {
                continue;
            }
            // Point at a Nix file of the directory when there is one (likely a misnamed entry).
            let prefix = format!("{}/", host.dir);
            let file = cx.project.files.keys().find(|p| p.starts_with(&prefix)).cloned();
            let span = Span::new(file.clone().unwrap_or_else(|| host.dir.as_str().into()), rowan::TextRange::empty(0.into()));
            let names: Vec<&str> = HOST_ENTRY_FILES.iter().map(|(n, _)| *n).collect();
            let mut d = Diagnostic::new(
                &HOST_WITHOUT_ENTRY,
                span,
                format!(
                    "host `{}` has no entry file ({}); blueprint fails with \"host '{}' does not have a configuration\"",
                    host.name,
                    names.join(", "),
                    host.name
                ),
            );
            if let Some(file) = file {
                d = d.with_fix(Fix {
                    title: format!("Rename `{file}` to `{}/configuration.nix`", host.dir),
                    applicability: Applicability::DisplayOnly,
                    edits: Vec::new(),
                });
            }
            cx.report(d);
        }
    }
}
