//! `hostname-mismatch`: `networking.hostName` differs from the host's directory name.

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix, Span};
use crate::project::{Lookup, Value};

crate::declare_rule! {
    /// ## What it does
    /// Reports hosts whose `networking.hostName` is a literal different from the name of
    /// their `hosts/<name>/` directory.
    ///
    /// ## Why is this bad?
    /// The flake output is `nixosConfigurations.<name>` while the machine calls itself
    /// something else: `nixos-rebuild --flake .#$(hostname)` picks the wrong (or no)
    /// configuration, and srvos's hostname guard refuses a switch that targets the name.
    /// Sometimes that is intended, hence `info`.
    ///
    /// ## Example
    /// ```nix
    /// # hosts/web1/configuration.nix
    /// { networking.hostName = "web-1"; }
    /// ```
    ///
    /// ## Fix
    /// Uses the directory name (unsafe: it renames the machine).
    pub static HOSTNAME_MISMATCH = { name: "hostname-mismatch", group: Host, severity: Info, fixable: true };
}

pub struct HostnameMismatch;

impl ProjectRule for HostnameMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &HOSTNAME_MISMATCH
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        for host in &project.hosts {
            let Lookup::Defined(defs) = host.lookup(&["networking", "hostName"]) else { continue };
            for d in defs {
                let Value::Str(name) = &d.value else { continue };
                if name == &host.name || name.is_empty() {
                    continue;
                }
                let span = Span::new(d.file.clone(), d.value_range);
                cx.report(
                    Diagnostic::new(
                        &HOSTNAME_MISMATCH,
                        span.clone(),
                        format!("hostName `{name}` differs from the host's directory `{}`", host.dir),
                    )
                    .with_fix(Fix::unsafe_(
                        format!("Use `\"{}\"`", host.name),
                        vec![Edit { span, new_text: format!("\"{}\"", host.name) }],
                    )),
                );
            }
        }
    }
}
