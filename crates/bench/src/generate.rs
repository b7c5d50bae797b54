//! The synthetic corpus: NixOS module files, a blueprint repository with hundreds of hosts
//! (srvos, disko, sops-nix) and one 40,000-line file, the same bytes for the same scale.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use bech32::{Bech32, Hrp};
use curve25519_dalek::{EdwardsPoint, Scalar};

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    /// Module files under `modules/` (a corpus without a flake, like a package set).
    pub modules: usize,
    /// Hosts of the blueprint repository under `repo/`.
    pub hosts: usize,
    /// Shared modules under `repo/modules/nixos/`.
    pub shared_modules: usize,
    /// Lines of `big/big.nix`.
    pub big_lines: usize,
    /// Lines of the first host's `configuration.nix` (the "300-line host file").
    pub host_lines: usize,
}

impl Scale {
    /// What the published figures are measured on.
    pub const FULL: Scale = Scale {
        modules: 6000,
        hosts: 200,
        shared_modules: 24,
        big_lines: 40_000,
        host_lines: 300,
    };
    /// Enough to exercise every generator path in a test or a smoke run.
    pub const QUICK: Scale = Scale {
        modules: 40,
        hosts: 4,
        shared_modules: 3,
        big_lines: 600,
        host_lines: 300,
    };
}

/// Where the generated cases are, and how big they came out.
#[derive(Debug, Clone)]
pub struct Generated {
    pub modules_dir: PathBuf,
    pub repo_dir: PathBuf,
    pub big_file: PathBuf,
    /// The host file of `host_lines` lines inside the repository.
    pub host_file: PathBuf,
    /// The same host file alone in a one-host repository (the small-file LSP case).
    pub small_repo_host_file: PathBuf,
    pub files: usize,
    pub bytes: u64,
}

/// A small, fast, well-mixed generator (SplitMix64), so the corpus does not depend on a
/// crate's idea of randomness across versions.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const PACKAGES: &[&str] = &[
    "git",
    "htop",
    "curl",
    "jq",
    "ripgrep",
    "fd",
    "tmux",
    "vim",
    "openssl",
    "rsync",
    "restic",
    "postgresql",
    "nginx",
    "python3",
    "nodejs",
    "gnumake",
    "zstd",
    "iperf3",
    "tcpdump",
    "strace",
    "lsof",
    "bind",
    "wget",
];
const UNITS: &[&str] = &[
    "network-online.target",
    "network.target",
    "postgresql.service",
    "redis.service",
    "nss-lookup.target",
];
const WORDS: &[&str] = &[
    "backup",
    "metrics",
    "proxy",
    "queue",
    "mailer",
    "indexer",
    "scheduler",
    "gateway",
    "cache",
    "exporter",
    "worker",
    "frontend",
    "archive",
    "sync",
    "ledger",
    "notifier",
];
const DISKS: &[&str] = &[
    "nvme-SAMSUNG_MZVL2512HCJQ-00B00",
    "nvme-KXG60ZNV512G_TOSHIBA",
    "ata-ST4000NM0035-1V4107",
];

/// Writes the whole corpus under `out` (which is emptied first) and returns where things are.
pub fn generate(out: &Path, scale: &Scale) -> io::Result<Generated> {
    if out.exists() {
        fs::remove_dir_all(out)?;
    }
    let mut writer = Writer::default();
    let modules_dir = out.join("modules");
    let mut rng = Rng::new(0x6e69_7870_696c_6f74);
    for i in 0..scale.modules {
        let group = WORDS[i % WORDS.len()];
        let text = if i % 5 == 4 {
            package_file(&mut rng, i)
        } else {
            module_file(&mut rng, i)
        };
        writer.write(&modules_dir.join(group).join(format!("m{i:05}.nix")), &text)?;
    }

    let repo_dir = out.join("repo");
    write_repo(&mut writer, &repo_dir, scale, &mut Rng::new(0x7265_706f))?;
    let host_file = repo_dir.join("hosts").join(host_name(0)).join("configuration.nix");

    // The one-host repository: the same first host, alone with its shared modules.
    let small_dir = out.join("small-repo");
    let small = Scale { hosts: 1, ..*scale };
    write_repo(&mut writer, &small_dir, &small, &mut Rng::new(0x7265_706f))?;
    let small_repo_host_file = small_dir.join("hosts").join(host_name(0)).join("configuration.nix");

    let big_file = out.join("big").join("big.nix");
    writer.write(&big_file, &big_file_text(&mut Rng::new(0x0062_6967), scale.big_lines))?;
    Ok(Generated {
        modules_dir,
        repo_dir,
        big_file,
        host_file,
        small_repo_host_file,
        files: writer.files,
        bytes: writer.bytes,
    })
}

