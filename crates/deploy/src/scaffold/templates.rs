//! The text of every file `init` and `host add` write, rendered from Rust so each choice
//! (hardware, disk layout, boot loader) sits next to the reason for it.

use std::fmt::Write as _;

use super::validate::Disk;

/// Machines `host add --hardware` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hardware {
    HetznerOnlineAmd,
    HetznerOnlineIntel,
    GenericUefi,
    GenericBios,
}

impl Hardware {
    pub const NAMES: &'static [&'static str] = &[
        "hetzner-online-amd",
        "hetzner-online-intel",
        "generic-uefi",
        "generic-bios",
    ];

    pub fn parse(s: &str) -> Option<Hardware> {
        Some(match s {
            "hetzner-online-amd" => Hardware::HetznerOnlineAmd,
            "hetzner-online-intel" => Hardware::HetznerOnlineIntel,
            "generic-uefi" => Hardware::GenericUefi,
            "generic-bios" => Hardware::GenericBios,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Hardware::HetznerOnlineAmd => "hetzner-online-amd",
            Hardware::HetznerOnlineIntel => "hetzner-online-intel",
            Hardware::GenericUefi => "generic-uefi",
            Hardware::GenericBios => "generic-bios",
        }
    }

    /// The srvos hardware module, when there is one.
    fn srvos_module(self) -> Option<&'static str> {
        match self {
            Hardware::HetznerOnlineAmd => Some("hardware-hetzner-online-amd"),
            Hardware::HetznerOnlineIntel => Some("hardware-hetzner-online-intel"),
            _ => None,
        }
    }

    pub fn is_hetzner_online(self) -> bool {
        self.srvos_module().is_some()
    }

    pub fn uefi(self) -> bool {
        self != Hardware::GenericBios
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskLayout {
    ZfsMirror,
    ZfsSingle,
    Ext4Single,
}

impl DiskLayout {
    pub const NAMES: &'static [&'static str] = &["zfs-mirror", "zfs-single", "ext4-single"];

    pub fn parse(s: &str) -> Option<DiskLayout> {
        Some(match s {
            "zfs-mirror" => DiskLayout::ZfsMirror,
            "zfs-single" => DiskLayout::ZfsSingle,
            "ext4-single" => DiskLayout::Ext4Single,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            DiskLayout::ZfsMirror => "zfs-mirror",
            DiskLayout::ZfsSingle => "zfs-single",
            DiskLayout::Ext4Single => "ext4-single",
        }
    }

    pub fn zfs(self) -> bool {
        self != DiskLayout::Ext4Single
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    X86_64Linux,
    Aarch64Linux,
}

impl System {
    pub const NAMES: &'static [&'static str] = &["x86_64-linux", "aarch64-linux"];

    pub fn parse(s: &str) -> Option<System> {
        Some(match s {
            "x86_64-linux" => System::X86_64Linux,
            "aarch64-linux" => System::Aarch64Linux,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            System::X86_64Linux => "x86_64-linux",
            System::Aarch64Linux => "aarch64-linux",
        }
    }
}

/// The NixOS release new hosts start on: the one nixos-anywhere's default kexec image runs.
pub const DEFAULT_STATE_VERSION: &str = "25.11";

/// A Nix string literal (`"…"` with `\`, `"` and `${` escaped).
pub fn nix_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn flake_nix() -> String {
    // Every input follows our nixpkgs: one nixpkgs in the closure, and no `follows` for
    // inputs these flakes no longer have (srvos, disko and sops-nix have only `nixpkgs`).
    let mut inputs = String::new();
    for (name, url) in [
        ("blueprint", "github:numtide/blueprint"),
        ("disko", "github:nix-community/disko"),
        ("sops-nix", "github:Mic92/sops-nix"),
        ("srvos", "github:nix-community/srvos"),
    ] {
        let _ = write!(
            inputs,
            "    {name} = {{\n      url = \"{url}\";\n      inputs.nixpkgs.follows = \"nixpkgs\";\n    }};\n"
        );
    }
    format!(
        r#"{{
  description = "NixOS servers, laid out the blueprint way (written by nixpilot init)";

  inputs = {{
    nixpkgs.url = "github:NixOS/nixpkgs?ref=nixos-unstable";
{inputs}  }};

  # blueprint turns the folders into outputs: hosts/<name>/ become nixosConfigurations.<name>,
  # modules/nixos/<name>.nix become nixosModules.<name>, devshell.nix the dev shell.
  outputs = inputs: inputs.blueprint {{ inherit inputs; }};
}}
"#
    )
}

