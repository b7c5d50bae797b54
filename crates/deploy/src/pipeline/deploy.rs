//! `nixpilot deploy`: per host, check the pinned host key and remember the running generation,
//! build, copy, set the system profile, switch (as clan does, under systemd-run), check a new
//! connection works; roll back to the remembered generation when anything after the profile change fails.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::process::{self, Cmd};
pub use super::repo::{CheckFrom, HostPlan, HttpCheck, Repo};
use super::ssh::{Ssh, SshConfig, Target};
use super::{Cancel, Context, EventSink, Pipeline, PipelineError, Recover, Recovery, Step};
use crate::pipeline::Event;

pub const SYSTEM_PROFILE: &str = "/nix/var/nix/profiles/system";

/// How a run is configured (from the command line).
#[derive(Debug, Clone)]
pub struct DeployOptions {
    pub repo: PathBuf,
    pub identity: Option<PathBuf>,
    pub connect_timeout: Duration,
    pub rollback: bool,
}

/// What the steps of one host share.
#[derive(Default)]
pub struct DeployState {
    ssh: Option<Ssh>,
    /// The system the profile pointed at before: what a rollback returns to.
    pub previous: Option<String>,
    /// The built toplevel.
    pub toplevel: Option<String>,
    /// The profile was changed: from here on a failure needs a rollback.
    pub profile_changed: bool,
    /// Units that had failed before the deploy (`None`: not a systemd host, or unreadable);
    /// only new failures count against the new configuration.
    pub failed_before: Option<BTreeSet<String>>,
}

const FAILED_UNITS: [&str; 5] = ["systemctl", "list-units", "--state=failed", "--no-legend", "--plain"];

/// The failed units the host reports, or `None` when it cannot say.
fn failed_units(
    ssh: &Ssh,
    bound: Option<Duration>,
    cx: &Context<'_>,
) -> Result<Option<BTreeSet<String>>, PipelineError> {
    let out = ssh.run(&FAILED_UNITS, bound, cx)?;
    if !out.success() {
        return Ok(None);
    }
    Ok(Some(
        out.stdout
            .iter()
            .filter_map(|l| l.split_whitespace().next())
            .map(|u| u.trim_start_matches('●').to_string())
            .filter(|u| !u.is_empty())
            .collect(),
    ))
}

impl DeployState {
    fn ssh(&self) -> Result<&Ssh, PipelineError> {
        self.ssh.as_ref().ok_or_else(|| PipelineError::Host {
            host: "?".into(),
            message: "internal: no SSH connection set up".into(),
        })
    }

    fn toplevel(&self) -> Result<&str, PipelineError> {
        self.toplevel.as_deref().ok_or_else(|| PipelineError::Host {
            host: "?".into(),
            message: "internal: nothing built".into(),
        })
    }
}

/// The deploy pipeline of one host.
pub fn pipeline(plan: &HostPlan, opts: &DeployOptions) -> Pipeline<DeployState> {
    let ssh = plan.ssh_config(opts.identity.clone(), opts.connect_timeout);
    Pipeline {
        steps: vec![
            Box::new(Connect { ssh }),
            Box::new(Build {
                host: plan.name.clone(),
                repo: opts.repo.clone(),
            }),
            Box::new(Copy {
                target: plan.target.clone(),
            }),
            Box::new(SetProfile),
            Box::new(Switch {
                host: plan.name.clone(),
            }),
            Box::new(Health {
                http: plan.http_checks.clone(),
            }),
        ],
        recover: Some(Box::new(Rollback {
            host: plan.name.clone(),
            enabled: opts.rollback,
        })),
    }
}

/// The remote command that switches to `toplevel`: under systemd-run so a dropped SSH
/// connection does not kill the activation half-way (clan, nixos-rebuild), with
/// `EXPECTED_HOSTNAME` for srvos's check that we switch the machine we mean.
fn switch_command(host: &str, toplevel: &str, unit: &str) -> Vec<String> {
    [
        "systemd-run",
        "-E",
        &format!("EXPECTED_HOSTNAME={host}"),
        "-E",
        "NIXOS_INSTALL_BOOTLOADER=0",
        "--collect",
        "--no-ask-password",
        "--pipe",
        "--quiet",
        "--wait",
        "--service-type=exec",
        &format!("--unit={unit}"),
        "--",
        &format!("{toplevel}/bin/switch-to-configuration"),
        "switch",
    ]
    .map(String::from)
    .to_vec()
}