#[derive(Default)]
struct Writer {
    files: usize,
    bytes: u64,
}

impl Writer {
    fn write(&mut self, path: &Path, text: &str) -> io::Result<()> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(path, text).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        self.files += 1;
        self.bytes += text.len() as u64;
        Ok(())
    }
}

fn host_name(i: usize) -> String {
    format!("h{i:03}")
}

/// A NixOS service module: options, a systemd unit, firewall, packages. About one in
/// seven has a leftover `let` binding and one in nine a hand-written inherit, so the rules
/// have something to report, as on real code.
pub fn module_file(rng: &mut Rng, i: usize) -> String {
    let name = format!("{}{i}", rng.pick(WORDS));
    let mut s = String::new();
    let _ = writeln!(s, "# {name}: runs the {name} daemon and opens its port.");
    s.push_str("{ config, lib, pkgs, ... }:\n\nlet\n");
    let _ = writeln!(s, "  cfg = config.services.{name};");
    s.push_str("  inherit (lib) mkEnableOption mkOption mkIf types;\n");
    let _ = writeln!(s, "  defaultPort = {};", 1024 + rng.below(50_000));
    if rng.chance(15) {
        let _ = writeln!(s, "  leftover = \"{}\";", rng.pick(WORDS));
    }
    s.push_str("in\n{\n");
    let _ = writeln!(s, "  options.services.{name} = {{");
    let _ = writeln!(s, "    enable = mkEnableOption \"the {name} service\";\n");
    s.push_str("    port = mkOption {\n      type = types.port;\n      default = defaultPort;\n");
    let _ = writeln!(s, "      description = \"TCP port {name} listens on.\";\n    }};");
    for o in 0..rng.below(8) {
        let opt = format!("{}{o}", rng.pick(WORDS));
        let _ = writeln!(s, "\n    {opt} = mkOption {{");
        match rng.below(3) {
            0 => {
                let _ = writeln!(s, "      type = types.str;\n      default = \"{}\";", rng.pick(WORDS));
            }
            1 => {
                let _ = writeln!(s, "      type = types.int;\n      default = {};", rng.below(1000));
            }
            _ => {
                let _ = writeln!(
                    s,
                    "      type = types.listOf types.str;\n      default = [ \"{}\" \"{}\" ];",
                    rng.pick(WORDS),
                    rng.pick(WORDS)
                );
            }
        }
        let _ = writeln!(s, "      description = ''\n        How {name} handles {opt}.\n        See the upstream documentation.\n      '';\n    }};");
    }
    s.push_str("  };\n\n  config = mkIf cfg.enable {\n");
    let _ = writeln!(s, "    systemd.services.{name} = {{");
    let _ = writeln!(s, "      description = \"{name} daemon\";");
    s.push_str("      wantedBy = [ \"multi-user.target\" ];\n");
    let _ = writeln!(s, "      after = [ \"{}\" ];", rng.pick(UNITS));
    s.push_str("      serviceConfig = {\n");
    let _ = writeln!(
        s,
        "        ExecStart = \"${{pkgs.{}}}/bin/{name} --port ${{toString cfg.port}}\";",
        rng.pick(PACKAGES)
    );
    s.push_str("        DynamicUser = true;\n        Restart = \"on-failure\";\n        ProtectSystem = \"strict\";\n");
    let _ = writeln!(s, "        StateDirectory = \"{name}\";\n      }};");
    if rng.chance(60) {
        s.push_str("      environment = {\n");
        for e in 0..1 + rng.below(6) {
            let _ = writeln!(
                s,
                "        {}_{e} = \"{}\";",
                rng.pick(WORDS).to_uppercase(),
                rng.pick(WORDS)
            );
        }
        s.push_str("      };\n");
    }
    s.push_str("    };\n\n    networking.firewall.allowedTCPPorts = [ cfg.port ];\n");
    s.push_str("    environment.systemPackages = with pkgs; [\n");
    for _ in 0..1 + rng.below(6) {
        let _ = writeln!(s, "      {}", rng.pick(PACKAGES));
    }
    s.push_str("    ];\n");
    if rng.chance(11) {
        s.push_str("    _module.args = { pkgs = pkgs; };\n");
    }
    if rng.chance(50) {
        let _ = writeln!(
            s,
            "    users.users.{name} = {{\n      isSystemUser = true;\n      group = \"{name}\";\n      home = \"/var/lib/{name}\";\n    }};\n    users.groups.{name} = {{ }};"
        );
    }
    s.push_str("  };\n}\n");
    s
}