pub fn devshell_nix() -> String {
    // nixpilot replaces sops, age, ssh-to-age and pwgen; nixos-anywhere installs machines.
    r#"{ pkgs }:
pkgs.mkShellNoCC {
  packages = [
    pkgs.nixos-anywhere
    pkgs.nixos-rebuild
  ];
}
"#
    .to_string()
}

pub fn envrc() -> String {
    "watch_file devshell.nix\nuse flake\n".to_string()
}

pub fn gitignore() -> String {
    ".direnv/\nresult\nresult-*\n".to_string()
}

pub fn server_nix(user: &str) -> String {
    let keys = nix_string(&format!("${{flake}}/users/{user}/authorized_keys"));
    // `${flake}` must stay a Nix interpolation: undo the escaping for it.
    let keys = keys.replace("\\${flake}", "${flake}");
    format!(
        r#"# Shared by every server: srvos's server profile, disko, sops-nix, the admins' SSH keys
# and the host key kept in each host's secrets.yaml (written by nixpilot init).
{{ flake, inputs, config, ... }}:
{{
  imports = [
    inputs.srvos.nixosModules.server
    inputs.disko.nixosModules.disko
    inputs.sops-nix.nixosModules.sops
  ];

  # srvos reads SSH keys only from the configuration, never from ~/.ssh/authorized_keys.
  users.users.root.openssh.authorizedKeys.keyFiles = [ {keys} ];

  # The SSH host key is made by nixpilot and kept encrypted in hosts/<name>/secrets.yaml.
  # The installer puts a copy at /etc/ssh/ssh_host_ed25519_key; sops-nix decrypts with it
  # (its default skips keys under /run/secrets, hence the explicit path) and sshd then serves
  # the copy sops-nix installs, so the key stays the one recorded in the repository.
  sops.secrets.ssh_host_ed25519_key = {{ }};
  sops.age.sshKeyPaths = [ "/etc/ssh/ssh_host_ed25519_key" ];
  services.openssh.hostKeys = [
    {{
      inherit (config.sops.secrets.ssh_host_ed25519_key) path;
      type = "ed25519";
    }}
  ];
}}
"#
    )
}

/// What `host add` renders a host from.
#[derive(Debug, Clone)]
pub struct HostSpec {
    pub name: String,
    pub hardware: Hardware,
    pub layout: DiskLayout,
    pub disks: Vec<Disk>,
    pub system: System,
    pub state_version: String,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    /// `networking.hostId`, only when ZFS is used and no imported module supplies one.
    pub host_id: Option<String>,
    /// Rule name to name in a suppression comment above kernel device names (when the lint
    /// rule exists in this build): the user chose those names, `host add` warned about them.
    pub unstable_device_rule: Option<&'static str>,
}

