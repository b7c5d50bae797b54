//! `nixpilot bootstrap NAME`: completes a host's keys and secrets (host key, `.sops.yaml`
//! rule, secrets file, recipients, hostId) idempotently; see `nixpilot_deploy::scaffold::bootstrap`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use nixpilot_deploy::scaffold::bootstrap::{self, BootstrapOptions};
use nixpilot_deploy::secrets::{Identities, IdentityEnv};

#[derive(Args)]
pub struct BootstrapArgs {
    /// The host (hosts/NAME/)
    pub name: String,
    /// The repository (default: the one holding the current directory)
    #[arg(long, short = 'C', value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// Print what would change, write nothing
    #[arg(long)]
    pub dry_run: bool,
}

impl BootstrapArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let ids = Identities::load(&IdentityEnv::from_process());
        let opts = BootstrapOptions {
            dir: self.repo.unwrap_or_else(|| PathBuf::from(".")),
            name: self.name,
        };
        let plan = bootstrap::plan(&opts, &ids)?;
        if plan.is_empty() {
            print!("{}", plan.describe(false));
            println!("{}: nothing to do", opts.name);
            return Ok(ExitCode::SUCCESS);
        }
        super::init::finish(&plan, self.dry_run, "")
    }
}
