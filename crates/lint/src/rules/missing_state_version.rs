//! `missing-state-version`: a NixOS host without `system.stateVersion`.

use super::insert_definition::{host_anchor, into_host_entry};
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Fix};
use crate::project::Lookup;

/// The NixOS release a new host should record (the current stable release).
pub const CURRENT_RELEASE: &str = "25.05";

crate::declare_rule! {
    /// ## What it does
    /// Reports NixOS hosts for which no module sets `system.stateVersion`.
    ///
    /// ## Why is this bad?
    /// NixOS warns on every rebuild and falls back to the current release's defaults for
    /// stateful services (database formats, data directories). When the default changes
    /// with a later NixOS release, such services can break or lose track of their data.
    ///
    /// ## Example
    /// ```nix
    /// { nixpkgs.hostPlatform = "x86_64-linux"; }
    /// ```
    ///
    /// ## Fix
    /// Adds `system.stateVersion = "25.05";` (unsafe: for a machine installed with an older
    /// release, use that release instead — never change it on an installed machine).
    pub static MISSING_STATE_VERSION = { name: "missing-state-version", group: Host, severity: Warning, fixable: true };
}

pub struct MissingStateVersion;

impl ProjectRule for MissingStateVersion {
    fn meta(&self) -> &'static RuleMeta {
        &MISSING_STATE_VERSION
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        for host in &project.hosts {
            if !matches!(host.lookup(&["system", "stateVersion"]), Lookup::Absent) {
                continue;
            }
            let line = format!("system.stateVersion = \"{CURRENT_RELEASE}\";");
            let mut d = Diagnostic::new(
                &MISSING_STATE_VERSION,
                host_anchor(project, host),
                format!("host `{}` never sets `system.stateVersion`", host.name),
            );
            if let Some(edit) = into_host_entry(project, host, &line) {
                d = d.with_fix(Fix::unsafe_(format!("Set `{line}` (the release this machine is installed with)"), vec![edit]));
            }
            cx.report(d);
        }
    }
}
