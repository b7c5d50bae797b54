//! Pipeline actions offered in a host's files: "Bootstrap <h>", "Install <h>…", "Deploy <h>",
//! "Deploy all hosts" and "Update keys of <file>", run through `workspace/executeCommand` after
//! the user confirms, with progress reports.

use std::path::{Path, PathBuf};

use nixpilot_deploy::pipeline::deploy::{self, DeployOptions, HostPlan, Repo};
use nixpilot_deploy::pipeline::install::{self, InstallOptions, InstallState};
use nixpilot_deploy::pipeline::ssh::{self, fingerprint_of};
use nixpilot_deploy::pipeline::{Cancel, Context as PipelineContext, Event, EventSink};
use nixpilot_deploy::scaffold::bootstrap::{self, BootstrapOptions};
use nixpilot_deploy::secrets::commands::{self, Context};
use nixpilot_deploy::secrets::{Identities, IdentityEnv};
use nixpilot_lint::project::Project;
use tower_lsp::lsp_types::{CodeAction, CodeActionKind, CodeActionOrCommand, Command};

pub const BOOTSTRAP: &str = "nixpilot.bootstrap";
pub const UPDATE_KEYS: &str = "nixpilot.updateKeys";
pub const INSTALL: &str = "nixpilot.install";
pub const DEPLOY: &str = "nixpilot.deploy";
pub const DEPLOY_ALL: &str = "nixpilot.deployAll";
/// Every command the server executes.
pub const COMMANDS: &[&str] = &[BOOTSTRAP, UPDATE_KEYS, INSTALL, DEPLOY, DEPLOY_ALL];

/// The actions for a file at project-relative `rel` of the project at `root`.
pub fn code_actions(root: &Path, project: &Project, rel: &str) -> Vec<CodeActionOrCommand> {
    let Some(host) = project
        .layout
        .hosts
        .iter()
        .find(|h| rel.starts_with(&format!("{}/", h.dir)))
    else {
        return Vec::new();
    };
    let root_arg = serde_json::Value::String(root.display().to_string());
    let action = |title: String, kind: &'static str, command: &str, arg: String| {
        CodeActionOrCommand::CodeAction(CodeAction {
            title: title.clone(),
            kind: Some(CodeActionKind::new(kind)),
            command: Some(Command {
                title,
                command: command.to_string(),
                arguments: Some(vec![root_arg.clone(), serde_json::Value::String(arg)]),
            }),
            ..CodeAction::default()
        })
    };
    let mut out = vec![
        action(
            format!("Bootstrap {}", host.name),
            "source.nixpilot.bootstrap",
            BOOTSTRAP,
            host.name.clone(),
        ),
        action(
            format!("Install {}…", host.name),
            "source.nixpilot.install",
            INSTALL,
            host.name.clone(),
        ),
        action(
            format!("Deploy {}", host.name),
            "source.nixpilot.deploy",
            DEPLOY,
            host.name.clone(),
        ),
    ];
    if project.hosts.len() > 1 {
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: "Deploy all hosts".into(),
            kind: Some(CodeActionKind::new("source.nixpilot.deployAll")),
            command: Some(Command {
                title: "Deploy all hosts".into(),
                command: DEPLOY_ALL.to_string(),
                arguments: Some(vec![root_arg.clone()]),
            }),
            ..CodeAction::default()
        }));
    }
    for file in project.secrets.files_of_host(&host.dir) {
        out.push(action(
            format!("Update keys of {}", file.path),
            "source.nixpilot.updateKeys",
            UPDATE_KEYS,
            file.path.to_string(),
        ));
    }
    out
}

/// What running an action would do, for the confirmation question; `None` when there is
/// nothing to do.
pub enum Prepared {
    Bootstrap {
        plan: nixpilot_deploy::scaffold::Plan,
        host: String,
    },
    Install {
        plan: HostPlan,
        repo: Box<Repo>,
        opts: Box<InstallOptions>,
        /// What the machine presented when the action was prepared; only that key is let
        /// through once the user says yes.
        rescue_key: String,
        disks: Vec<String>,
    },
    Deploy {
        plans: Vec<HostPlan>,
        opts: DeployOptions,
    },
    UpdateKeys {
        root: PathBuf,
        file: String,
        /// The change shown in the question; applied only if it is still the change.
        diff: commands::KeysDiff,
    },
    Nothing(String),
}

impl Prepared {
    pub fn question(&self) -> Option<String> {
        match self {
            Prepared::Bootstrap { plan, host } => Some(format!("Bootstrap {host}?\n{}", plan.describe(false))),
            Prepared::Install {
                plan,
                rescue_key,
                disks,
                ..
            } => Some(format!(
                "Install {} on {} (target from {}) with nixos-anywhere? This ERASES {} and installs NixOS. \
                 The machine presents the SSH host key {rescue_key}: apply only if that is its rescue system's key \
                 as your provider's console shows it.",
                plan.name,
                plan.target,
                plan.target_source,
                if disks.is_empty() {
                    "its disks".to_string()
                } else {
                    disks.join(", ")
                },
            )),
            Prepared::Deploy { plans, .. } => {
                let targets: Vec<String> = plans.iter().map(|p| format!("{} → {}", p.name, p.target)).collect();
                Some(format!(
                    "Deploy {}? This builds, copies and switches the running machine(s) (rolled back if activation fails).",
                    targets.join(", ")
                ))
            }
            Prepared::UpdateKeys { file, diff, .. } => Some(format!(
                "Re-wrap the data key of {file} for the recipients of {}? Every recipient added can decrypt \
                 all its values.\n{diff}",
                diff.rule
            )),
            Prepared::Nothing(_) => None,
        }
    }
}