pub fn configuration_nix(h: &HostSpec) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Host {}, written by `nixpilot host add`; yours to edit from here on.",
        h.name
    );
    // `inputs` only when a module of another flake is imported (srvos's hardware modules).
    let args = if h.hardware.srvos_module().is_some() {
        "{ flake, inputs, ... }:"
    } else {
        "{ flake, ... }:"
    };
    let _ = write!(
        out,
        "{args}\n{{\n  imports = [\n    ./disko.nix\n    flake.nixosModules.server\n"
    );
    if let Some(m) = h.hardware.srvos_module() {
        let _ = writeln!(out, "    inputs.srvos.nixosModules.{m}");
    }
    out.push_str("  ];\n\n");
    let _ = writeln!(out, "  nixpkgs.hostPlatform = {};", nix_string(h.system.name()));
    let _ = writeln!(out, "  networking.hostName = {};", nix_string(&h.name));
    if let Some(id) = &h.host_id {
        out.push_str("\n  # ZFS refuses to import pools without a hostId; nothing imported sets one.\n");
        let _ = writeln!(out, "  networking.hostId = {};", nix_string(id));
    }
    out.push('\n');
    if !h.hardware.is_hetzner_online() {
        out.push_str(
            "  # Drivers the initrd needs to find the disks on common hardware and VMs. For the exact\n  # list, install with `nixos-anywhere --generate-hardware-config nixos-facter …`.\n",
        );
        out.push_str(
            "  boot.initrd.availableKernelModules = [\n    \"ahci\"\n    \"nvme\"\n    \"sd_mod\"\n    \"xhci_pci\"\n    \"virtio_pci\"\n    \"virtio_blk\"\n    \"virtio_scsi\"\n  ];\n\n",
        );
    }
    match (&h.ipv4, &h.ipv6, h.hardware.is_hetzner_online()) {
        (v4, Some(v6), true) => {
            out.push_str("  # Hetzner Online sends no IPv6 router advertisements, so srvos asserts this is set.\n");
            if let Some(v4) = v4 {
                let _ = writeln!(
                    out,
                    "  # IPv4 comes from DHCP on the same uplink (public address {v4})."
                );
            }
            let _ = writeln!(
                out,
                "  systemd.network.networks.\"10-uplink\".networkConfig.Address = {};\n",
                nix_string(v6)
            );
        }
        (v4, v6, _) => {
            let addrs: Vec<&str> = v4.iter().chain(v6.iter()).map(String::as_str).collect();
            if !addrs.is_empty() {
                let _ = writeln!(
                    out,
                    "  # Public addresses (from DHCP / router advertisements): {}\n",
                    addrs.join(", ")
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "  # The host key and other secrets: `nixpilot secrets edit hosts/{}/secrets.yaml`.",
        h.name
    );
    out.push_str("  sops.defaultSopsFile = ./secrets.yaml;\n\n");
    out.push_str("  # The release this machine was first installed with; do not change it on upgrades.\n");
    let _ = writeln!(out, "  system.stateVersion = {};", nix_string(&h.state_version));
    out.push_str("}\n");
    out
}

/// disko's partitions plus the boot loader that matches them (the ESP mountpoints and
/// GRUB's `mirroredBoots` paths are written from the same list, so they cannot drift).
pub fn disko_nix(h: &HostSpec) -> String {
    let uefi = h.hardware.uefi();
    let mirror = h.layout == DiskLayout::ZfsMirror;
    let names: Vec<String> = if h.disks.len() == 1 {
        vec!["main".to_string()]
    } else {
        (0..h.disks.len()).map(|i| format!("disk{i}")).collect()
    };
    // One ESP per disk of a mirror, so either disk boots alone.
    let esp_mount = |i: usize| {
        if mirror {
            format!("/boot{i}")
        } else {
            "/boot".to_string()
        }
    };

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Disks of {}: {} ({}), written by `nixpilot host add`. disko WIPES these disks on install.",
        h.name,
        h.layout.name(),
        if uefi { "UEFI" } else { "BIOS" }
    );
    out.push_str("{\n");

    // Boot loader.
    out.push_str("  boot.loader.grub = {\n    enable = true;\n");
    if uefi {
        // Removable-media path: boots even where the firmware's boot entries cannot be written
        // (Hetzner's and many VMs'), and needs canTouchEfiVariables off (the NixOS default).
        out.push_str("    efiSupport = true;\n    efiInstallAsRemovable = true;\n");
        if mirror {
            out.push_str("    mirroredBoots = [\n");
            for i in 0..h.disks.len() {
                let _ = writeln!(
                    out,
                    "      {{\n        path = {};\n        devices = [ \"nodev\" ];\n      }}",
                    nix_string(&esp_mount(i))
                );
            }
            out.push_str("    ];\n");
        } else {
            out.push_str("    devices = [ \"nodev\" ];\n");
        }
    } else {
        out.push_str("    # disko adds every disk with an EF02 partition to boot.loader.grub.devices.\n");
    }
    out.push_str("  };\n\n");

    out.push_str("  disko.devices = {\n");
    out.push_str("    disk = {\n");
    for (i, (disk, name)) in h.disks.iter().zip(&names).enumerate() {
        let _ = writeln!(out, "      {name} = {{");
        out.push_str("        type = \"disk\";\n");
        if disk.unstable {
            let _ = writeln!(
                out,
                "        # A kernel name as given to `host add`: it can name another disk after a reboot.\n        # Replace it with the disk's /dev/disk/by-id/ path (`ls -l /dev/disk/by-id/` on the machine){}.",
                if h.unstable_device_rule.is_some() { " and drop the next line" } else { "" }
            );
            if let Some(rule) = h.unstable_device_rule {
                let _ = writeln!(out, "        # nixpilot: allow({rule})");
            }
        }
        let _ = writeln!(out, "        device = {};", nix_string(&disk.device));
        out.push_str("        content = {\n          type = \"gpt\";\n          partitions = {\n");
        if uefi {
            let _ = writeln!(
                out,
                "            ESP = {{\n              size = \"1G\";\n              type = \"EF00\";\n              content = {{\n                type = \"filesystem\";\n                format = \"vfat\";\n                mountpoint = {};\n                mountOptions = [ \"umask=0077\" ];\n              }};\n            }};",
                nix_string(&esp_mount(i))
            );
        } else {
            out.push_str(
                "            bios = {\n              size = \"1M\";\n              type = \"EF02\";\n            };\n",
            );
            if h.layout.zfs() {
                // GRUB cannot read every ZFS feature; the kernels live on a plain filesystem.
                out.push_str(
                    "            boot = {\n              size = \"1G\";\n              content = {\n                type = \"filesystem\";\n                format = \"ext4\";\n                mountpoint = \"/boot\";\n              };\n            };\n",
                );
            }
        }
        if h.layout.zfs() {
            out.push_str(
                "            zfs = {\n              size = \"100%\";\n              content = {\n                type = \"zfs\";\n                pool = \"zroot\";\n              };\n            };\n",
            );
        } else {
            out.push_str(
                "            root = {\n              size = \"100%\";\n              content = {\n                type = \"filesystem\";\n                format = \"ext4\";\n                mountpoint = \"/\";\n              };\n            };\n",
            );
        }
        out.push_str("          };\n        };\n      };\n");
    }
    out.push_str("    };\n");

    if h.layout.zfs() {
        out.push_str("\n    zpool.zroot = {\n      type = \"zpool\";\n");
        if mirror {
            out.push_str("      mode = \"mirror\";\n");
        }
        out.push_str(
            r#"      options.ashift = "12";
      rootFsOptions = {
        compression = "lz4";
        xattr = "sa";
        relatime = "on";
        acltype = "posixacl";
        mountpoint = "none";
        "com.sun:auto-snapshot" = "false";
      };
      datasets = {
        # Legacy mountpoints: NixOS mounts them from fileSystems, in order.
        root = {
          type = "zfs_fs";
          mountpoint = "/";
          options.mountpoint = "legacy";
        };
        nix = {
          type = "zfs_fs";
          mountpoint = "/nix";
          options.mountpoint = "legacy";
        };
        # Snapshots of what matters (services.zfs.autoSnapshot reads this property).
        var = {
          type = "zfs_fs";
          mountpoint = "/var";
          options = {
            mountpoint = "legacy";
            "com.sun:auto-snapshot" = "true";
          };
        };
      };
    };
"#,
        );
    }
    out.push_str("  };\n}\n");
    out
}

