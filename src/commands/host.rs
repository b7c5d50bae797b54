//! `nixpilot host add NAME …`: writes a new host (configuration, disks, SSH host key, secrets
//! and `.sops.yaml` rule); the work is in `nixpilot_deploy::scaffold::host`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand};
use nixpilot_deploy::scaffold::host::{self, HostAddOptions};
use nixpilot_deploy::scaffold::templates::{DiskLayout, Hardware, System};

#[derive(Args)]
pub struct HostArgs {
    #[command(subcommand)]
    command: HostCommand,
}

#[derive(Subcommand)]
enum HostCommand {
    /// Add a host: hosts/NAME/ with configuration, disk layout, SSH host key and secrets
    Add(AddArgs),
}

#[derive(Args)]
struct AddArgs {
    /// Host name (becomes networking.hostName and hosts/NAME/)
    name: String,
    /// The machine: selects srvos's hardware module and the boot mode
    #[arg(long, default_value = "generic-uefi", value_parser = PossibleValuesParser::new(Hardware::NAMES))]
    hardware: String,
    /// Disk layout
    #[arg(long, default_value = "ext4-single", value_parser = PossibleValuesParser::new(DiskLayout::NAMES))]
    disk: String,
    /// Disks, comma-separated: kernel names (nvme0n1), /dev/disk/by-id/ names or /dev/ paths
    #[arg(long, required = true, value_delimiter = ',', value_name = "DISK,...")]
    disks: Vec<String>,
    /// Public IPv4 address; also where install, deploy and status connect (hosts/NAME/deploy.toml)
    #[arg(long)]
    ipv4: Option<String>,
    /// IPv6 address of the uplink (required for Hetzner Online; /64 is added if no prefix)
    #[arg(long)]
    ipv6: Option<String>,
    #[arg(long, default_value = "x86_64-linux", value_parser = PossibleValuesParser::new(System::NAMES))]
    system: String,
    /// system.stateVersion [default: the current NixOS release]
    #[arg(long)]
    state_version: Option<String>,
    /// The repository (default: the one holding the current directory)
    #[arg(long, short = 'C', value_name = "DIR")]
    repo: Option<PathBuf>,
    /// For a host that exists: write configuration.nix and disko.nix anew when they are as host
    /// add wrote them (an edited one stops the command, naming it); secrets.yaml, the host key
    /// and deploy.toml are kept
    #[arg(long)]
    force: bool,
    /// Print what would be written, write nothing
    #[arg(long)]
    dry_run: bool,
}

impl HostArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            HostCommand::Add(a) => {
                // The parsers above only let the listed names through.
                let opts = HostAddOptions {
                    dir: a.repo.unwrap_or_else(|| PathBuf::from(".")),
                    hardware: Hardware::parse(&a.hardware).unwrap_or(Hardware::GenericUefi),
                    layout: DiskLayout::parse(&a.disk).unwrap_or(DiskLayout::Ext4Single),
                    system: System::parse(&a.system).unwrap_or(System::X86_64Linux),
                    disks: a.disks,
                    state_version: a.state_version,
                    ipv4: a.ipv4,
                    ipv6: a.ipv6,
                    force: a.force,
                    name: a.name,
                };
                let (plan, _) = host::plan(&opts)?;
                let next = if opts.ipv4.is_some() {
                    format!("next: nixpilot lint, then install the machine with nixpilot install {}", opts.name)
                } else {
                    format!(
                        "next: nixpilot lint, then install the machine with nixpilot install {} --target root@ADDRESS",
                        opts.name
                    )
                };
                super::init::finish(&plan, a.dry_run, &next)
            }
        }
    }
}