/// A package expression in the style of nixpkgs (`stdenv.mkDerivation rec { … }`).
pub fn package_file(rng: &mut Rng, i: usize) -> String {
    let name = format!("{}-{i}", rng.pick(WORDS));
    let mut s = String::new();
    s.push_str("{\n  lib,\n  stdenv,\n  fetchFromGitHub,\n  pkg-config,\n  openssl,\n}:\n\n");
    s.push_str("stdenv.mkDerivation rec {\n");
    let _ = writeln!(s, "  pname = \"{name}\";");
    let _ = writeln!(
        s,
        "  version = \"{}.{}.{}\";\n",
        rng.below(5),
        rng.below(30),
        rng.below(10)
    );
    s.push_str("  src = fetchFromGitHub {\n    owner = \"example\";\n    repo = pname;\n    rev = \"v${version}\";\n");
    let _ = writeln!(
        s,
        "    hash = \"sha256-{:016x}{:016x}=\";\n  }};\n",
        rng.next_u64(),
        rng.next_u64()
    );
    s.push_str("  nativeBuildInputs = [ pkg-config ];\n  buildInputs = [ openssl ];\n\n");
    if rng.chance(50) {
        s.push_str(
            "  postPatch = ''\n    substituteInPlace Makefile \\\n      --replace-fail /usr/local $out\n  '';\n\n",
        );
    }
    s.push_str("  meta = {\n");
    let _ = writeln!(s, "    description = \"The {name} tool\";");
    let _ = writeln!(s, "    homepage = \"https://example.org/{name}\";");
    s.push_str("    license = lib.licenses.mit;\n    platforms = lib.platforms.linux;\n  };\n}\n");
    s
}

/// A deterministic ed25519 public key (a real curve point, so ssh-to-age accepts it) and
/// the age recipient it converts to.
fn host_key(seed: u64) -> (String, String) {
    let mut bytes = [0u8; 32];
    let mut rng = Rng::new(seed);
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    let point = EdwardsPoint::mul_base(&Scalar::from_bytes_mod_order(bytes));
    let public = point.compress().to_bytes();
    let mut blob = Vec::new();
    for part in [&b"ssh-ed25519"[..], &public[..]] {
        blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
        blob.extend_from_slice(part);
    }
    use base64::Engine as _;
    let ssh = format!(
        "ssh-ed25519 {}",
        base64::engine::general_purpose::STANDARD.encode(&blob)
    );
    let hrp = Hrp::parse("age").expect("age is a valid bech32 prefix");
    let age = bech32::encode::<Bech32>(hrp, &point.to_montgomery().to_bytes()).expect("32 bytes fit bech32");
    (ssh, age)
}

