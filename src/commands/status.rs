//! `nixpilot status [HOST...]`: each host's reachability (with its pinned key), generation and
//! system, and whether it runs what the repository builds now.

use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use super::deploy::{unique_hosts, SshArgs};
use nixpilot_deploy::pipeline::status::{self, StatusOptions};
use nixpilot_deploy::pipeline::{Cancel, Event, EventSink};

#[derive(Args)]
pub struct StatusArgs {
    /// Hosts to look at [default: every host]
    pub hosts: Vec<String>,
    #[command(flatten)]
    pub ssh: SshArgs,
    /// Hosts asked at the same time
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub parallel: usize,
    /// Do not evaluate each host's configuration locally (no "up to date" column)
    #[arg(long)]
    pub no_eval: bool,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

/// The table is the output; the commands run to fill it are not shown.
struct Silent;

impl EventSink for Silent {
    fn event(&self, _: &str, _: &Event) {}
}

impl StatusArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let repo = self.ssh.open_repo()?;
        let hosts = if self.hosts.is_empty() {
            repo.host_names()
        } else {
            unique_hosts(self.hosts)
        };
        if hosts.is_empty() {
            bail!("no NixOS hosts under {}", repo.root.join("hosts").display());
        }
        let plans = hosts
            .iter()
            .map(|h| repo.plan_host(h, None))
            .collect::<Result<Vec<_>, _>>()?;
        let opts = StatusOptions {
            repo: repo.root.clone(),
            identity: self.ssh.identity.clone(),
            connect_timeout: self.ssh.timeout(),
            evaluate: !self.no_eval,
        };
        let results = status::status_all(&plans, &opts, self.parallel, &Silent, &Cancel::new());
        let unreachable = results.iter().filter(|s| s.unreachable.is_some()).count();

        if self.json {
            let rows: Vec<serde_json::Value> = results
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "host": s.host,
                        "target": s.target,
                        "reachable": s.unreachable.is_none(),
                        "error": s.unreachable,
                        "generation": s.generation,
                        "current": s.current,
                        "booted": s.booted,
                        "local": s.local.as_ref().and_then(|l| l.as_ref().ok()),
                        "localError": s.local.as_ref().and_then(|l| l.as_ref().err()),
                        "upToDate": s.up_to_date(),
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&rows)?);
        } else {
            println!("{:<16} {:<28} {:<12} {:>4}  {:<10} system", "host", "target", "state", "gen", "up to date");
            for s in &results {
                let (state, system) = match &s.unreachable {
                    Some(e) if e.starts_with("HOST KEY MISMATCH") => ("KEY MISMATCH", e.clone()),
                    Some(e) => ("unreachable", e.clone()),
                    None => ("ok", s.current.clone().unwrap_or_else(|| "-".into())),
                };
                let fresh = match (s.up_to_date(), &s.local) {
                    (Some(true), _) => "yes".to_string(),
                    (Some(false), _) => "NO".into(),
                    (None, Some(Err(_))) => "eval failed".into(),
                    (None, _) => "-".into(),
                };
                let booted = s
                    .booted
                    .as_ref()
                    .map(|b| format!(" (booted {b}: reboot to run its kernel)"))
                    .unwrap_or_default();
                println!(
                    "{:<16} {:<28} {:<12} {:>4}  {:<10} {system}{booted}",
                    s.host,
                    s.target,
                    state,
                    s.generation.map(|g| g.to_string()).unwrap_or_else(|| "-".into()),
                    fresh
                );
            }
            for s in &results {
                if let Some(Err(e)) = &s.local {
                    eprintln!("nixpilot: {}: cannot evaluate the configuration: {e}", s.host);
                }
            }
        }
        Ok(if unreachable == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
    }
}
