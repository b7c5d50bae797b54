//! Checks of what users type into `init` and `host add`: host and user names, addresses,
//! disk names, systems and state versions. Each error says what is wrong and what is allowed.

use std::net::{Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("invalid host name `{name}`: {why}; use 1-63 lower-case letters, digits and `-`, starting with a letter and not ending with `-` (it becomes networking.hostName and hosts/<name>/)")]
    HostName { name: String, why: &'static str },
    #[error("invalid user name `{name}`: use lower-case letters, digits, `_` and `-`, starting with a letter or `_`, at most 32 characters")]
    UserName { name: String },
    #[error("invalid IPv4 address `{value}`: {why}; expected e.g. `203.0.113.10` (or `203.0.113.10/26`)")]
    Ipv4 { value: String, why: String },
    #[error("invalid IPv6 address `{value}`: {why}; expected e.g. `2001:db8:1234::2` or `2001:db8:1234::2/64`")]
    Ipv6 { value: String, why: String },
    #[error("invalid disk `{value}`: {why}")]
    Disk { value: String, why: String },
    #[error("--disk {layout} needs {wanted} disk(s) in --disks, got {got}")]
    DiskCount {
        layout: &'static str,
        wanted: &'static str,
        got: usize,
    },
    #[error("the same disk is given twice in --disks: `{0}`")]
    DuplicateDisk(String),
    #[error("invalid --state-version `{0}`: expected a NixOS release like `25.05` or `25.11`")]
    StateVersion(String),
    #[error("--hardware {hardware} needs --ipv6: Hetzner Online sends no router advertisements, so srvos asserts that the uplink's IPv6 address is configured")]
    Ipv6Required { hardware: &'static str },
    #[error("--hardware generic-bios with --disk zfs-mirror is not supported: GRUB would boot from one disk only; use --hardware generic-uefi, or --disk zfs-single / ext4-single")]
    BiosMirror,
    #[error("--hardware {hardware} is for {needs} machines, but --system is {system}")]
    SystemMismatch {
        hardware: &'static str,
        needs: &'static str,
        system: &'static str,
    },
}

/// A host name as NixOS accepts it for `networking.hostName` (RFC 1123 label, no dots) and
/// as blueprint uses it for the directory; lower case only, because the lint rule
/// `hostname-mismatch` and DNS both compare names.
pub fn host_name(name: &str) -> Result<(), InputError> {
    let err = |why| {
        Err(InputError::HostName {
            name: name.to_string(),
            why,
        })
    };
    if name.is_empty() {
        return err("it is empty");
    }
    if name.len() > 63 {
        return err("it is longer than 63 characters");
    }
    if name.contains('.') {
        return err("it contains a dot (a host name, not a domain name)");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return err("it contains a character other than a-z, 0-9 and -");
    }
    if !name.as_bytes()[0].is_ascii_lowercase() {
        return err("it does not start with a letter");
    }
    if name.ends_with('-') {
        return err("it ends with `-`");
    }
    Ok(())
}

/// A Unix user name as `useradd` accepts it by default (`NAME_REGEX`).
pub fn user_name(name: &str) -> Result<(), InputError> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(InputError::UserName { name: name.to_string() })
    }
}

/// An IPv4 address with an optional prefix length; returned as written.
pub fn ipv4(value: &str) -> Result<String, InputError> {
    let bad = |why: String| InputError::Ipv4 {
        value: value.to_string(),
        why,
    };
    let (addr, prefix) = split_prefix(value);
    addr.parse::<Ipv4Addr>()
        .map_err(|_| bad("not a dotted-quad address".into()))?;
    if let Some(p) = prefix {
        match p.parse::<u8>() {
            Ok(n) if n <= 32 => {}
            _ => return Err(bad(format!("prefix length `{p}` is not 0-32"))),
        }
    }
    Ok(value.to_string())
}

/// An IPv6 address; without a prefix length `/64` is added, the subnet size Hetzner and most
/// hosters hand out (systemd would otherwise take a bare address as /128 and find no route).
pub fn ipv6(value: &str) -> Result<String, InputError> {
    let bad = |why: String| InputError::Ipv6 {
        value: value.to_string(),
        why,
    };
    let (addr, prefix) = split_prefix(value);
    let parsed = addr
        .parse::<Ipv6Addr>()
        .map_err(|_| bad("not an IPv6 address".into()))?;
    if parsed.is_unspecified() || parsed.is_loopback() {
        return Err(bad("not a public address".into()));
    }
    match prefix {
        None => Ok(format!("{addr}/64")),
        Some(p) => match p.parse::<u8>() {
            Ok(n) if n <= 128 => Ok(value.to_string()),
            _ => Err(bad(format!("prefix length `{p}` is not 0-128"))),
        },
    }
}

fn split_prefix(value: &str) -> (&str, Option<&str>) {
    match value.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (value, None),
    }
}

/// A disk as given to `--disks`, resolved to a device path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disk {
    pub device: String,
    /// A kernel name (`/dev/nvme0n1`) that can change between boots.
    pub unstable: bool,
}