const FLAKE: &str = r#"{
  description = "Synthetic infrastructure for nixpilot's benchmarks";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs?ref=nixos-unstable";
    blueprint = {
      url = "github:numtide/blueprint";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    disko = {
      url = "github:nix-community/disko";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    sops-nix = {
      url = "github:Mic92/sops-nix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    srvos = {
      url = "github:nix-community/srvos";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs = inputs: inputs.blueprint { inherit inputs; };
}
"#;

fn lock_node(owner: &str, repo: &str, rev_seed: u64, follows_nixpkgs: bool) -> serde_json::Value {
    let mut rng = Rng::new(rev_seed);
    let rev = format!(
        "{:016x}{:016x}{:08x}",
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64() as u32
    );
    let mut node = serde_json::json!({
        "locked": {
            "lastModified": 1_750_000_000 + rng.below(1_000_000),
            "narHash": format!("sha256-{:016x}{:016x}{:011x}=", rng.next_u64(), rng.next_u64(), rng.next_u64() >> 20),
            "owner": owner,
            "repo": repo,
            "rev": rev,
            "type": "github"
        },
        "original": { "owner": owner, "repo": repo, "type": "github" }
    });
    if follows_nixpkgs {
        node["inputs"] = serde_json::json!({ "nixpkgs": ["nixpkgs"] });
    }
    node
}

fn flake_lock() -> String {
    let mut nixpkgs = lock_node("NixOS", "nixpkgs", 1, false);
    nixpkgs["original"]["ref"] = "nixos-unstable".into();
    let lock = serde_json::json!({
        "nodes": {
            "blueprint": lock_node("numtide", "blueprint", 2, true),
            "disko": lock_node("nix-community", "disko", 3, true),
            "nixpkgs": nixpkgs,
            "root": { "inputs": {
                "blueprint": "blueprint", "disko": "disko", "nixpkgs": "nixpkgs",
                "sops-nix": "sops-nix", "srvos": "srvos"
            } },
            "sops-nix": lock_node("Mic92", "sops-nix", 4, true),
            "srvos": lock_node("nix-community", "srvos", 5, true)
        },
        "root": "root",
        "version": 7
    });
    let mut text = serde_json::to_string_pretty(&lock).expect("a JSON value serialises");
    text.push('\n');
    text
}

fn write_repo(writer: &mut Writer, dir: &Path, scale: &Scale, rng: &mut Rng) -> io::Result<()> {
    writer.write(&dir.join("flake.nix"), FLAKE)?;
    writer.write(&dir.join("flake.lock"), &flake_lock())?;
    let (admin_ssh, admin_age) = host_key(0xad);
    writer.write(
        &dir.join("users/admin/authorized_keys"),
        &format!("{admin_ssh} admin@example\n"),
    )?;

    let shared: Vec<String> = (0..scale.shared_modules)
        .map(|i| {
            if i == 0 {
                "common".to_string()
            } else {
                format!("{}{i}", WORDS[i % WORDS.len()])
            }
        })
        .collect();
    writer.write(&dir.join("modules/nixos/common.nix"), COMMON_MODULE)?;
    for (i, name) in shared.iter().enumerate().skip(1) {
        writer.write(
            &dir.join(format!("modules/nixos/{name}.nix")),
            &module_file(rng, 100_000 + i),
        )?;
    }

    let mut sops = String::from("keys:\n");
    let _ = writeln!(sops, "  - &admin {admin_age}");
    let mut rules = String::from("creation_rules:\n");
    for h in 0..scale.hosts {
        let name = host_name(h);
        let (ssh, age) = host_key(1000 + h as u64);
        let _ = writeln!(sops, "  - &{name} {age}");
        let _ = writeln!(
            rules,
            "  - path_regex: hosts/{name}/secrets\\.yaml$\n    key_groups:\n      - age:\n          - *admin\n          - *{name}"
        );
        let host_dir = dir.join("hosts").join(&name);
        writer.write(
            &host_dir.join("ssh_host_ed25519_key.pub"),
            &format!("{ssh} root@{name}\n"),
        )?;
        let lines = if h == 0 { scale.host_lines } else { 40 + rng.below(120) };
        writer.write(
            &host_dir.join("configuration.nix"),
            &host_configuration(rng, h, &shared, lines),
        )?;
        writer.write(&host_dir.join("disko.nix"), &disko_file(rng, h))?;
    }
    sops.push_str(&rules);
    writer.write(&dir.join(".sops.yaml"), &sops)
}

const COMMON_MODULE: &str = r#"# Shared by every host: srvos server defaults, admin access, nix settings.
{ inputs, ... }:
{
  imports = [
    inputs.srvos.nixosModules.server
    inputs.disko.nixosModules.disko
    inputs.sops-nix.nixosModules.sops
  ];

  users.users.root.openssh.authorizedKeys.keyFiles = [ ../../users/admin/authorized_keys ];

  nix.settings = {
    trusted-users = [ "root" "@wheel" ];
    auto-optimise-store = true;
  };

  services.openssh.settings.PasswordAuthentication = false;
  security.acme.acceptTerms = true;
  security.acme.defaults.email = "hostmaster@example.org";
  time.timeZone = "UTC";
}
"#;

/// A blueprint host: srvos hardware module, disko, shared modules, the settings the host
/// rules look for, then service configuration until it has `lines` lines.
fn host_configuration(rng: &mut Rng, h: usize, shared: &[String], lines: usize) -> String {
    let name = host_name(h);
    let mut s = String::from("{ flake, inputs, pkgs, ... }:\nlet\n");
    let _ = writeln!(
        s,
        "  uplink = \"10-uplink\";\n  address = \"2001:db8:{h:x}::2/64\";\nin\n{{\n  imports = ["
    );
    let _ = writeln!(
        s,
        "    inputs.srvos.nixosModules.hardware-hetzner-online-amd\n    flake.nixosModules.common"
    );
    for _ in 0..1 + rng.below(3) {
        let module = &shared[rng.below(shared.len())];
        if module != "common" {
            let _ = writeln!(s, "    flake.nixosModules.{module}");
        }
    }
    s.push_str("    ./disko.nix\n  ];\n\n");
    let _ = writeln!(s, "  networking.hostName = \"{name}\";");
    let _ = writeln!(s, "  networking.hostId = \"{:08x}\";", rng.next_u64() as u32);
    s.push_str("  nixpkgs.hostPlatform = \"x86_64-linux\";\n");
    s.push_str("  systemd.network.networks.${uplink}.networkConfig.Address = address;\n\n");
    s.push_str("  boot.loader.grub = {\n    enable = true;\n    efiSupport = true;\n    efiInstallAsRemovable = true;\n  };\n\n");
    let footer = "\n  system.stateVersion = \"25.05\";\n}\n";
    let footer_lines = footer.lines().count();
    let mut block = 0;
    loop {
        let mut next = String::new();
        let svc = format!("{}{block}", rng.pick(WORDS));
        match block % 4 {
            0 => {
                let _ = writeln!(
                    next,
                    "  services.nginx.virtualHosts.\"{svc}.{name}.example.org\" = {{\n    forceSSL = true;\n    enableACME = true;\n    locations.\"/\".proxyPass = \"http://127.0.0.1:{}\";\n  }};\n",
                    8000 + rng.below(1000)
                );
            }
            1 => {
                let _ = writeln!(
                    next,
                    "  systemd.services.{svc} = {{\n    wantedBy = [ \"multi-user.target\" ];\n    serviceConfig.ExecStart = \"${{pkgs.{}}}/bin/{svc}\";\n    serviceConfig.DynamicUser = true;\n  }};\n",
                    rng.pick(PACKAGES)
                );
            }
            2 => {
                let _ = writeln!(
                    next,
                    "  users.users.{svc} = {{\n    isNormalUser = true;\n    extraGroups = [ \"wheel\" ];\n    openssh.authorizedKeys.keyFiles = [ ../../users/admin/authorized_keys ];\n  }};\n"
                );
            }
            _ => {
                let _ = writeln!(
                    next,
                    "  networking.firewall.allowedTCPPorts = [ {} {} ];\n  environment.systemPackages = [ pkgs.{} pkgs.{} ];\n",
                    1000 + rng.below(9000),
                    1000 + rng.below(9000),
                    rng.pick(PACKAGES),
                    rng.pick(PACKAGES)
                );
            }
        }
        // The firewall list may only be set once per file; later blocks use mkAfter-free options.
        if block % 4 == 3 && block > 3 {
            next = format!(
                "  services.{svc}.enable = true;\n  services.{svc}.port = {};\n\n",
                2000 + rng.below(5000)
            );
        }
        if s.lines().count() + next.lines().count() + footer_lines > lines {
            break;
        }
        s.push_str(&next);
        block += 1;
    }
    while s.lines().count() + footer_lines < lines {
        let _ = writeln!(s, "  # capacity note {}", rng.below(1000));
    }
    s.push_str(footer);
    s
}

fn disko_file(rng: &mut Rng, h: usize) -> String {
    let disk = format!("/dev/disk/by-id/{}_S{:09}", rng.pick(DISKS), h);
    format!(
        r#"{{
  disko.devices.disk.main = {{
    type = "disk";
    device = "{disk}";
    content = {{
      type = "gpt";
      partitions = {{
        boot = {{
          size = "1M";
          type = "EF02";
        }};
        ESP = {{
          size = "512M";
          type = "EF00";
          content = {{
            type = "filesystem";
            format = "vfat";
            mountpoint = "/boot";
            mountOptions = [ "umask=0077" ];
          }};
        }};
        root = {{
          size = "100%";
          content = {{
            type = "filesystem";
            format = "ext4";
            mountpoint = "/";
          }};
        }};
      }};
    }};
  }};
}}
"#
    )
}

