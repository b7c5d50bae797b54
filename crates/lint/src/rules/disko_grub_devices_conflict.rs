//! `disko-grub-devices-conflict`: `boot.loader.grub.device(s)` set by hand on a host whose
//! disko layout has a BIOS boot partition, for which disko already sets them.

use std::collections::HashSet;

use super::sibling_entry::remove_entry;
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Fix, Span};
use crate::project::disko::{partition_type_is, BIOS_BOOT_TYPES};
use crate::project::{Definition, Lookup, Priority, Value};

crate::declare_rule! {
    /// ## What it does
    /// Reports `boot.loader.grub.device` or `boot.loader.grub.devices` (other than `"nodev"`)
    /// written in a host whose disko layout has a BIOS boot partition (`type = "EF02"`).
    ///
    /// ## Why is this bad?
    /// For every disk with an `EF02` partition disko adds
    /// `boot.loader.grub.devices = [ <that disk's device> ]`. Setting the same device by hand
    /// lists it twice, and NixOS refuses to build: "You cannot have duplicated devices in
    /// mirroredBoots" (checked when `efiSupport` is off). Setting another device installs
    /// grub on a disk disko does not manage. Hand-set devices are a common leftover from a
    /// configuration written before disko.
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   boot.loader.grub.device = "/dev/sda";
    ///   disko.devices.disk.main = {
    ///     device = "/dev/sda";
    ///     content.type = "gpt";
    ///     content.partitions.boot = { size = "1M"; type = "EF02"; };
    ///   };
    /// }
    /// ```
    ///
    /// ## Fix
    /// Remove the hand-set `device`/`devices`. The automatic fix does that when every
    /// hand-set device is one disko already adds; it is unsafe, since a definition in a
    /// shared module may serve other hosts.
    pub static DISKO_GRUB_DEVICES_CONFLICT = { name: "disko-grub-devices-conflict", group: Disko, severity: Warning, fixable: true };
}

pub struct DiskoGrubDevicesConflict;

impl ProjectRule for DiskoGrubDevicesConflict {
    fn meta(&self) -> &'static RuleMeta {
        &DISKO_GRUB_DEVICES_CONFLICT
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let mut seen = HashSet::new();
        for host in &project.hosts {
            let disko = host.disko();
            // Disks with an EF02 partition, and their device when it is a literal.
            let mut bios_disks: Vec<(&str, Option<&str>)> = Vec::new();
            for (name, disk) in disko.devices.entries(&["disk"]).0 {
                let (partitions, _) = disk.entries(&["content", "partitions"]);
                let gpt = disk.field(&["content", "type"]).str() == Some("gpt");
                if gpt && partitions.iter().any(|(_, p)| partition_type_is(p, BIOS_BOOT_TYPES)) {
                    bios_disks.push((name, disk.field(&["device"]).str()));
                }
            }
            let Some(&(disk_name, _)) = bios_disks.first() else {
                continue;
            };
            // Hand-set definitions are certain even when other modules are unknown.
            let disko_devices: Vec<&str> = bios_disks.iter().filter_map(|(_, d)| *d).collect();
            let mut by_definition: Vec<(&Definition, Vec<String>)> = Vec::new();
            for option in ["device", "devices"] {
                let Lookup::Defined(defs) = host.lookup(&["boot", "loader", "grub", option]) else {
                    continue;
                };
                for d in defs {
                    // `devices` is a list merged with disko's only at normal priority
                    // (`mkDefault` loses to disko's, `mkForce` replaces it); `device` is its
                    // own option that NixOS adds to `devices` whatever its priority.
                    if d.conditional || (option == "devices" && d.priority != Priority::Normal) {
                        continue;
                    }
                    let list: Vec<String> = match &d.value {
                        Value::Str(s) => vec![s.clone()],
                        Value::List(items) if items.iter().all(|(v, _)| matches!(v, Value::Str(_))) => items
                            .iter()
                            .filter_map(|(v, _)| match v {
                                Value::Str(s) => Some(s.clone()),
                                _ => None,
                            })
                            .collect(),
                        _ => continue,
                    };
                    let list: Vec<String> = list.into_iter().filter(|x| x != "nodev" && !x.is_empty()).collect();
                    if !list.is_empty() {
                        by_definition.push((d, list));
                    }
                }
            }
            for (d, list) in by_definition {
                if !seen.insert((d.file.clone(), d.range)) {
                    continue;
                }
                let duplicated: Vec<&String> = list.iter().filter(|x| disko_devices.contains(&x.as_str())).collect();
                let message = if !duplicated.is_empty() {
                    format!(
                        "disko already adds `{}` to `boot.loader.grub.devices` for the EF02 partition of disk `{disk_name}`; setting it again makes a duplicate and NixOS refuses to build",
                        duplicated[0]
                    )
                } else if bios_disks.iter().all(|(_, device)| device.is_some()) {
                    format!(
                        "disko sets `boot.loader.grub.devices` itself for the EF02 partition of disk `{disk_name}`; this hand-set `{}` installs grub on another disk",
                        list.join("`, `")
                    )
                } else {
                    // A computed disk device may be this very one: say both possibilities.
                    format!(
                        "disko sets `boot.loader.grub.devices` itself for the EF02 partition of disk `{disk_name}`; this hand-set `{}` either duplicates it (NixOS refuses to build) or installs grub on another disk",
                        list.join("`, `")
                    )
                };
                let mut diagnostic = Diagnostic::new(
                    &DISKO_GRUB_DEVICES_CONFLICT,
                    Span::new(d.file.clone(), d.range),
                    message,
                );
                let all_duplicated = duplicated.len() == list.len();
                if all_duplicated {
                    if let Some(edit) = remove_entry(project, &d.file, d.range) {
                        diagnostic = diagnostic.with_fix(Fix::unsafe_("Remove it (disko sets it)", vec![edit]));
                    }
                }
                cx.report(diagnostic);
            }
        }
    }
}
