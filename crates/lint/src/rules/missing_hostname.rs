//! `missing-hostname`: a host that never sets `networking.hostName`.

use super::insert_definition::{host_anchor, into_host_entry};
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Fix};
use crate::project::Lookup;

crate::declare_rule! {
    /// ## What it does
    /// Reports NixOS hosts for which no module sets `networking.hostName`.
    ///
    /// ## Why is this bad?
    /// blueprint does not set it (the host's directory name is only a module argument), and
    /// srvos's server profile forces it to `""` (DHCP-provided or `localhost`) with a low
    /// priority. The machine then boots with the wrong name, srvos's hostname guard cannot
    /// protect a deploy to the wrong machine, and deploy tools that target the hostname fail.
    ///
    /// ## Example
    /// ```nix
    /// # hosts/web1/configuration.nix, no networking.hostName anywhere
    /// { nixpkgs.hostPlatform = "x86_64-linux"; system.stateVersion = "25.05"; }
    /// ```
    ///
    /// ## Fix
    /// Adds `networking.hostName = "<directory name>";` (unsafe: it renames the machine).
    pub static MISSING_HOSTNAME = { name: "missing-hostname", group: Host, severity: Warning, fixable: true };
}

pub struct MissingHostname;

impl ProjectRule for MissingHostname {
    fn meta(&self) -> &'static RuleMeta {
        &MISSING_HOSTNAME
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        for host in &project.hosts {
            if !matches!(host.lookup(&["networking", "hostName"]), Lookup::Absent) {
                continue;
            }
            let server = host.external_facts().any(|f| f.server_profile);
            let why = if server {
                "srvos's server profile sets it to \"\" and blueprint does not set it"
            } else {
                "blueprint does not set it from the directory name"
            };
            let line = format!("networking.hostName = \"{}\";", host.name);
            let mut d = Diagnostic::new(
                &MISSING_HOSTNAME,
                host_anchor(project, host),
                format!("host `{}` never sets `networking.hostName`: {why}", host.name),
            );
            if let Some(edit) = into_host_entry(project, host, &line) {
                d = d.with_fix(Fix::unsafe_(format!("Set `{line}`"), vec![edit]));
            }
            cx.report(d);
        }
    }
}
