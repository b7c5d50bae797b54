//! `hetzner-ipv6-missing`: srvos's Hetzner Online hardware module without the uplink address.

use super::insert_definition::host_anchor;
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix};
use crate::project::{Lookup, ModuleOrigin};

crate::declare_rule! {
    /// ## What it does
    /// Reports hosts importing srvos's `hardware-hetzner-online-*` modules without setting
    /// `systemd.network.networks."10-uplink".networkConfig.Address`.
    ///
    /// ## Why is this bad?
    /// Hetzner's dedicated servers get no IPv6 router advertisements, so srvos asserts that
    /// the address is set: "The machine IPv6 address must be set to
    /// `systemd.network.networks."10-uplink".networkConfig.Address`". The build fails.
    ///
    /// ## Example
    /// ```nix
    /// { inputs, ... }: { imports = [ inputs.srvos.nixosModules.hardware-hetzner-online-amd ]; }
    /// ```
    ///
    /// ## Fix
    /// Set the server's IPv6 address with its prefix (a bare address is a /128 to systemd):
    /// `systemd.network.networks."10-uplink".networkConfig.Address = "2a01:4f8:…::2/64";`.
    pub static HETZNER_IPV6_MISSING = { name: "hetzner-ipv6-missing", group: Host, severity: Error, fixable: false };
}

pub struct HetznerIpv6Missing;

impl ProjectRule for HetznerIpv6Missing {
    fn meta(&self) -> &'static RuleMeta {
        &HETZNER_IPV6_MISSING
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        for host in &project.hosts {
            let Some(module) = host.modules.iter().find_map(|m| match m {
                ModuleOrigin::External { name, facts: Some(f), .. } if f.requires_uplink_address => Some(name),
                _ => None,
            }) else {
                continue;
            };
            let path = ["systemd", "network", "networks", "10-uplink", "networkConfig", "Address"];
            if !matches!(host.lookup(&path), Lookup::Absent) {
                continue;
            }
            cx.report(
                Diagnostic::new(
                    &HETZNER_IPV6_MISSING,
                    host_anchor(project, host),
                    format!(
                        "host `{}` imports srvos's `{module}`, which asserts that \
                         `systemd.network.networks.\"10-uplink\".networkConfig.Address` is set; nothing sets it",
                        host.name
                    ),
                )
                .with_fix(Fix {
                    title: "Set `systemd.network.networks.\"10-uplink\".networkConfig.Address = \"<ipv6>/64\";`".into(),
                    applicability: Applicability::DisplayOnly,
                    edits: Vec::new(),
                }),
            );
        }
    }
}