/// How often, and how long, to look at an activation whose connection was lost.
const WATCH_EVERY: Duration = Duration::from_secs(2);
const WATCH_FOR: Duration = Duration::from_secs(30 * 60);

/// Switches the host to `toplevel`. When the connection drops mid-activation the unit goes on
/// on the host (that is why it runs under systemd-run): reconnect, wait for the unit to end,
/// and judge by `/run/current-system`, instead of rolling back while it still runs.
fn switch_to(ssh: &Ssh, host: &str, toplevel: &str, cx: &Context<'_>) -> Result<(), PipelineError> {
    let unit = format!("nixpilot-switch-{}", random_suffix());
    let lost = match ssh.run_ok(&strs(&switch_command(host, toplevel, &unit)), None, cx) {
        Ok(_) => return Ok(()),
        Err(e @ PipelineError::SshFailed { .. }) => e,
        Err(e) => return Err(e),
    };
    cx.emit(Event::Progress {
        message: format!("connection lost during activation; {unit} goes on on the host, watching it"),
    });
    let bound = Some(ssh.config.connect_timeout + Duration::from_secs(10));
    let started = Instant::now();
    loop {
        if cx.cancel.is_set() {
            return Err(PipelineError::Interrupted);
        }
        if started.elapsed() > WATCH_FOR {
            return Err(lost);
        }
        // Unreachable for a moment (sshd restarting, network reconfigured): try again.
        match ssh.run(&["systemctl", "is-active", "--quiet", &unit], bound, cx) {
            Ok(out) if out.success() => {}
            Ok(_) => break,
            Err(PipelineError::SshFailed { .. } | PipelineError::TimedOut { .. }) => {}
            Err(e) => return Err(e),
        }
        std::thread::sleep(WATCH_EVERY);
    }
    let out = ssh.run_ok(&["readlink", "-f", "/run/current-system"], bound, cx)?;
    let current = out.stdout.iter().rev().find(|l| !l.trim().is_empty()).map(|l| l.trim());
    if current == Some(toplevel) {
        cx.emit(Event::Progress {
            message: format!("{unit} finished; the host runs {toplevel}"),
        });
        Ok(())
    } else {
        Err(PipelineError::Host {
            host: host.to_string(),
            message: format!(
                "the connection was lost during activation and the host runs {} instead of {toplevel}",
                current.unwrap_or("nothing")
            ),
        })
    }
}