/// The project directory a command names, canonical, when it lies inside one of `allowed`
/// (the workspace folders): checked on the path alone, before anything in it is read, so a
/// command naming `/` or a link out of the workspace reads nothing.
fn confined_root(command: &str, root: &str, allowed: &[PathBuf]) -> Result<PathBuf, String> {
    let outside = || format!("{command}: {root} is not inside a workspace folder the editor opened");
    let canonical = Path::new(root).canonicalize().map_err(|_| outside())?;
    let inside = allowed
        .iter()
        .filter_map(|a| a.canonicalize().ok())
        .any(|a| canonical.starts_with(a));
    if !inside || !canonical.is_dir() {
        return Err(outside());
    }
    Ok(canonical)
}

/// A host argument: one plain name (it becomes a directory under `hosts/`).
fn host_arg(command: &str, host: &str) -> Result<String, String> {
    let plain = !host.is_empty()
        && host != "."
        && host != ".."
        && !host.contains(['/', '\\', '\0'])
        && !host.chars().any(char::is_control);
    if plain {
        Ok(host.to_string())
    } else {
        Err(format!("{command}: `{}` is not a host name", host.escape_debug()))
    }
}

/// A file argument: a regular file inside `root` once links are resolved, as a path relative
/// to `root`.
fn file_arg(command: &str, root: &Path, file: &str) -> Result<String, String> {
    let outside = || format!("{command}: {file} is not a file inside {}", root.display());
    let canonical = root.join(file).canonicalize().map_err(|_| outside())?;
    let rel = canonical.strip_prefix(root).map_err(|_| outside())?;
    // Only a regular file: a FIFO or device would block or never end when read.
    let regular = std::fs::symlink_metadata(&canonical).is_ok_and(|m| m.file_type().is_file());
    if !regular || rel.as_os_str().is_empty() {
        return Err(outside());
    }
    rel.to_str().map(str::to_string).ok_or_else(outside)
}

/// Parses the command's arguments and plans the work (no writes). The root must lie inside one
/// of `allowed` and every other argument inside the root; nothing is read before that holds.
pub fn prepare(command: &str, args: &[serde_json::Value], allowed: &[PathBuf]) -> Result<Prepared, String> {
    let arg = |i: usize| {
        args.get(i)
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("{command}: missing argument {i}"))
    };
    if !COMMANDS.contains(&command) {
        return Err(format!("unknown command `{command}`"));
    }
    let root = confined_root(command, arg(0)?, allowed)?;
    match command {
        BOOTSTRAP => {
            let host = host_arg(command, arg(1)?)?;
            let ids = Identities::load(&IdentityEnv::from_process());
            let plan = bootstrap::plan(
                &BootstrapOptions {
                    dir: root,
                    name: host.clone(),
                },
                &ids,
            )
            .map_err(|e| e.to_string())?;
            if plan.is_empty() {
                return Ok(Prepared::Nothing(format!("{host}: nothing to do")));
            }
            Ok(Prepared::Bootstrap { plan, host })
        }
        UPDATE_KEYS => {
            let file = file_arg(command, &root, arg(1)?)?;
            let ctx = Context {
                cwd: root.clone(),
                identity_env: IdentityEnv::from_process(),
            };
            let diff = commands::updatekeys_diff(&ctx, &root.join(&file)).map_err(|e| e.to_string())?;
            if diff.is_empty() {
                return Ok(Prepared::Nothing(format!(
                    "{file}: already encrypted for its rule's recipients"
                )));
            }
            Ok(Prepared::UpdateKeys { root, file, diff })
        }
        INSTALL => {
            let host = host_arg(command, arg(1)?)?;
            // An optional third argument: the rescue system's address (an editor may ask for it).
            let target = args.get(2).and_then(|v| v.as_str()).filter(|t| !t.trim().is_empty());
            let repo = Repo::open(&root).map_err(|e| e.to_string())?;
            let plan = repo.plan_host(&host, target).map_err(|e| e.to_string())?;
            let config = plan.ssh_config(None, std::time::Duration::from_secs(15));
            // The key is read before asking, so the question can show it.
            let presented = ssh::probe_host_key(&config).map_err(|e| ssh::connect_error(&config, e).to_string())?;
            let rescue_key = fingerprint_of(&presented);
            if rescue_key == plan.pinned.fingerprint() {
                return Err(format!(
                    "{host}: {} already presents the host's own key, so it runs the installed system; use \"Deploy {host}\"",
                    plan.target
                ));
            }
            let disks = repo.disks(&host).into_iter().filter_map(|d| d.device).collect();
            let opts = InstallOptions {
                repo: repo.root.clone(),
                identity: None,
                connect_timeout: std::time::Duration::from_secs(15),
                accept_rescue_key: Some(rescue_key.clone()),
                wait_timeout: std::time::Duration::from_secs(900),
                extra_args: Vec::new(),
                secrets: Context {
                    cwd: repo.root.clone(),
                    identity_env: IdentityEnv::from_process(),
                },
                record_target: true,
            };
            Ok(Prepared::Install {
                plan,
                repo: Box::new(repo),
                opts: Box::new(opts),
                rescue_key,
                disks,
            })
        }
        DEPLOY | DEPLOY_ALL => {
            let named = match command {
                DEPLOY_ALL => None,
                _ => Some(host_arg(command, arg(1)?)?),
            };
            let repo = Repo::open(&root).map_err(|e| e.to_string())?;
            let hosts = named.map_or_else(|| repo.host_names(), |h| vec![h]);
            if hosts.is_empty() {
                return Ok(Prepared::Nothing("no NixOS hosts to deploy".into()));
            }
            let plans = hosts
                .iter()
                .map(|h| repo.plan_host(h, None))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            let opts = DeployOptions {
                repo: repo.root.clone(),
                identity: None,
                connect_timeout: std::time::Duration::from_secs(15),
                rollback: true,
            };
            Ok(Prepared::Deploy { plans, opts })
        }
        other => Err(format!("unknown command `{other}`")),
    }
}

