//! `nixpilot plan install|deploy …`: what `install` or `deploy` would do, step by step, with
//! the same arguments; nothing is run (the same as their `--dry-run`).

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::deploy::DeployArgs;
use super::install::InstallArgs;

#[derive(Args)]
pub struct PlanArgs {
    #[command(subcommand)]
    pub command: PlanCommand,
}

#[derive(Subcommand)]
pub enum PlanCommand {
    /// The steps of `nixpilot install` for a host
    Install(InstallArgs),
    /// The steps of `nixpilot deploy` for hosts
    Deploy(DeployArgs),
}

impl PlanArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            PlanCommand::Install(mut args) => {
                args.dry_run = true;
                args.run()
            }
            PlanCommand::Deploy(mut args) => {
                args.dry_run = true;
                args.run()
            }
        }
    }
}
