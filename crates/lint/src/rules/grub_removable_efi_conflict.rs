//! `grub-removable-efi-conflict`: `boot.loader.grub.efiInstallAsRemovable` without
//! `efiSupport`, or together with `boot.loader.efi.canTouchEfiVariables`.

use std::collections::HashSet;

use super::sibling_entry::add_sibling;
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Fix, Span};
use crate::project::disko::{setting, Setting};
use crate::project::Value;

crate::declare_rule! {
    /// ## What it does
    /// Reports `boot.loader.grub.efiInstallAsRemovable = true` on a host where grub is the
    /// boot loader and either `boot.loader.grub.efiSupport` is not `true`, or
    /// `boot.loader.efi.canTouchEfiVariables` is `true`.
    ///
    /// ## Why is this bad?
    /// NixOS asserts both and refuses to build: "If you wish to to use
    /// boot.loader.grub.efiInstallAsRemovable, then turn on boot.loader.grub.efiSupport", and
    /// "…efiInstallAsRemovable, then turn off boot.loader.efi.canTouchEfiVariables".
    /// Installing "as removable" writes `EFI/BOOT/BOOTX64.EFI` for firmware whose NVRAM
    /// cannot be written, so it makes no sense without EFI or with NVRAM entries.
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   boot.loader.grub.efiInstallAsRemovable = true;
    ///   boot.loader.efi.canTouchEfiVariables = true;
    /// }
    /// ```
    ///
    /// ## Fix
    /// Keep one of the two ways to register the loader. Without `efiSupport`, the fix adds
    /// `efiSupport = true;` next to `efiInstallAsRemovable` (unsafe: the machine may have been
    /// meant to boot with BIOS, and then `efiInstallAsRemovable` is what should go).
    pub static GRUB_REMOVABLE_EFI_CONFLICT = { name: "grub-removable-efi-conflict", group: Host, severity: Error, fixable: true };
}

pub struct GrubRemovableEfiConflict;

impl ProjectRule for GrubRemovableEfiConflict {
    fn meta(&self) -> &'static RuleMeta {
        &GRUB_REMOVABLE_EFI_CONFLICT
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let mut seen = HashSet::new();
        for host in &project.hosts {
            let removable = setting(host, &["boot", "loader", "grub", "efiInstallAsRemovable"]);
            let (Some(true), Some(def)) = (removable.bool(), removable.definition()) else {
                continue;
            };
            // grub's assertions only apply when grub is the loader (systemd-boot turns it off).
            let grub_on = matches!(
                setting(host, &["boot", "loader", "grub", "enable"]),
                Setting::Absent | Setting::Set(Value::Bool(true), _)
            );
            let systemd_boot_off = matches!(
                setting(host, &["boot", "loader", "systemd-boot", "enable"]),
                Setting::Absent | Setting::Set(Value::Bool(false), _)
            );
            if !grub_on || !systemd_boot_off || !seen.insert((def.file.clone(), def.range)) {
                continue;
            }
            let efi_support = setting(host, &["boot", "loader", "grub", "efiSupport"]);
            let no_efi = match efi_support {
                Setting::Set(Value::Bool(false), _) => true,
                Setting::Absent => !host.unknown,
                _ => false,
            };
            if no_efi {
                let mut d = Diagnostic::new(
                    &GRUB_REMOVABLE_EFI_CONFLICT,
                    Span::new(def.file.clone(), def.range),
                    "`efiInstallAsRemovable` needs `boot.loader.grub.efiSupport = true`; NixOS refuses to build",
                );
                if let Some(other) = efi_support.definition() {
                    d = d.with_label(
                        Span::new(other.file.clone(), other.range),
                        "`efiSupport` is turned off here",
                    );
                } else if let Some(edit) = add_sibling(project, &def.file, def.range, "efiSupport", "true") {
                    d = d.with_fix(Fix::unsafe_("Add `efiSupport = true;`", vec![edit]));
                }
                cx.report(d);
            }
            let touch = setting(host, &["boot", "loader", "efi", "canTouchEfiVariables"]);
            if let (Some(true), Some(other)) = (touch.bool(), touch.definition()) {
                cx.report(
                    Diagnostic::new(
                        &GRUB_REMOVABLE_EFI_CONFLICT,
                        Span::new(def.file.clone(), def.range),
                        "`efiInstallAsRemovable` cannot be combined with `boot.loader.efi.canTouchEfiVariables = true`; NixOS refuses to build",
                    )
                    .with_label(Span::new(other.file.clone(), other.range), "`canTouchEfiVariables` is turned on here"),
                );
            }
        }
    }
}