/// Forwards pipeline events as log lines.
struct LogSink<'a>(&'a (dyn Fn(String) + Sync));

impl EventSink for LogSink<'_> {
    fn event(&self, host: &str, event: &Event) {
        let line = match event {
            Event::StepStarted { index, total, name } => format!("[{host}] step {}/{total}: {name}", index + 1),
            Event::StepFinished { name, ok, elapsed, .. } => {
                format!(
                    "[{host}] {name}: {} ({:.1}s)",
                    if *ok { "done" } else { "failed" },
                    elapsed.as_secs_f64()
                )
            }
            Event::Command { line } => format!("[{host}] $ {line}"),
            Event::Output { line, .. } => format!("[{host}] {line}"),
            Event::Progress { message } => format!("[{host}] {message}"),
        };
        (self.0)(line);
    }
}

/// Does the work; returns the lines to report. `log` receives progress lines as they come.
pub fn run(prepared: Prepared, log: &(dyn Fn(String) + Sync)) -> Result<Vec<String>, String> {
    match prepared {
        Prepared::Install { plan, repo, opts, .. } => {
            let sink = LogSink(log);
            let cancel = Cancel::new();
            let cx = PipelineContext::new(&plan.name, &sink, &cancel);
            let mut state = InstallState::default();
            install::pipeline(&plan, &repo, &opts)
                .run(&mut state, &cx)
                .map_err(|e| e.to_string())?;
            let mut lines: Vec<String> = state
                .written
                .iter()
                .map(|f| format!("{}: wrote {f}", plan.name))
                .collect();
            lines.push(format!(
                "{}: installed; {} answers with its pinned key and runs {}",
                plan.name,
                plan.target,
                state.system.as_deref().unwrap_or("an unknown system")
            ));
            Ok(lines)
        }
        Prepared::Deploy { plans, opts } => {
            let results = deploy::deploy_all(&plans, &opts, 4, &LogSink(log), &Cancel::new());
            let mut lines = Vec::new();
            let mut failed = Vec::new();
            for r in &results {
                match &r.result {
                    Ok(_) => lines.push(format!("{}: deployed in {:.1}s", r.host, r.elapsed.as_secs_f64())),
                    Err(e) => {
                        lines.push(format!("{}: {e}", r.host));
                        failed.push(r.host.clone());
                    }
                }
            }
            if failed.is_empty() {
                lines.push(format!(
                    "deployed {}",
                    results.iter().map(|r| r.host.as_str()).collect::<Vec<_>>().join(", ")
                ));
                Ok(lines)
            } else {
                Err(format!("deploy failed for {}: {}", failed.join(", "), lines.join("; ")))
            }
        }
        Prepared::Nothing(message) => Ok(vec![message]),
        Prepared::Bootstrap { plan, host } => {
            let warnings = plan.apply().map_err(|e| e.to_string())?;
            let mut lines = vec![plan.describe(true)];
            lines.extend(warnings);
            lines.push(format!("{host}: bootstrapped"));
            Ok(lines)
        }
        Prepared::UpdateKeys { root, file, diff } => {
            let ctx = Context {
                cwd: root.clone(),
                identity_env: IdentityEnv::from_process(),
            };
            let updated = commands::updatekeys(&ctx, &root.join(&file), &diff).map_err(|e| e.to_string())?;
            let c = updated.changes;
            if c.added.is_empty() && c.removed.is_empty() {
                return Ok(vec![format!("{file}: already encrypted for its rule's recipients")]);
            }
            Ok(vec![format!(
                "{file}: added {}, removed {}",
                list(&c.added),
                list(&c.removed)
            )])
        }
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}