/// A package set in the style of nixpkgs' `all-packages.nix`: one long attribute set of
/// `callPackage` lines, aliases, nested sets and the odd `let`, exactly `lines` lines long.
pub fn big_file_text(rng: &mut Rng, lines: usize) -> String {
    let header = "{ lib, pkgs, callPackage, fetchurl, config, ... }:\n\nlet\n  inherit (lib) optionalAttrs;\n  mkAlias = name: target: { inherit name target; };\nin\n{\n";
    let footer = "}\n";
    let mut s = String::from(header);
    let mut count = header.lines().count();
    let target = lines.saturating_sub(footer.lines().count());
    let mut i = 0usize;
    while count < target {
        let left = target - count;
        let name = format!("{}{i:05}", rng.pick(WORDS));
        let entry = match rng.below(10) {
            0..=4 => format!("  {name} = callPackage ../by-name/{}/{name} {{ }};\n", &name[..2]),
            5 if left >= 4 => format!(
                "  {name} = callPackage ../by-name/{}/{name} {{\n    inherit (pkgs) openssl;\n    withSystemd = config.{name}.systemd or true;\n  }};\n",
                &name[..2]
            ),
            6 if left >= 6 => format!(
                "  {name}Packages = lib.recurseIntoAttrs {{\n    core = callPackage ../{name}/core.nix {{ }};\n    cli = callPackage ../{name}/cli.nix {{ }};\n    version = \"{}.{}\";\n    port = {};\n  }};\n",
                rng.below(9),
                rng.below(99),
                1024 + rng.below(60000)
            ),
            7 if left >= 6 => format!(
                "  {name} =\n    let\n      src = fetchurl {{ url = \"https://example.org/{name}.tar.gz\"; hash = \"sha256-{:016x}=\"; }};\n    in\n    callPackage ../{name} {{ inherit src; }};\n",
                rng.next_u64()
            ),
            8 => format!("  # {name}: kept for compatibility, see release notes\n"),
            _ => format!("  {name}Alias = mkAlias \"{name}\" \"{}\";\n", rng.pick(WORDS)),
        };
        count += entry.lines().count();
        s.push_str(&entry);
        i += 1;
    }
    s.push_str(footer);
    s
}
