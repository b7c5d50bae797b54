//! `disko-duplicate-mountpoint`: two disko devices mounted at the same path.

use std::collections::{BTreeMap, HashSet};

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Span};
use crate::project::disko::{Mount};

crate::declare_rule! {
    /// ## What it does
    /// Collects every mountpoint disko turns into a `fileSystems` entry — filesystems on
    /// partitions, disks, arrays, LUKS and LVM volumes, btrfs subvolumes, zpools, mountable
    /// `zfs_fs` datasets and `nodev` entries — and reports a path used twice. Definitions under
    /// `lib.mkIf` are left out, since they may exclude each other.
    ///
    /// ## Why is this bad?
    /// Two devices for one path give `fileSystems."/boot".device` two values: evaluation fails
    /// with "The option `fileSystems."/boot".device' has conflicting definition values". The
    /// usual cause is a copied disk whose ESP still says `mountpoint = "/boot"`.
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   disko.devices.disk.a.content.partitions.ESP.content.mountpoint = "/boot";
    ///   disko.devices.disk.b.content.partitions.ESP.content.mountpoint = "/boot";
    /// }
    /// ```
    ///
    /// ## Fix
    /// Give each device its own path (`/boot0`, `/boot1`, with grub's `mirroredBoots` for a
    /// mirrored ESP), or drop the `mountpoint` of one. There is no automatic fix.
    pub static DISKO_DUPLICATE_MOUNTPOINT = { name: "disko-duplicate-mountpoint", group: Disko, severity: Error, fixable: false };
}

pub struct DiskoDuplicateMountpoint;

impl ProjectRule for DiskoDuplicateMountpoint {
    fn meta(&self) -> &'static RuleMeta {
        &DISKO_DUPLICATE_MOUNTPOINT
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let mut seen = HashSet::new();
        for host in &cx.project.hosts {
            let disko = host.disko();
            let mut by_path: BTreeMap<String, Vec<Mount<'_>>> = BTreeMap::new();
            for m in disko.mounts() {
                if m.lit.conditional {
                    continue;
                }
                // `/boot/` and `/boot` are one mountpoint to NixOS.
                let key = match m.mountpoint.trim_end_matches('/') {
                    "" => "/".to_string(),
                    k => k.to_string(),
                };
                by_path.entry(key).or_default().push(m);
            }
            for (path, mounts) in by_path {
                let Some((first, rest)) = mounts.split_first() else {
                    continue;
                };
                for m in rest {
                    // The same definition reached twice (a shared file) is one mountpoint.
                    if m.lit.file == first.lit.file && m.lit.range == first.lit.range && m.lit.via == first.lit.via {
                        continue;
                    }
                    if !seen.insert((m.lit.file.clone(), m.lit.range, m.lit.via)) {
                        continue;
                    }
                    cx.report(
                        Diagnostic::new(
                            &DISKO_DUPLICATE_MOUNTPOINT,
                            Span::new(m.lit.file.clone(), m.range),
                            format!(
                                "`{path}` is already the mountpoint of {}; `fileSystems.\"{path}\"` gets two devices and evaluation fails",
                                first.what
                            ),
                        )
                        .with_label(Span::new(first.lit.file.clone(), first.range), format!("{} is mounted here first", first.what))
                        .with_call_site(m.lit.call_site()),
                    );
                }
            }
        }
    }
}
