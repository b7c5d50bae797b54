//! `disko-unstable-device-path`: a disko disk named by a kernel name (`/dev/sda`,
//! `/dev/nvme0n1`) that can change between boots.

use std::collections::HashSet;

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Span};

crate::declare_rule! {
    /// ## What it does
    /// Reports a `disko.devices.disk.<name>.device` of the form `/dev/sdX`, `/dev/hdX` or
    /// `/dev/nvmeXnY` (optionally with a partition suffix).
    ///
    /// ## Why is this bad?
    /// Kernel names are handed out in probe order. With two NVMe drives, `nvme0n1` and
    /// `nvme1n1` can swap between boots; a USB stick can become `sda`. disko *wipes* the
    /// device it is given, so the wrong disk gets formatted (disko issue #1124). The names
    /// under `/dev/disk/by-id/` follow the drive's model and serial number.
    ///
    /// Virtio disks (`/dev/vda`) are not reported: they often have no `by-id` name, and
    /// on a VM their order follows the configuration.
    ///
    /// ## Example
    /// ```nix
    /// { disko.devices.disk.main.device = "/dev/nvme0n1"; }
    /// ```
    ///
    /// ## Fix
    /// Look the disk up on the machine (`ls -l /dev/disk/by-id/`) and write that path, e.g.
    /// `"/dev/disk/by-id/nvme-SAMSUNG_MZVL2512HCJQ-00B00_S675NX0T000001"`. There is no
    /// automatic fix.
    pub static DISKO_UNSTABLE_DEVICE_PATH = { name: "disko-unstable-device-path", group: Disko, severity: Info, fixable: false };
}

pub struct DiskoUnstableDevicePath;

/// Whether a device path is a kernel name that depends on probe order.
pub fn unstable(device: &str) -> bool {
    let Some(name) = device.strip_prefix("/dev/") else {
        return false;
    };
    let letters_then = |rest: &str| {
        let tail = rest.trim_start_matches(|c: char| c.is_ascii_lowercase());
        tail.len() < rest.len() && tail.bytes().all(|b| b.is_ascii_digit())
    };
    if let Some(rest) = name.strip_prefix("sd").or_else(|| name.strip_prefix("hd")) {
        return letters_then(rest);
    }
    if let Some(rest) = name.strip_prefix("nvme") {
        // nvme<ctrl>n<ns>[p<part>]
        let Some((ctrl, ns)) = rest.split_once('n') else {
            return false;
        };
        let ns = ns.split_once('p').map_or(ns, |(n, _)| n);
        return !ctrl.is_empty()
            && ctrl.bytes().all(|b| b.is_ascii_digit())
            && !ns.is_empty()
            && ns.bytes().all(|b| b.is_ascii_digit());
    }
    false
}

impl ProjectRule for DiskoUnstableDevicePath {
    fn meta(&self) -> &'static RuleMeta {
        &DISKO_UNSTABLE_DEVICE_PATH
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let mut seen = HashSet::new();
        for host in &cx.project.hosts {
            let disko = host.disko();
            for (name, disk) in disko.devices.entries(&["disk"]).0 {
                let device = disk.field(&["device"]);
                let (Some(path), Some(lit)) = (device.str(), device.lit()) else {
                    continue;
                };
                if !unstable(path) || !seen.insert((lit.file.clone(), lit.range, lit.via)) {
                    continue;
                }
                cx.report(Diagnostic::new(
                    &DISKO_UNSTABLE_DEVICE_PATH,
                    Span::new(lit.file.clone(), lit.value_range),
                    format!("disk `{name}` is `{path}`, a name that can point to another disk after a reboot; disko wipes it — prefer `/dev/disk/by-id/…`"),
                ).with_call_site(lit.call_site()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn kernel_names() {
        for yes in [
            "/dev/sda",
            "/dev/sdab",
            "/dev/sda1",
            "/dev/nvme0n1",
            "/dev/nvme1n1p2",
            "/dev/hdb",
        ] {
            assert!(super::unstable(yes), "{yes}");
        }
        for no in [
            "/dev/vda",
            "/dev/disk/by-id/nvme-x",
            "/dev/sd",
            "/dev/nvme0",
            "/dev/mapper/x",
            "sda",
            "/dev/md/boot",
        ] {
            assert!(!super::unstable(no), "{no}");
        }
    }
}
