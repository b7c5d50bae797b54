//! `nixpilot status`: for each host, whether it answers with its pinned key, which generation
//! and system it runs (and boots), and whether that is what the repository builds now.

use std::time::Duration;

use super::deploy::SYSTEM_PROFILE;
use super::process;
use super::repo::HostPlan;
use super::ssh::Ssh;
use super::{Cancel, Context, EventSink, PipelineError};

/// What one host looks like now.
#[derive(Debug, Clone)]
pub struct HostStatus {
    pub host: String,
    pub target: String,
    /// `None` when the host answered with its pinned key and let us in.
    pub unreachable: Option<String>,
    /// The system profile's generation (`system-42-link` → 42).
    pub generation: Option<u32>,
    /// `/run/current-system`.
    pub current: Option<String>,
    /// `/run/booted-system`, when it differs from `current` (a reboot would change the kernel).
    pub booted: Option<String>,
    /// What `nixosConfigurations.<h>…toplevel` evaluates to here (`None` with `--no-eval`); the
    /// error keeps the last lines of Nix's output.
    pub local: Option<Result<String, String>>,
}

impl HostStatus {
    /// `Some(true)` when the host runs what the repository builds now.
    pub fn up_to_date(&self) -> Option<bool> {
        match (&self.current, &self.local) {
            (Some(c), Some(Ok(l))) => Some(c == l),
            _ => None,
        }
    }
}

pub struct StatusOptions {
    pub repo: std::path::PathBuf,
    pub identity: Option<std::path::PathBuf>,
    pub connect_timeout: Duration,
    /// Evaluate each host's toplevel locally (`nix eval`) to compare.
    pub evaluate: bool,
}

/// The status of every host, `parallel` at a time.
pub fn status_all(
    plans: &[HostPlan],
    opts: &StatusOptions,
    parallel: usize,
    sink: &dyn EventSink,
    cancel: &Cancel,
) -> Vec<HostStatus> {
    super::run_parallel(plans, parallel, |plan| {
        let cx = Context::new(&plan.name, sink, cancel);
        status(plan, opts, &cx)
    })
}

fn status(plan: &HostPlan, opts: &StatusOptions, cx: &Context<'_>) -> HostStatus {
    let mut out = HostStatus {
        host: plan.name.clone(),
        target: plan.target.to_string(),
        unreachable: None,
        generation: None,
        current: None,
        booted: None,
        local: None,
    };
    if opts.evaluate {
        // Whole, with Nix's last lines: "exit code 1" alone does not say what to fix.
        out.local = Some(evaluate(plan, opts, cx).map_err(|e| e.to_string()));
    }
    let dir = match tempfile::Builder::new().prefix("nixpilot-ssh-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            out.unreachable = Some(format!("cannot make a temporary directory: {e}"));
            return out;
        }
    };
    let config = plan.ssh_config(opts.identity.clone(), opts.connect_timeout);
    let ssh = match Ssh::new(config, dir.path()) {
        Ok(s) => s,
        Err(e) => {
            out.unreachable = Some(e.to_string());
            return out;
        }
    };
    let bound = Some(opts.connect_timeout + Duration::from_secs(10));
    let read = |argv: &[&str]| -> Result<Option<String>, PipelineError> {
        let r = ssh.run(argv, bound, cx)?;
        Ok(r.success()
            .then(|| {
                r.stdout
                    .iter()
                    .map(|l| l.trim())
                    .find(|l| !l.is_empty())
                    .map(str::to_string)
            })
            .flatten())
    };
    let result = (|| -> Result<(), PipelineError> {
        out.generation = read(&["readlink", SYSTEM_PROFILE])?.as_deref().and_then(generation_of);
        out.current = read(&["readlink", "-f", "/run/current-system"])?;
        let booted = read(&["readlink", "-f", "/run/booted-system"])?;
        if booted != out.current {
            out.booted = booted;
        }
        Ok(())
    })();
    ssh.disconnect();
    if let Err(e) = result {
        out.unreachable = Some(match e {
            PipelineError::HostKeyMismatch {
                expected, presented, ..
            } => {
                format!("HOST KEY MISMATCH: presents {presented}, pinned {expected}")
            }
            // ssh's own reason (refused, no such name…) rather than "could not connect".
            PipelineError::SshFailed { tail, .. } if !tail.is_empty() => tail.join("; "),
            e => first_line(&e.to_string()),
        });
    }
    out
}

/// `nix eval --raw .#nixosConfigurations.<h>.config.system.build.toplevel.outPath`: the store
/// path a deploy would build, without building it.
fn evaluate(plan: &HostPlan, opts: &StatusOptions, cx: &Context<'_>) -> Result<String, PipelineError> {
    let mut cmd = process::nix([
        "eval".to_string(),
        "--raw".into(),
        format!(
            ".#nixosConfigurations.{}.config.system.build.toplevel.outPath",
            plan.name
        ),
    ]);
    cmd.dir = Some(opts.repo.clone());
    let out = process::run_ok(&cmd, cx)?;
    out.stdout
        .iter()
        .map(|l| l.trim())
        .find(|l| l.starts_with('/'))
        .map(str::to_string)
        .ok_or_else(|| PipelineError::Host {
            host: plan.name.clone(),
            message: "`nix eval` printed no store path".into(),
        })
}

/// `system-42-link` → 42.
fn generation_of(link: &str) -> Option<u32> {
    let name = link.rsplit('/').next()?;
    name.strip_prefix("system-")?.strip_suffix("-link")?.parse().ok()
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    line.split("; last output:").next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_are_read_from_the_profile_link() {
        assert_eq!(generation_of("system-42-link"), Some(42));
        assert_eq!(generation_of("/nix/var/nix/profiles/system-7-link"), Some(7));
        assert_eq!(generation_of("/nix/store/abc-nixos-system"), None);
    }
}
