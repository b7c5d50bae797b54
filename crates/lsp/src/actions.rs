//! Pipeline actions offered in a host's files: "Bootstrap <h>" and "Update keys of <file>",
//! run through `workspace/executeCommand` after the user confirms, with progress reports.

use std::path::{Path, PathBuf};

use nixpilot_deploy::scaffold::bootstrap::{self, BootstrapOptions};
use nixpilot_deploy::secrets::commands::{self, Context};
use nixpilot_deploy::secrets::{Identities, IdentityEnv};
use nixpilot_lint::project::Project;
use tower_lsp::lsp_types::{CodeAction, CodeActionKind, CodeActionOrCommand, Command};

pub const BOOTSTRAP: &str = "nixpilot.bootstrap";
pub const UPDATE_KEYS: &str = "nixpilot.updateKeys";
/// Every command the server executes.
pub const COMMANDS: &[&str] = &[BOOTSTRAP, UPDATE_KEYS];

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
    let mut out = vec![action(
        format!("Bootstrap {}", host.name),
        "source.nixpilot.bootstrap",
        BOOTSTRAP,
        host.name.clone(),
    )];
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
    UpdateKeys {
        root: PathBuf,
        file: String,
    },
    Nothing(String),
}

impl Prepared {
    pub fn question(&self) -> Option<String> {
        match self {
            Prepared::Bootstrap { plan, host } => Some(format!("Bootstrap {host}?\n{}", plan.describe(false))),
            Prepared::UpdateKeys { file, .. } => Some(format!(
                "Re-wrap the data key of {file} for its creation rule's recipients?"
            )),
            Prepared::Nothing(_) => None,
        }
    }
}

/// Parses the command's arguments and plans the work (no writes).
pub fn prepare(command: &str, args: &[serde_json::Value]) -> Result<Prepared, String> {
    let arg = |i: usize| {
        args.get(i)
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("{command}: missing argument {i}"))
    };
    let root = PathBuf::from(arg(0)?);
    match command {
        BOOTSTRAP => {
            let host = arg(1)?.to_string();
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
        UPDATE_KEYS => Ok(Prepared::UpdateKeys {
            root,
            file: arg(1)?.to_string(),
        }),
        other => Err(format!("unknown command `{other}`")),
    }
}

/// Does the work; returns the lines to report.
pub fn run(prepared: Prepared) -> Result<Vec<String>, String> {
    match prepared {
        Prepared::Nothing(message) => Ok(vec![message]),
        Prepared::Bootstrap { plan, host } => {
            let warnings = plan.apply().map_err(|e| e.to_string())?;
            let mut lines = vec![plan.describe(true)];
            lines.extend(warnings);
            lines.push(format!("{host}: bootstrapped"));
            Ok(lines)
        }
        Prepared::UpdateKeys { root, file } => {
            let ctx = Context {
                cwd: root.clone(),
                identity_env: IdentityEnv::from_process(),
            };
            let updated = commands::updatekeys(&ctx, &root.join(&file)).map_err(|e| e.to_string())?;
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
