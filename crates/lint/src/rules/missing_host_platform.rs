//! `missing-host-platform`: a NixOS host that never sets `nixpkgs.hostPlatform`.

use super::insert_definition::{host_anchor, into_host_entry};
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Fix};
use crate::project::Lookup;

crate::declare_rule! {
    /// ## What it does
    /// Reports NixOS hosts for which no module (the host's own files, the modules they
    /// import) sets `nixpkgs.hostPlatform` (or the older `nixpkgs.system`, or a
    /// `hardware.facter.reportPath` that provides it).
    ///
    /// ## Why is this bad?
    /// blueprint calls `nixosSystem` without a `system` argument and reads
    /// `config.nixpkgs.hostPlatform.system`, so evaluation fails with
    /// `attribute 'hostPlatform' missing` (or a similar error).
    ///
    /// ## Example
    /// ```nix
    /// # hosts/web1/configuration.nix
    /// { networking.hostName = "web1"; }
    /// ```
    ///
    /// ## Fix
    /// Adds `nixpkgs.hostPlatform = "x86_64-linux";` (unsafe: use `aarch64-linux` on ARM).
    pub static MISSING_HOST_PLATFORM = { name: "missing-host-platform", group: Host, severity: Error, fixable: true };
}

pub struct MissingHostPlatform;

impl ProjectRule for MissingHostPlatform {
    fn meta(&self) -> &'static RuleMeta {
        &MISSING_HOST_PLATFORM
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        for host in &project.hosts {
            let candidates = [
                &["nixpkgs", "hostPlatform"][..],
                &["nixpkgs", "system"],
                &["nixpkgs", "localSystem"],
                &["hardware", "facter", "reportPath"],
            ];
            if !candidates.iter().all(|p| matches!(host.lookup(p), Lookup::Absent)) {
                continue;
            }
            let mut d = Diagnostic::new(
                &MISSING_HOST_PLATFORM,
                host_anchor(project, host),
                format!(
                    "host `{}` never sets `nixpkgs.hostPlatform`; blueprint needs it to evaluate the host",
                    host.name
                ),
            );
            if let Some(edit) = into_host_entry(project, host, "nixpkgs.hostPlatform = \"x86_64-linux\";") {
                d = d.with_fix(Fix::unsafe_("Set `nixpkgs.hostPlatform = \"x86_64-linux\"`", vec![edit]));
            }
            cx.report(d);
        }
    }
}
