//! `disko-esp-on-raid-metadata`: an EFI system partition on an mdadm RAID1 whose superblock
//! sits at the start, where the firmware expects a FAT filesystem.

use std::collections::{BTreeSet, HashSet};

use super::sibling_entry::{add_sibling, replace_string};
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Fix, Span};
use crate::project::disko::{partition_type_is, Field, ESP_TYPES};
use crate::project::Value;

crate::declare_rule! {
    /// ## What it does
    /// Finds mdadm arrays built from EFI system partitions (`type = "EF00"` partitions whose
    /// content is `{ type = "mdraid"; name = "…"; }`) and reports those whose `metadata` is not
    /// `"1.0"` (disko's default is mdadm's, version 1.2).
    ///
    /// ## Why is this bad?
    /// Metadata 1.1 and 1.2 put the RAID superblock at the start of each member. The firmware
    /// reads a member as a plain FAT filesystem and finds the superblock instead: the machine
    /// does not boot. Metadata 1.0 keeps the superblock at the end, so each member still
    /// looks like a FAT filesystem (disko's `example/boot-raid1.nix`).
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   disko.devices.mdadm.boot = {
    ///     type = "mdadm";
    ///     level = 1;
    ///     content = { type = "filesystem"; format = "vfat"; mountpoint = "/boot"; };
    ///   };
    /// }
    /// ```
    ///
    /// ## Fix
    /// Set `metadata = "1.0";`. The automatic fix does that and is unsafe: an array that
    /// already exists keeps its metadata until it is created again.
    pub static DISKO_ESP_ON_RAID_METADATA = { name: "disko-esp-on-raid-metadata", group: Disko, severity: Error, fixable: true };
}

pub struct DiskoEspOnRaidMetadata;

impl ProjectRule for DiskoEspOnRaidMetadata {
    fn meta(&self) -> &'static RuleMeta {
        &DISKO_ESP_ON_RAID_METADATA
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let mut seen = HashSet::new();
        for host in &project.hosts {
            let disko = host.disko();
            let mut arrays = BTreeSet::new();
            for content in disko.contents() {
                let esp = content.partition.is_some_and(|p| partition_type_is(p, ESP_TYPES));
                if esp && content.kind == Some("mdraid") {
                    if let Some(name) = content.node.field(&["name"]).str() {
                        arrays.insert(name);
                    }
                }
            }
            for name in arrays {
                let Ok(array) = disko.devices.at(&["mdadm", name]) else {
                    continue;
                };
                // RAID1 is what disko defaults to; other levels cannot hold a readable ESP at all.
                match array.field(&["level"]) {
                    Field::Absent | Field::Set(Value::Int(1), _) => {}
                    _ => continue,
                }
                let metadata = array.field(&["metadata"]);
                let (anchor, edit) = match metadata {
                    Field::Set(Value::Str(m), lit) if !matches!(m.as_str(), "1.0" | "ddf" | "imsm") => {
                        (lit, replace_string(project, &lit.file, lit.value_range, "1.0"))
                    }
                    // Without `metadata`, point at the array's `type`, or its first entry.
                    Field::Absent if !host.unknown => {
                        let Some(anchor) = array.field(&["type"]).lit().or(array.first.as_ref()) else {
                            continue;
                        };
                        let edit = array
                            .field(&["type"])
                            .lit()
                            .and_then(|t| add_sibling(project, &t.file, t.range, "metadata", "\"1.0\""));
                        (anchor, edit)
                    }
                    _ => continue,
                };
                if !seen.insert((anchor.file.clone(), anchor.range, anchor.via)) {
                    continue;
                }
                let shown = metadata
                    .str()
                    .map_or("mdadm's default, 1.2".to_string(), |m| format!("`{m}`"));
                let mut d = Diagnostic::new(
                    &DISKO_ESP_ON_RAID_METADATA,
                    Span::new(anchor.file.clone(), if metadata.str().is_some() { anchor.value_range } else { anchor.range }),
                    format!("mdadm array `{name}` holds an EFI system partition but its metadata is {shown}: the superblock at the start hides the FAT filesystem from the firmware; use `metadata = \"1.0\"`"),
                );
                if let Some(edit) = edit {
                    d = d.with_fix(Fix::unsafe_(
                        "Set `metadata = \"1.0\"` (the superblock at the end)",
                        vec![edit],
                    ));
                }
                cx.report(d);
            }
        }
    }
}