/// `nvme0n1` → `/dev/nvme0n1`; `nvme-SAMSUNG_…` → `/dev/disk/by-id/nvme-SAMSUNG_…`;
/// absolute paths under `/dev/` as given. Partitions are refused: disko partitions the disk.
pub fn disk(value: &str) -> Result<Disk, InputError> {
    let bad = |why: &str| InputError::Disk {
        value: value.to_string(),
        why: why.to_string(),
    };
    let allowed = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'+' | b'@' | b'/'))
    };
    if let Some(rest) = value.strip_prefix("/dev/") {
        if !allowed(rest) || rest.contains("//") || rest.ends_with('/') || rest.split('/').any(|c| c == "..") {
            return Err(bad("not a plain device path under /dev/"));
        }
        if let Some(name) = rest.strip_prefix("disk/by-id/") {
            if name.contains("-part") {
                return Err(bad("that is a partition; give the whole disk"));
            }
            return Ok(Disk {
                device: value.to_string(),
                unstable: false,
            });
        }
        if !rest.contains('/') {
            kernel_whole_disk(rest).map_err(bad)?;
            return Ok(Disk {
                device: value.to_string(),
                unstable: kernel_name(rest),
            });
        }
        return Ok(Disk {
            device: value.to_string(),
            unstable: false,
        });
    }
    if value.starts_with('/') {
        return Err(bad("an absolute path must be under /dev/"));
    }
    if !allowed(value) || value.contains('/') {
        return Err(bad(
            "expected a kernel name (`nvme0n1`, `sda`), a name from /dev/disk/by-id/, or a /dev/ path",
        ));
    }
    if kernel_name(value) || kernel_like(value) {
        kernel_whole_disk(value).map_err(bad)?;
        return Ok(Disk {
            device: format!("/dev/{value}"),
            unstable: kernel_name(value),
        });
    }
    if value.contains("-part") {
        return Err(bad("that is a partition; give the whole disk"));
    }
    Ok(Disk {
        device: format!("/dev/disk/by-id/{value}"),
        unstable: false,
    })
}

/// Names the kernel hands out in probe order: exactly what the lint rule
/// `disko-unstable-device-path` reports, so a generated layout and the linter agree.
fn kernel_name(name: &str) -> bool {
    nixpilot_lint::rules::disko_unstable_device_path::unstable(&format!("/dev/{name}"))
}

/// Other kernel block device names that are stable enough (virtio, Xen, eMMC).
fn kernel_like(name: &str) -> bool {
    ["vd", "xvd", "mmcblk"].iter().any(|p| {
        name.strip_prefix(p)
            .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric()))
    })
}

/// Refuses kernel names of partitions (`sda1`, `nvme0n1p2`, `mmcblk0p1`, `vda3`).
fn kernel_whole_disk(name: &str) -> Result<(), &'static str> {
    let partition = if name.starts_with("nvme") || name.starts_with("mmcblk") {
        name.rsplit_once('p').is_some_and(|(head, n)| {
            head.bytes().last().is_some_and(|b| b.is_ascii_digit())
                && !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
        })
    } else if ["sd", "hd", "vd", "xvd"].iter().any(|p| name.starts_with(p)) {
        name.bytes().last().is_some_and(|b| b.is_ascii_digit())
    } else {
        false
    };
    if partition {
        Err("that is a partition; give the whole disk")
    } else {
        Ok(())
    }
}

/// `YY.MM` with a NixOS release month (05 or 11).
pub fn state_version(value: &str) -> Result<(), InputError> {
    let ok = value.split_once('.').is_some_and(|(y, m)| {
        y.len() == 2 && y.bytes().all(|b| b.is_ascii_digit()) && matches!(m, "05" | "11" | "09" | "03" | "04" | "10")
    });
    if ok {
        Ok(())
    } else {
        Err(InputError::StateVersion(value.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names() {
        for ok in ["odoo1", "web-1", "a"] {
            assert_eq!(host_name(ok), Ok(()), "{ok}");
        }
        for bad in ["", "Odoo1", "1web", "web-", "web.example.org", "web_1", &"a".repeat(64)] {
            assert!(host_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses() {
        assert_eq!(ipv4("203.0.113.10").as_deref(), Ok("203.0.113.10"));
        assert!(ipv4("203.0.113.300").is_err());
        assert!(ipv4("203.0.113.1/33").is_err());
        assert_eq!(ipv6("2a01:4f9:3071:295c::2").as_deref(), Ok("2a01:4f9:3071:295c::2/64"));
        assert_eq!(ipv6("2a01:4f9::2/56").as_deref(), Ok("2a01:4f9::2/56"));
        assert!(ipv6("2a01:4f9:::2").is_err());
        assert!(ipv6("::1").is_err());
        assert!(ipv6("10.0.0.1").is_err());
    }

    #[test]
    fn disks() {
        assert_eq!(
            disk("nvme0n1").map(|d| (d.device, d.unstable)),
            Ok(("/dev/nvme0n1".into(), true))
        );
        assert_eq!(
            disk("vda").map(|d| (d.device, d.unstable)),
            Ok(("/dev/vda".into(), false))
        );
        assert_eq!(
            disk("nvme-SAMSUNG_MZVL2512HCJQ-00B00_S675NX0T000001").map(|d| d.device),
            Ok("/dev/disk/by-id/nvme-SAMSUNG_MZVL2512HCJQ-00B00_S675NX0T000001".into())
        );
        assert!(disk("/dev/disk/by-id/ata-X").is_ok());
        for bad in [
            "nvme0n1p1",
            "sda1",
            "/dev/sda2",
            "../etc",
            "/etc/passwd",
            "ata-X-part1",
            "a b",
            "",
        ] {
            assert!(disk(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn state_versions() {
        assert!(state_version("25.05").is_ok());
        assert!(state_version("25.5").is_err());
        assert!(state_version("latest").is_err());
    }
}
