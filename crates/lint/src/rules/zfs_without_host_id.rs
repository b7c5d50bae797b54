//! `zfs-without-host-id`: a host on ZFS with no `networking.hostId` from anywhere.

use super::insert_definition::{host_anchor, into_host_entry};
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Fix, Label, Span};
use crate::project::{Definition, HostView, Lookup, Value};

/// The hostId of the NixOS installer and nixos-anywhere's kexec image, which srvos and
/// clan use as the default so pools created during installation import without force.
pub const INSTALLER_HOST_ID: &str = "8425e349";

crate::declare_rule! {
    /// ## What it does
    /// Reports hosts that use ZFS (a disko `zpool`/`zfs` entry, `boot.supportedFilesystems`
    /// with `zfs`, or a `fileSystems` entry of type `zfs`) while no module sets
    /// `networking.hostId` — not the host's own files, and no imported module that defaults
    /// it (srvos's `common`/`server` profiles do).
    ///
    /// ## Why is this bad?
    /// NixOS refuses to build: "ZFS requires networking.hostId to be set".
    ///
    /// ## Example
    /// ```nix
    /// { boot.supportedFilesystems = [ "zfs" ]; }
    /// ```
    ///
    /// ## Fix
    /// Adds `networking.hostId = "8425e349";`, the installer's hostId that srvos also uses
    /// (unsafe: an existing pool may have been created under another hostId).
    pub static ZFS_WITHOUT_HOST_ID = { name: "zfs-without-host-id", group: Host, severity: Error, fixable: true };
}

pub struct ZfsWithoutHostId;

/// The definition that shows the host uses ZFS, if any.
pub fn zfs_evidence(host: &HostView) -> Option<&Definition> {
    host.definitions.iter().find(|d| {
        let path: Vec<&str> = d.path.iter().map(|s| s.as_deref().unwrap_or("")).collect();
        let is_str = |v: &Value, s: &str| matches!(v, Value::Str(x) if x == s);
        match path.as_slice() {
            ["disko", "devices", "zpool", ..] => true,
            ["disko", "devices", .., "type"] => is_str(&d.value, "zfs") || is_str(&d.value, "zpool"),
            ["boot", "supportedFilesystems"] => match &d.value {
                Value::List(items) => items.iter().any(|(v, _)| is_str(v, "zfs")),
                _ => false,
            },
            ["boot", "supportedFilesystems", "zfs"] => matches!(d.value, Value::Bool(true)),
            ["fileSystems", _, "fsType"] => is_str(&d.value, "zfs"),
            _ => false,
        }
    })
}

impl ProjectRule for ZfsWithoutHostId {
    fn meta(&self) -> &'static RuleMeta {
        &ZFS_WITHOUT_HOST_ID
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        for host in &project.hosts {
            let Some(evidence) = zfs_evidence(host) else { continue };
            if !matches!(host.lookup(&["networking", "hostId"]), Lookup::Absent) {
                continue;
            }
            if host.external_facts().any(|f| f.defaults_host_id) {
                continue;
            }
            let line = format!("networking.hostId = \"{INSTALLER_HOST_ID}\";");
            let mut d = Diagnostic::new(
                &ZFS_WITHOUT_HOST_ID,
                host_anchor(project, host),
                format!("host `{}` uses ZFS but nothing sets `networking.hostId`; NixOS refuses to build", host.name),
            );
            d.labels.push(Label { span: Span::new(evidence.file.clone(), evidence.range), message: "ZFS is used here".into() });
            if let Some(edit) = into_host_entry(project, host, &line) {
                d = d.with_fix(Fix::unsafe_(format!("Set `{line}` (the installer's hostId)"), vec![edit]));
            }
            cx.report(d);
        }
    }
}