/// The header and shared-secrets rule of a new `.sops.yaml`; host rules go above the last.
pub fn sops_yaml(admins: &[(String, String)]) -> String {
    let mut out = String::from(
        "# Who can open which secrets file; sops and nixpilot use the first rule that matches.\n\
         # `nixpilot host add` and `nixpilot bootstrap` add one rule per host at the top:\n\
         # the host's key (ssh-to-age of hosts/<name>/ssh_host_ed25519_key.pub) and the admins'.\n\
         creation_rules:\n  # Shared secrets under secrets/: the admins only.\n  - path_regex: ^secrets/.*\\.yaml$\n    key_groups:\n      - age:\n",
    );
    for (recipient, comment) in admins {
        let _ = writeln!(out, "          - {recipient} # {comment}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nix_strings_escape_interpolation() {
        assert_eq!(nix_string("a\"b${c}$d\\"), "\"a\\\"b\\${c}$d\\\\\"");
        assert!(server_nix("alice").contains("[ \"${flake}/users/alice/authorized_keys\" ]"));
    }
}

/// How the last line of a file `host add` renders from its options starts; the hash after it
/// is of the text above it.
const STAMP: &str = "# host add --force rewrites this file only while it is unedited: sha256 ";

fn text_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `text` with a last line recording its hash, so a later `host add --force` can tell a file
/// nobody changed (safe to write anew) from one somebody edited (kept, the command refuses).
pub fn stamp(text: String) -> String {
    let hash = text_hash(&text);
    format!("{text}{STAMP}{hash}\n")
}

/// Whether `text` is a stamped file exactly as `host add` wrote it.
pub fn is_unedited(text: &str) -> bool {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let start = body.rfind('\n').map_or(0, |i| i + 1);
    body[start..]
        .strip_prefix(STAMP)
        .is_some_and(|hash| hash == text_hash(&text[..start]))
}

/// `hosts/<h>/deploy.toml` naming where `nixpilot deploy` (and install, status) connect;
/// `by` is the command that wrote it.
pub fn deploy_toml(host: &str, target: &str, by: &str) -> String {
    format!("# Where `nixpilot deploy {host}` connects (written by `{by}`).\n[deployment]\ntargetHost = \"{target}\"\n")
}

#[cfg(test)]
mod stamp_tests {
    use super::*;

    #[test]
    fn a_stamped_text_is_unedited_until_any_byte_changes() {
        let text = stamp("{\n  networking.hostName = \"web1\";\n}\n".into());
        assert!(is_unedited(&text));
        assert!(!is_unedited(&text.replace("web1", "web2")));
        assert!(!is_unedited(&format!("# mine\n{text}")));
        assert!(!is_unedited("{ }\n"));
        assert!(!is_unedited(""));
    }
}
