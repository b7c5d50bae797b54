//! `disko-missing-format`: a disko `filesystem` content without `format`, which disko's
//! option type requires.

use std::collections::HashSet;

use super::sibling_entry::add_sibling;
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Fix, Span};
use crate::project::disko::{partition_type_is, Field, ESP_TYPES};

crate::declare_rule! {
    /// ## What it does
    /// Reports a disko content of `type = "filesystem"` (on a partition, a whole disk, an
    /// mdadm array, a LUKS volume or an LVM volume) that sets no `format`.
    ///
    /// ## Why is this bad?
    /// `format` has no default: evaluation fails with "The option
    /// `disko.devices.disk.main.content.partitions.root.content.format' is used but not
    /// defined." disko needs it to run `mkfs.<format>` and to write `fileSystems.<mountpoint>.fsType`.
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   disko.devices.disk.main.content.partitions.ESP = {
    ///     type = "EF00";
    ///     size = "512M";
    ///     content = { type = "filesystem"; mountpoint = "/boot"; };
    ///   };
    /// }
    /// ```
    ///
    /// ## Fix
    /// Add `format = "ext4";` (or `"xfs"`, `"btrfs"`, …). On an EFI system partition
    /// (`type = "EF00"`), the fix adds `format = "vfat";`, the only format firmware reads
    /// (unsafe: it is applied only with `--unsafe-fixes`). Elsewhere there is no automatic fix.
    pub static DISKO_MISSING_FORMAT = { name: "disko-missing-format", group: Disko, severity: Error, fixable: true };
}

pub struct DiskoMissingFormat;

impl ProjectRule for DiskoMissingFormat {
    fn meta(&self) -> &'static RuleMeta {
        &DISKO_MISSING_FORMAT
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let mut seen = HashSet::new();
        for host in &project.hosts {
            // A module the model cannot read may set the format.
            if host.unknown {
                continue;
            }
            let disko = host.disko();
            for content in disko.contents() {
                if content.kind != Some("filesystem") || !matches!(content.node.field(&["format"]), Field::Absent) {
                    continue;
                }
                let Some(anchor) = content.node.field(&["type"]).lit() else {
                    continue;
                };
                if !seen.insert((anchor.file.clone(), anchor.range, anchor.via)) {
                    continue;
                }
                let mut d = Diagnostic::new(
                    &DISKO_MISSING_FORMAT,
                    Span::new(anchor.file.clone(), anchor.range),
                    format!(
                        "`{}` is a filesystem without `format`; disko cannot create it and evaluation fails",
                        content.path.join(".")
                    ),
                );
                let esp = content.partition.is_some_and(|p| partition_type_is(p, ESP_TYPES));
                if esp {
                    if let Some(edit) = add_sibling(project, &anchor.file, anchor.range, "format", "\"vfat\"") {
                        d = d.with_fix(Fix::unsafe_(
                            "Add `format = \"vfat\";` (an EFI system partition)",
                            vec![edit],
                        ));
                    }
                }
                cx.report(d.with_call_site(anchor.call_site()));
            }
        }
    }
}
