//! `disko-dataset-mountpoint`: a `zfs_fs` dataset that disko leaves out of `fileSystems`
//! while ZFS would still mount it somewhere of its own choosing (or never, with `legacy`).

use std::collections::HashSet;

use super::sibling_entry::add_sibling;
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Fix, Span};
use crate::project::disko::{dataset_makes_filesystem, Field};

crate::declare_rule! {
    /// ## What it does
    /// Reports a disko dataset of `type = "zfs_fs"` that sets no `mountpoint` while it is still
    /// mountable: neither `options.mountpoint = "none"` nor `options.canmount = "off"`.
    ///
    /// ## Why is this bad?
    /// disko makes a `fileSystems` entry keyed by the dataset's `mountpoint`; without one the
    /// key is `null`, which Nix silently drops. The dataset is then not mounted by NixOS, but
    /// ZFS mounts it itself at boot at the path it inherits from its parent (`/zroot/root`
    /// for a container dataset `root`), cluttering `/` or hiding another directory. With
    /// `options.mountpoint = "legacy"` it is never mounted at all. Container datasets (such
    /// as `root`, which holds `root/nixos`) are meant to say `options.mountpoint = "none"`.
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   disko.devices.zpool.zroot.datasets.root = { type = "zfs_fs"; };
    /// }
    /// ```
    ///
    /// ## Fix
    /// Add `options.mountpoint = "none";` for a dataset that only holds others, or a
    /// `mountpoint = "/…";`. The automatic fix adds `options.mountpoint = "none";`, which is
    /// unsafe: the dataset may have been meant to be mounted somewhere.
    pub static DISKO_DATASET_MOUNTPOINT = { name: "disko-dataset-mountpoint", group: Disko, severity: Warning, fixable: true };
}

pub struct DiskoDatasetMountpoint;

impl ProjectRule for DiskoDatasetMountpoint {
    fn meta(&self) -> &'static RuleMeta {
        &DISKO_DATASET_MOUNTPOINT
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let mut seen = HashSet::new();
        for host in &project.hosts {
            // A module the model cannot read may set the mountpoint.
            if host.unknown {
                continue;
            }
            let disko = host.disko();
            for (pool, node) in disko.devices.entries(&["zpool"]).0 {
                for (name, ds) in node.entries(&["datasets"]).0 {
                    let type_ = ds.field(&["type"]);
                    if type_.str() != Some("zfs_fs")
                        || !matches!(ds.field(&["mountpoint"]), Field::Absent)
                        || !dataset_makes_filesystem(ds)
                    {
                        continue;
                    }
                    let Some(anchor) = type_.lit() else { continue };
                    if !seen.insert((anchor.file.clone(), anchor.range, anchor.via)) {
                        continue;
                    }
                    let legacy = ds.field(&["options", "mountpoint"]).str() == Some("legacy");
                    let message = if legacy {
                        format!("dataset `{pool}/{name}` has `options.mountpoint = \"legacy\"` but no `mountpoint`: neither NixOS nor ZFS will ever mount it")
                    } else {
                        format!("dataset `{pool}/{name}` has no `mountpoint` and no `options.mountpoint = \"none\"`: NixOS leaves it out of `fileSystems` and ZFS mounts it wherever it inherits (`/{pool}/{name}` by default)")
                    };
                    let mut d = Diagnostic::new(
                        &DISKO_DATASET_MOUNTPOINT,
                        Span::new(anchor.file.clone(), anchor.range),
                        message,
                    );
                    // Only when `options.mountpoint` is not set at all: replacing a set one
                    // is a different decision.
                    if matches!(ds.field(&["options", "mountpoint"]), Field::Absent) {
                        if let Some(edit) =
                            add_sibling(project, &anchor.file, anchor.range, "options.mountpoint", "\"none\"")
                        {
                            d = d.with_fix(Fix::unsafe_(
                                "Add `options.mountpoint = \"none\";` (not mounted)",
                                vec![edit],
                            ));
                        }
                    }
                    cx.report(d);
                }
            }
        }
    }
}
