//! `disko-unknown-pool`: a `zfs` content naming a zpool disko does not define, or a zpool no
//! `zfs` content adds devices to.

use std::collections::{BTreeSet, HashSet};

use super::sibling_entry::replace_string;
use super::suggest::closest;
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Fix, Span};

crate::declare_rule! {
    /// ## What it does
    /// Matches every disko content of `type = "zfs"` (`pool = "…"`) with the pools under
    /// `disko.devices.zpool`: it reports a `pool` that names no zpool, and a zpool that no
    /// partition, disk or volume puts devices into.
    ///
    /// ## Why is this bad?
    /// Both evaluate. A `pool` naming no zpool leaves its partition unused, and a zpool
    /// without devices makes formatting fail on the machine — usually in the middle of a
    /// `nixos-anywhere` run: "no devices found for zpool zroot. Did you misspell the pool
    /// name?". A misspelt name gives both findings.
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   disko.devices.disk.main.content.partitions.zfs.content = { type = "zfs"; pool = "zrot"; };
    ///   disko.devices.zpool.zroot = { type = "zpool"; };
    /// }
    /// ```
    ///
    /// ## Fix
    /// Correct the name. When one pool name is close to the misspelt one, the fix replaces it
    /// (unsafe: the other pool may be the one that is wrong). Unreferenced pools are only
    /// reported when the host has disks and every one of them could be read.
    pub static DISKO_UNKNOWN_POOL = { name: "disko-unknown-pool", group: Disko, severity: Error, fixable: true };
}

pub struct DiskoUnknownPool;

impl ProjectRule for DiskoUnknownPool {
    fn meta(&self) -> &'static RuleMeta {
        &DISKO_UNKNOWN_POOL
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let mut seen = HashSet::new();
        for host in &project.hosts {
            let disko = host.disko();
            let (pools, all_pools) = disko.devices.entries(&["zpool"]);
            let names: Vec<&str> = pools.iter().map(|(n, _)| *n).collect();
            let mut referenced = BTreeSet::new();
            let mut every_reference_known = true;
            for content in disko.contents() {
                match content.kind {
                    Some("zfs") => {}
                    Some(_) => continue,
                    None => {
                        every_reference_known = false;
                        continue;
                    }
                }
                let pool = content.node.field(&["pool"]);
                let (Some(name), Some(lit)) = (pool.str(), pool.lit()) else {
                    every_reference_known = false;
                    continue;
                };
                referenced.insert(name);
                // A pool defined by an unreadable module may exist.
                if names.contains(&name) || !all_pools || host.unknown {
                    continue;
                }
                if !seen.insert((lit.file.clone(), lit.range, lit.via)) {
                    continue;
                }
                let mut d = Diagnostic::new(
                    &DISKO_UNKNOWN_POOL,
                    Span::new(lit.file.clone(), lit.value_range),
                    format!(
                        "`{}` puts its device into zpool `{name}`, but `disko.devices.zpool` has no `{name}`",
                        content.path.join(".")
                    ),
                );
                if let [best] = closest(name, names.iter().copied()).as_slice() {
                    if let Some(edit) = replace_string(project, &lit.file, lit.value_range, best) {
                        d = d.with_fix(Fix::unsafe_(format!("Use pool `{best}`"), vec![edit]));
                    }
                }
                cx.report(d.with_call_site(lit.call_site()));
            }
            // With no disks at all the layout is a fragment (disko itself says "No disks
            // defined"); a pool name is not the problem then.
            let has_disks = !disko.devices.entries(&["disk"]).0.is_empty();
            if !every_reference_known || !disko.complete() || !has_disks {
                continue;
            }
            for (name, node) in &pools {
                if referenced.contains(name) || conditional(node) {
                    continue;
                }
                let Some(anchor) = node.first.as_ref() else { continue };
                if !seen.insert((anchor.file.clone(), anchor.range, anchor.via)) {
                    continue;
                }
                cx.report(Diagnostic::new(
                    &DISKO_UNKNOWN_POOL,
                    Span::new(anchor.file.clone(), anchor.range),
                    format!("zpool `{name}` gets no devices: no `type = \"zfs\"` content has `pool = \"{name}\"`; formatting fails with \"no devices found for zpool {name}\""),
                ));
            }
        }
    }
}

fn conditional(node: &crate::project::disko::Node) -> bool {
    node.first.as_ref().is_some_and(|l| l.conditional)
}
