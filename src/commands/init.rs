//! `nixpilot init [DIR]`: writes a new blueprint repository that lints clean; the files and
//! their contents come from `nixpilot_deploy::scaffold::init`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use nixpilot_deploy::scaffold::init::{self, InitOptions};
use nixpilot_deploy::scaffold::Plan;

#[derive(Args)]
pub struct InitArgs {
    /// Directory of the new repository (created if missing; default: the current directory)
    pub dir: Option<PathBuf>,
    /// The admin's public SSH key (ed25519) [default: ~/.ssh/id_ed25519.pub]
    #[arg(long, value_name = "FILE")]
    pub admin_key: Option<PathBuf>,
    /// The admin's name, for users/<USER>/authorized_keys [default: $USER]
    #[arg(long)]
    pub user: Option<String>,
    /// Replace files that already exist
    #[arg(long)]
    pub force: bool,
    /// Print what would be written, write nothing
    #[arg(long)]
    pub dry_run: bool,
}

impl InitArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let admin_key = match self.admin_key {
            Some(k) => k,
            None => {
                let home = std::env::var_os("HOME").context("HOME is not set; pass --admin-key FILE")?;
                init::default_admin_key(std::path::Path::new(&home))
            }
        };
        let user = match self.user {
            Some(u) => u,
            None => std::env::var("USER")
                .ok()
                .filter(|u| !u.is_empty())
                .context("USER is not set; pass --user NAME")?,
        };
        let opts = InitOptions {
            dir: self.dir.unwrap_or_else(|| PathBuf::from(".")),
            user,
            admin_key,
            force: self.force,
        };
        let plan = init::plan(&opts)?;
        finish(
            &plan,
            self.dry_run,
            "next: nixpilot host add NAME --hardware … --disk … --disks …",
        )
    }
}

/// How init, host add and bootstrap print their plans: the same lines for `--dry-run`
/// (future tense, nothing written) and for a real run (past tense, after writing).
pub fn finish(plan: &Plan, dry_run: bool, next: &str) -> anyhow::Result<ExitCode> {
    if dry_run {
        print!("{}", plan.describe(false));
        println!("dry run: nothing written");
        return Ok(ExitCode::SUCCESS);
    }
    let warnings = plan.apply()?;
    print!("{}", plan.describe(true));
    for w in warnings {
        eprintln!("nixpilot: warning: {w}");
    }
    if !next.is_empty() {
        println!("{next}");
    }
    Ok(ExitCode::SUCCESS)
}