fn random_suffix() -> String {
    let mut b = [0u8; 4];
    if getrandom::fill(&mut b).is_err() {
        b = (std::process::id()).to_le_bytes();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Connects with the pinned key (a refused key stops everything before anything runs) and
/// remembers which system the profile points at.
struct Connect {
    ssh: SshConfig,
}

impl Step<DeployState> for Connect {
    fn name(&self) -> &str {
        "connect"
    }
    fn describe(&self) -> Vec<String> {
        vec![
            format!(
                "ssh {} with the host key pinned to {} ({})",
                self.ssh.target,
                self.ssh.pinned.file,
                self.ssh.pinned.fingerprint()
            ),
            format!("ssh {} readlink -f {SYSTEM_PROFILE}", self.ssh.target),
            format!("ssh {} {}", self.ssh.target, FAILED_UNITS.join(" ")),
        ]
    }
    fn run(&self, state: &mut DeployState, cx: &Context<'_>) -> Result<(), PipelineError> {
        let dir = tempfile::Builder::new()
            .prefix("nixpilot-ssh-")
            .tempdir()
            .map_err(|e| PipelineError::Host {
                host: cx.host.clone(),
                message: format!("cannot make a temporary directory: {e}"),
            })?;
        let ssh = Ssh::new(self.ssh.clone(), dir.path())?;
        // The known_hosts file lives as long as the pipeline and goes with its cleanups.
        cx.on_cleanup(move || drop(dir));
        // A short command bounded by the connect timeout plus slack: a host that accepts TCP
        // but never speaks SSH must give an error, not a hang.
        let bound = Some(self.ssh.connect_timeout + Duration::from_secs(10));
        let out = ssh.run_ok(&["readlink", "-f", SYSTEM_PROFILE], bound, cx)?;
        let previous = out
            .stdout
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_string());
        match &previous {
            Some(p) => cx.emit(Event::Progress {
                message: format!("host key matches; current system {p}"),
            }),
            None => cx.emit(Event::Progress {
                message: "host key matches; no current system profile (nothing to roll back to)".into(),
            }),
        }
        state.previous = previous;
        state.failed_before = failed_units(&ssh, bound, cx)?;
        state.ssh = Some(ssh);
        Ok(())
    }
}

struct Build {
    host: String,
    repo: PathBuf,
}

impl Build {
    fn cmd(&self) -> Cmd {
        let mut cmd = process::nix([
            "build".to_string(),
            format!(".#nixosConfigurations.{}.config.system.build.toplevel", self.host),
            "--no-link".into(),
            "--print-out-paths".into(),
        ]);
        cmd.dir = Some(self.repo.clone());
        cmd
    }
}

impl Step<DeployState> for Build {
    fn name(&self) -> &str {
        "build"
    }
    fn describe(&self) -> Vec<String> {
        vec![self.cmd().line()]
    }
    fn run(&self, state: &mut DeployState, cx: &Context<'_>) -> Result<(), PipelineError> {
        let out = process::run_ok(&self.cmd(), cx)?;
        let path = out.stdout.iter().rev().map(|l| l.trim()).find(|l| !l.is_empty());
        match path {
            Some(p) if p.starts_with('/') && !p.contains(char::is_whitespace) => {
                state.toplevel = Some(p.to_string());
                Ok(())
            }
            _ => Err(PipelineError::Host {
                host: cx.host.clone(),
                message: format!("`nix build` printed no store path (stdout: {:?})", out.stdout),
            }),
        }
    }
}

struct Copy {
    target: Target,
}

impl Copy {
    fn cmd(&self, toplevel: &str, ssh: Option<&Ssh>) -> Cmd {
        let mut cmd = process::nix([
            "copy".to_string(),
            "--to".into(),
            format!("ssh-ng://{}", self.target.user_host()),
            toplevel.into(),
        ]);
        if let Some(ssh) = ssh {
            // nix's ssh store runs `ssh $NIX_SSHOPTS`: the same pinned options (split on
            // spaces by nix, so the temp dir path must not contain any; tempfile's does not).
            cmd.env.push(("NIX_SSHOPTS".into(), ssh.options().join(" ")));
        }
        cmd
    }
}

impl Step<DeployState> for Copy {
    fn name(&self) -> &str {
        "copy"
    }
    fn describe(&self) -> Vec<String> {
        vec![format!(
            "{} (NIX_SSHOPTS with the pinned key)",
            self.cmd("<toplevel>", None).line()
        )]
    }
    fn run(&self, state: &mut DeployState, cx: &Context<'_>) -> Result<(), PipelineError> {
        let ssh = state.ssh()?;
        // nix splits NIX_SSHOPTS on whitespace: an identity path with a space would be cut.
        if ssh.options().iter().any(|o| o.contains(char::is_whitespace)) {
            return Err(PipelineError::Host {
                host: cx.host.clone(),
                message: "an SSH option contains a space (the --identity path?), which nix's NIX_SSHOPTS cannot carry; use a path without spaces".into(),
            });
        }
        process::run_ok(&self.cmd(state.toplevel()?, Some(ssh)), cx)?;
        Ok(())
    }
}

struct SetProfile;

impl Step<DeployState> for SetProfile {
    fn name(&self) -> &str {
        "profile"
    }
    fn describe(&self) -> Vec<String> {
        vec![format!("ssh … nix-env -p {SYSTEM_PROFILE} --set <toplevel>")]
    }
    fn run(&self, state: &mut DeployState, cx: &Context<'_>) -> Result<(), PipelineError> {
        let toplevel = state.toplevel()?.to_string();
        // Counted as changed before the command returns: a failure half-way is rolled back too.
        state.profile_changed = true;
        state
            .ssh()?
            .run_ok(&["nix-env", "-p", SYSTEM_PROFILE, "--set", &toplevel], None, cx)?;
        Ok(())
    }
}

struct Switch {
    host: String,
}

impl Step<DeployState> for Switch {
    fn name(&self) -> &str {
        "switch"
    }
    fn describe(&self) -> Vec<String> {
        let c = switch_command(&self.host, "<toplevel>", "nixpilot-switch-<random>");
        let c: Vec<String> = c
            .into_iter()
            .map(|a| {
                if a.starts_with("--unit=") {
                    "--unit=nixpilot-switch-<random>".into()
                } else {
                    a
                }
            })
            .collect();
        vec![format!("ssh … {}", c.join(" "))]
    }
    fn run(&self, state: &mut DeployState, cx: &Context<'_>) -> Result<(), PipelineError> {
        let toplevel = state.toplevel()?.to_string();
        switch_to(state.ssh()?, &self.host, &toplevel, cx)
    }
}

/// The new configuration must still let us in (a fresh connection: the next deploy needs one),
/// must not make units fail that ran before, and must answer the HTTP checks of deploy.toml.
struct Health {
    http: Vec<HttpCheck>,
}

impl Step<DeployState> for Health {
    fn name(&self) -> &str {
        "health"
    }
    fn describe(&self) -> Vec<String> {
        let mut out = vec![
            "a new SSH connection with the pinned key: ssh … true".into(),
            format!(
                "ssh … {}: no unit failed that had not failed before",
                FAILED_UNITS.join(" ")
            ),
        ];
        for c in &self.http {
            out.push(format!(
                "{}curl {}: status {}{} within {}s",
                if c.from == CheckFrom::Host { "ssh … " } else { "" },
                c.url,
                c.status,
                c.contains
                    .as_ref()
                    .map(|t| format!(", body contains {t:?}"))
                    .unwrap_or_default(),
                c.timeout
            ));
        }
        out
    }
    fn run(&self, state: &mut DeployState, cx: &Context<'_>) -> Result<(), PipelineError> {
        let ssh = state.ssh()?;
        let bound = Some(ssh.config.connect_timeout + Duration::from_secs(10));
        // A new connection, not the one opened before the switch: the next deploy needs one.
        ssh.disconnect();
        ssh.run_ok(&["true"], bound, cx)?;
        if let (Some(before), Some(after)) = (&state.failed_before, failed_units(ssh, bound, cx)?) {
            let new: Vec<&str> = after.difference(before).map(String::as_str).collect();
            if !new.is_empty() {
                return Err(PipelineError::Host {
                    host: cx.host.clone(),
                    message: format!("units failed after the switch: {}", new.join(", ")),
                });
            }
        }
        for check in &self.http {
            http_check(check, ssh, cx)?;
        }
        Ok(())
    }
}

/// How often a failing HTTP check is tried again, and how long one try may take.
const HTTP_EVERY: Duration = Duration::from_secs(2);
const HTTP_TRY: u64 = 10;

/// Tries `check` with curl until it passes or its time is up.
fn http_check(check: &HttpCheck, ssh: &Ssh, cx: &Context<'_>) -> Result<(), PipelineError> {
    let max_time = HTTP_TRY.to_string();
    // The body, then the status on a line of its own.
    let argv = [
        "curl",
        "--silent",
        "--show-error",
        "--max-time",
        &max_time,
        "--write-out",
        "\\n%{http_code}",
        "--",
        &check.url,
    ];
    let deadline = Instant::now() + Duration::from_secs(check.timeout);
    let where_ = if check.from == CheckFrom::Host {
        " (from the host)"
    } else {
        ""
    };
    loop {
        if cx.cancel.is_set() {
            return Err(PipelineError::Interrupted);
        }
        let out = match check.from {
            CheckFrom::Local => {
                let mut cmd = Cmd::new("curl", argv[1..].iter().copied());
                cmd.quiet = true;
                cmd.timeout = Some(Duration::from_secs(HTTP_TRY + 5));
                process::run(&cmd, cx)?
            }
            CheckFrom::Host => ssh.run_quiet(&argv, Some(Duration::from_secs(HTTP_TRY + 15)), cx)?,
        };
        let status: Option<u16> = out
            .stdout
            .last()
            .and_then(|l| l.trim().parse().ok())
            .filter(|s| *s != 0);
        let body_ok = check.contains.as_ref().is_none_or(|t| {
            out.stdout[..out.stdout.len().saturating_sub(1)]
                .iter()
                .any(|l| l.contains(t.as_str()))
        });
        let problem = match status {
            Some(s) if s == check.status && body_ok => {
                cx.emit(Event::Progress {
                    message: format!("{}{where_}: {s}", check.url),
                });
                return Ok(());
            }
            Some(s) if s == check.status => format!(
                "{s}, but the body does not contain {:?}",
                check.contains.as_deref().unwrap_or("")
            ),
            Some(s) => format!("{s} instead of {}", check.status),
            None => match out.stderr.iter().rev().find(|l| !l.trim().is_empty()) {
                Some(e) => e.trim().to_string(),
                None if out.code == Some(127) => "curl is not installed on the host".into(),
                None => format!("curl failed ({})", out.status_text()),
            },
        };
        if Instant::now() >= deadline {
            return Err(PipelineError::Host {
                host: cx.host.clone(),
                message: format!(
                    "health check {}{where_} failed for {}s: {problem}",
                    check.url, check.timeout
                ),
            });
        }
        cx.emit(Event::Progress {
            message: format!("{}{where_}: {problem}; trying again", check.url),
        });
        let next = Instant::now() + HTTP_EVERY;
        while Instant::now() < next && !cx.cancel.is_set() {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Back to the remembered system: profile first (so a reboot boots it too), then switch.
struct Rollback {
    host: String,
    enabled: bool,
}

impl Recover<DeployState> for Rollback {
    fn name(&self) -> &str {
        "rollback"
    }
    fn describe(&self) -> Vec<String> {
        if !self.enabled {
            return vec!["none (--no-rollback)".into()];
        }
        vec![
            format!("ssh … nix-env -p {SYSTEM_PROFILE} --set <previous system>"),
            "ssh … systemd-run … -- <previous system>/bin/switch-to-configuration switch".into(),
        ]
    }
    fn needed(&self, state: &DeployState) -> bool {
        state.profile_changed
    }
    fn recover(&self, state: &mut DeployState, cx: &Context<'_>) -> Result<Recovery, PipelineError> {
        if !state.profile_changed {
            return Ok(Recovery::NothingToUndo);
        }
        if !self.enabled {
            cx.emit(Event::Progress {
                message: "not rolling back (--no-rollback)".into(),
            });
            return Ok(Recovery::Skipped);
        }
        let Some(previous) = state.previous.clone() else {
            cx.emit(Event::Progress {
                message: "cannot roll back: the host had no system profile before".into(),
            });
            return Ok(Recovery::Skipped);
        };
        cx.emit(Event::Progress {
            message: format!("ROLLING BACK to {previous}"),
        });
        let ssh = state.ssh()?;
        ssh.run_ok(&["nix-env", "-p", SYSTEM_PROFILE, "--set", &previous], None, cx)?;
        switch_to(ssh, &self.host, &previous, cx)?;
        Ok(Recovery::RolledBack)
    }
}

/// The outcome of one host in a run.
pub struct HostResult {
    pub host: String,
    pub result: Result<DeployState, PipelineError>,
    pub elapsed: Duration,
}

/// Deploys every plan, `parallel` hosts at a time; one host's failure does not stop the others.
pub fn deploy_all(
    plans: &[HostPlan],
    opts: &DeployOptions,
    parallel: usize,
    sink: &dyn EventSink,
    cancel: &Cancel,
) -> Vec<HostResult> {
    super::run_parallel(plans, parallel, |plan| {
        let started = Instant::now();
        let cx = Context::new(&plan.name, sink, cancel);
        let mut state = DeployState::default();
        let result = pipeline(plan, opts).run(&mut state, &cx).map(|()| state);
        HostResult {
            host: plan.name.clone(),
            result,
            elapsed: started.elapsed(),
        }
    })
}
