//! `nixpilot deploy HOST... | --all`: build, copy and switch hosts over SSH with pinned host keys
//! and rollback; the pipeline is `nixpilot_deploy::pipeline::deploy`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use clap::Args;
use nixpilot_deploy::pipeline::deploy::{self, DeployOptions, Repo};
use nixpilot_deploy::pipeline::{cancel, Cancel, EventSink, PlainSink, TerminalSink};

#[derive(Args)]
pub struct DeployArgs {
    /// Hosts to deploy (hosts/NAME/); or --all
    #[arg(conflicts_with = "all")]
    pub hosts: Vec<String>,
    /// Deploy every host, in parallel
    #[arg(long)]
    pub all: bool,
    /// Where to connect, `[user@]address[:port]` (one host only) [default: deployment.targetHost
    /// in hosts/NAME/deploy.toml, else networking.fqdn or networking.hostName; user root]
    #[arg(long, value_name = "USER@ADDR")]
    pub target: Option<String>,
    #[command(flatten)]
    pub ssh: SshArgs,
    /// Hosts deployed at the same time
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub parallel: usize,
    /// Keep a failed activation instead of switching back to the previous generation
    #[arg(long)]
    pub no_rollback: bool,
    /// Print the plan, run nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// How the pipeline commands reach hosts and find the repository.
#[derive(Args)]
pub struct SshArgs {
    /// Your SSH key [default: ssh-agent, then ~/.ssh/id_ed25519 and ~/.ssh/id_ecdsa]
    #[arg(long, short = 'i', value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// Seconds to wait for a host to answer SSH (connect, handshake and login)
    #[arg(long, default_value_t = 15, value_name = "SECONDS")]
    pub connect_timeout: u64,
    /// The repository (default: the one holding the current directory)
    #[arg(long, short = 'C', value_name = "DIR")]
    pub repo: Option<PathBuf>,
}

impl SshArgs {
    pub fn open_repo(&self) -> anyhow::Result<Repo> {
        let repo = Repo::open(self.repo.as_deref().unwrap_or(std::path::Path::new(".")))?;
        for (path, why) in &repo.unread {
            eprintln!("nixpilot: warning: {path}: {why}");
        }
        Ok(repo)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout)
    }
}

/// The host names in the order given, each once: one host never gets two pipelines at once.
pub fn unique_hosts(names: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names.into_iter().filter(|n| seen.insert(n.clone())).collect()
}

/// Progress goes to stderr (a spinner line per host on a terminal, labelled lines otherwise),
/// results to stdout.
pub fn progress_sink() -> Box<dyn EventSink> {
    if std::io::stderr().is_terminal() {
        Box::new(TerminalSink::default())
    } else {
        Box::new(PlainSink::new(std::io::stderr()))
    }
}

impl DeployArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        if self.hosts.is_empty() && !self.all {
            bail!("which hosts? name them (HOST...), or pass --all for every host under hosts/");
        }
        let repo = self.ssh.open_repo()?;
        let hosts = if self.all { repo.host_names() } else { unique_hosts(self.hosts) };
        if hosts.is_empty() {
            bail!("no NixOS hosts under {}", repo.root.join("hosts").display());
        }
        if self.target.is_some() && hosts.len() > 1 {
            bail!("--target names one machine; deploy one host with it, or set deployment.targetHost in each hosts/NAME/deploy.toml");
        }
        let plans = hosts
            .iter()
            .map(|h| repo.plan_host(h, self.target.as_deref()))
            .collect::<Result<Vec<_>, _>>()?;
        let opts = DeployOptions {
            repo: repo.root.clone(),
            identity: self.ssh.identity.clone(),
            connect_timeout: self.ssh.timeout(),
            rollback: !self.no_rollback,
        };

        if self.dry_run {
            for plan in &plans {
                println!("{} -> {} (target from {})", plan.name, plan.target, plan.target_source);
                for line in deploy::pipeline(plan, &opts).describe() {
                    println!("  {line}");
                }
            }
            println!("dry run: nothing was run");
            return Ok(ExitCode::SUCCESS);
        }

        cancel::install_signal_handlers();
        let cancel = Cancel::new();
        let sink = progress_sink();
        let results = deploy::deploy_all(&plans, &opts, self.parallel, sink.as_ref(), &cancel);
        // The bars end before the table is printed.
        drop(sink);

        let mut failed = 0;
        println!("{:<20} {:<8} {:>8}  details", "host", "result", "time");
        for r in &results {
            let (status, detail) = match &r.result {
                Ok(state) => ("ok", state.toplevel.clone().unwrap_or_default()),
                Err(e) => {
                    failed += 1;
                    // The table gets the first line; the whole error follows below it.
                    let text = e.to_string();
                    let first = text.lines().next().unwrap_or_default();
                    (
                        "FAILED",
                        first.split("; last output:").next().unwrap_or_default().to_string(),
                    )
                }
            };
            println!(
                "{:<20} {:<8} {:>7.1}s  {detail}",
                r.host,
                status,
                r.elapsed.as_secs_f64()
            );
        }
        for r in &results {
            if let Err(e) = &r.result {
                let text = e.to_string();
                let own = format!("{}: ", r.host);
                // Most errors already name their host; the others get it here.
                let text = if text.starts_with(&own) {
                    text
                } else {
                    format!("{own}{text}")
                };
                eprintln!("nixpilot: error: {text}");
            }
        }
        Ok(if cancel.is_set() {
            // 128 + the signal, as a shell reports it, so scripts see an interruption.
            ExitCode::from(cancel::exit_code())
        } else if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}
