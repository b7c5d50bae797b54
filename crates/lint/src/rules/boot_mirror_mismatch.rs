//! `boot-mirror-mismatch`: disko's EFI system partitions and the paths the EFI boot loader
//! installs to (`efiSysMountPoint`, grub's `mirroredBoots`) do not match.

use std::collections::HashSet;

use super::insert_definition::host_anchor;
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Span};
use crate::project::disko::{esp_paths, partition_type_is, Field, Lit, ESP_TYPES};
use crate::project::{Lookup, Value};

crate::declare_rule! {
    /// ## What it does
    /// Checks that the EFI system partitions of a host's disko layout are mounted where its
    /// EFI boot loader installs. It compares the mountpoints of the `type = "EF00"`
    /// partitions (directly or through an mdadm array) with the loader's paths:
    /// `boot.loader.efi.efiSysMountPoint` (default `/boot`) for
    /// systemd-boot and grub, or each entry of `boot.loader.grub.mirroredBoots`
    /// (`efiSysMountPoint`, else `path`) — plus `efiSysMountPoint` whenever `grub.devices` is
    /// not empty, since NixOS then adds an entry for it (disko makes it non-empty for an
    /// `EF02` partition). It reports an ESP mounted where no loader writes, a
    /// loader path where no ESP (and no hand-written `fileSystems` entry) is mounted, and an
    /// EFI grub with neither `devices` nor `mirroredBoots`.
    ///
    /// It stays quiet unless the host certainly boots with systemd-boot or with grub and
    /// `efiSupport = true`, and every setting involved is a literal.
    ///
    /// ## Why is this bad?
    /// An ESP the loader does not write to stays empty: if it is the only one, the machine
    /// does not boot; in a mirror, losing the other disk leaves it unbootable. A loader path
    /// without an ESP puts the boot files on the root filesystem, where the firmware does not
    /// look. grub with `efiSupport` but neither `devices` nor `mirroredBoots` fails to build:
    /// "You must set the option 'boot.loader.grub.devices' or 'boot.loader.grub.mirroredBoots'".
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   boot.loader.grub = {
    ///     efiSupport = true;
    ///     mirroredBoots = [
    ///       { path = "/boot0"; devices = [ "nodev" ]; }
    ///       { path = "/boot-1"; devices = [ "nodev" ]; }
    ///     ];
    ///   };
    ///   # …and disko mounts the two ESPs at /boot0 and /boot1.
    /// }
    /// ```
    ///
    /// ## Fix
    /// Make the ESP mountpoints and the loader's paths the same. For a single ESP with grub
    /// and no BIOS boot partition, set `boot.loader.grub.devices = [ "nodev" ];`. There is no
    /// automatic fix: which side is wrong is a decision.
    pub static BOOT_MIRROR_MISMATCH = { name: "boot-mirror-mismatch", group: Disko, severity: Error, fixable: false };
}

pub struct BootMirrorMismatch;

/// `/boot/` and `/boot` are one path.
fn normal(path: &str) -> &str {
    match path.trim_end_matches('/') {
        "" => "/",
        p => p,
    }
}

impl ProjectRule for BootMirrorMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &BOOT_MIRROR_MISMATCH
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let mut seen = HashSet::new();
        for host in &project.hosts {
            let disko = host.disko();
            // Each ESP: what it is, and its mountpoint (`None`: not readable).
            let mut esps: Vec<(String, Option<(&str, &Lit)>)> = Vec::new();
            let mut all_known = true;
            for content in disko.contents() {
                if !content.partition.is_some_and(|p| partition_type_is(p, ESP_TYPES)) {
                    continue;
                }
                let what = content.path[..content.path.len().saturating_sub(1)].join(".");
                let fs = match content.kind {
                    Some("filesystem") => Some(content.node),
                    Some("mdraid") => content
                        .node
                        .field(&["name"])
                        .str()
                        .and_then(|n| disko.devices.at(&["mdadm", n, "content"]).ok()),
                    _ => None,
                };
                let mountpoint = fs.map(|fs| fs.field(&["mountpoint"]));
                match mountpoint {
                    Some(Field::Set(Value::Str(mp), lit)) if !lit.conditional => {
                        if !esps.iter().any(|(_, m)| m.is_some_and(|(_, l)| std::ptr::eq(l, lit))) {
                            esps.push((what, Some((mp.as_str(), lit))));
                        }
                    }
                    // Not mounted: a spare ESP, nothing to compare.
                    Some(Field::Absent) => {}
                    _ => {
                        all_known = false;
                        esps.push((what, None));
                    }
                }
            }
            if esps.is_empty() {
                continue;
            }
            let Some(loader) = esp_paths(project, host, disko) else {
                continue;
            };
            let paths: Vec<&str> = loader.paths.iter().map(|(p, _)| normal(p)).collect();
            let shown = paths.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ");
            if paths.is_empty() {
                let anchor = host_anchor(project, host);
                if seen.insert((anchor.file.clone(), anchor.range)) {
                    cx.report(Diagnostic::new(
                        &BOOT_MIRROR_MISMATCH,
                        anchor,
                        format!("host `{}` boots with EFI grub but sets neither `boot.loader.grub.devices` nor `mirroredBoots`, and disko has no EF02 partition to set them; NixOS refuses to build (use `devices = [ \"nodev\" ]`)", host.name),
                    ));
                }
                continue;
            }
            for (what, esp) in &esps {
                let Some((mp, lit)) = esp else { continue };
                if paths.contains(&normal(mp)) || !seen.insert((lit.file.clone(), lit.via.unwrap_or(lit.range))) {
                    continue;
                }
                cx.report(Diagnostic::new(
                    &BOOT_MIRROR_MISMATCH,
                    Span::new(lit.file.clone(), lit.value_range),
                    format!(
                        "the EFI system partition `{what}` is mounted at `{mp}`, but {} installs only to {shown}; this ESP gets no boot loader",
                        loader.loader
                    ),
                ).with_call_site(lit.call_site()));
            }
            if !all_known || !disko.complete() {
                continue;
            }
            for (path, source) in &loader.paths {
                let path = normal(path);
                if esps.iter().any(|(_, e)| e.is_some_and(|(mp, _)| normal(mp) == path)) {
                    continue;
                }
                // A `fileSystems` entry written by hand (or unknown) may mount the ESP there.
                if !matches!(host.lookup(&["fileSystems", path]), Lookup::Absent) {
                    continue;
                }
                let span = match source {
                    Some((file, range)) => Span::new(file.clone(), *range),
                    None => host_anchor(project, host),
                };
                if !seen.insert((span.file.clone(), span.range)) {
                    continue;
                }
                let mounted: Vec<String> = esps
                    .iter()
                    .filter_map(|(_, e)| e.map(|(mp, _)| format!("`{mp}`")))
                    .collect();
                let origin = if source.is_some() {
                    ""
                } else {
                    " (the default of `boot.loader.efi.efiSysMountPoint`)"
                };
                cx.report(Diagnostic::new(
                    &BOOT_MIRROR_MISMATCH,
                    span,
                    format!(
                        "{} installs to `{path}`{origin}, but no EFI system partition is mounted there (disko mounts them at {}); the firmware will not find the boot loader",
                        loader.loader,
                        mounted.join(", ")
                    ),
                ));
            }
        }
    }
}
