//! `nixpilot install HOST --target root@ADDR`: preflight on the rescue system, nixos-anywhere
//! with the host key handed over, then the host back with its pinned key; the pipeline is
//! `nixpilot_deploy::pipeline::install`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use nixpilot_deploy::pipeline::install::{self, InstallOptions, InstallState};
use nixpilot_deploy::pipeline::{cancel, Cancel, Context, PipelineError};
use nixpilot_deploy::secrets::commands;
use nixpilot_deploy::secrets::IdentityEnv;

use super::deploy::{progress_sink, SshArgs};

#[derive(Args)]
pub struct InstallArgs {
    /// The host to install (hosts/NAME/)
    pub host: String,
    /// The rescue system, `[user@]address[:port]` [default: deployment.targetHost in
    /// hosts/NAME/deploy.toml, else networking.fqdn or networking.hostName; user root]
    #[arg(long, value_name = "USER@ADDR")]
    pub target: Option<String>,
    /// The rescue system's SSH host key fingerprint (`SHA256:…`, from your provider's console);
    /// without it nixpilot shows the key and asks, or refuses when nobody can answer
    #[arg(long, value_name = "FINGERPRINT")]
    pub accept_rescue_key: Option<String>,
    #[command(flatten)]
    pub ssh: SshArgs,
    /// Seconds to wait for the installed system to come back after the reboot
    #[arg(long, default_value_t = 900, value_name = "SECONDS")]
    pub wait_timeout: u64,
    /// Do not write hosts/NAME/deploy.toml with --target's address
    #[arg(long)]
    pub no_record_target: bool,
    /// Print the plan, run nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Further arguments for nixos-anywhere (after `--`), e.g. `-- --build-on remote`
    #[arg(last = true, value_name = "NIXOS_ANYWHERE_ARGS")]
    pub nixos_anywhere_args: Vec<String>,
}

impl InstallArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let repo = self.ssh.open_repo()?;
        let plan = repo.plan_host(&self.host, self.target.as_deref())?;
        let opts = InstallOptions {
            repo: repo.root.clone(),
            identity: self.ssh.identity.clone(),
            connect_timeout: self.ssh.timeout(),
            accept_rescue_key: self.accept_rescue_key,
            wait_timeout: Duration::from_secs(self.wait_timeout),
            extra_args: self.nixos_anywhere_args,
            secrets: commands::Context {
                cwd: repo.root.clone(),
                identity_env: IdentityEnv::from_process(),
            },
            record_target: !self.no_record_target,
        };
        let pipeline = install::pipeline(&plan, &repo, &opts);

        if self.dry_run {
            println!("{} -> {} (target from {})", plan.name, plan.target, plan.target_source);
            for line in pipeline.describe() {
                println!("  {line}");
            }
            println!("dry run: nothing was run");
            return Ok(ExitCode::SUCCESS);
        }

        cancel::install_signal_handlers();
        let cancel = Cancel::new();
        let sink = progress_sink();
        let mut state = InstallState::default();
        let result = {
            let cx = Context::new(&plan.name, sink.as_ref(), &cancel);
            pipeline.run(&mut state, &cx)
        };
        drop(sink);
        match result {
            Ok(()) => {
                println!(
                    "{}: installed; {} answers with its pinned key and runs {}",
                    plan.name,
                    plan.target,
                    state.system.as_deref().unwrap_or("an unknown system")
                );
                for f in &state.written {
                    println!("{}: wrote {f}", plan.name);
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                let text = e.to_string();
                let own = format!("{}: ", plan.name);
                eprintln!(
                    "nixpilot: error: {}",
                    if text.starts_with(&own) { text } else { format!("{own}{text}") }
                );
                Ok(if matches!(e, PipelineError::Interrupted) || cancel.is_set() {
                    ExitCode::from(cancel::exit_code())
                } else {
                    ExitCode::from(1)
                })
            }
        }
    }
}
