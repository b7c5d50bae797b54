//! The sub-commands. Adding one is a file in this folder and one line in `commands!` below.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Declares the sub-command enum and its dispatch from one list of `Variant(module::Args)`.
macro_rules! commands {
    ($($(#[$doc:meta])* $variant:ident($module:ident :: $args:ident)),* $(,)?) => {
        $(mod $module;)*

        #[derive(Subcommand)]
        pub enum Command {
            $($(#[$doc])* $variant($module::$args),)*
        }

        impl Command {
            pub fn run(self) -> anyhow::Result<ExitCode> {
                match self {
                    $(Command::$variant(args) => args.run(),)*
                }
            }
        }
    };
}

commands! {
    /// Find mistakes in a NixOS flake repository
    Lint(lint::LintArgs),
    /// List every rule with its default severity, group and whether it can fix
    Rules(rules::RulesArgs),
    /// Print a rule's documentation
    Explain(explain::ExplainArgs),
    /// Show what nixpilot's project model sees for each host
    Hosts(hosts::HostsArgs),
    /// Run the language server on stdin/stdout (diagnostics and quick fixes in editors)
    Lsp(lsp::LspArgs),
    /// SOPS files with age keys: set, get, edit, updatekeys, encrypt, decrypt, rotate
    Secrets(secrets::SecretsArgs),
    /// Key conversions: SSH ed25519 keys to age (ssh-to-age)
    Keys(keys::KeysArgs),
    /// Write a new blueprint repository (flake, server module, admin key, .sops.yaml)
    Init(init::InitArgs),
    /// Hosts of the repository: `host add NAME` writes a new one
    Host(host::HostArgs),
    /// Complete a host's keys and secrets: host key, .sops.yaml rule, secrets file, hostId
    Bootstrap(bootstrap::BootstrapArgs),
    /// Install NixOS on a host's machine from a rescue system (nixos-anywhere, host key handed over)
    Install(install::InstallArgs),
    /// Build, copy and switch hosts over SSH (pinned host keys, rollback on failure)
    Deploy(deploy::DeployArgs),
    /// Each host's reachability, generation and whether it runs what the repository builds
    Status(status::StatusArgs),
    /// Show the steps `install` or `deploy` would run, run nothing
    Plan(plan::PlanArgs),
}

impl Command {
    /// Whether the command may decrypt, generate or load a private key (age identities, host
    /// keys, the SSH login key): such a run is made non-dumpable first (`process::forbid_dumps`).
    pub fn may_hold_private_keys(&self) -> bool {
        !matches!(
            self,
            Command::Lint(_) | Command::Rules(_) | Command::Explain(_) | Command::Hosts(_) | Command::Plan(_)
        )
    }
}

/// nixpilot: lint, secrets and deployment for NixOS flake repositories.
#[derive(Parser)]
#[command(name = "nixpilot", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// A command line that parses but means another command: `nixpilot hosts add NAME …` (the
/// listing command, with a folder `add` that does not exist) was meant as `host add`.
pub fn misspelled(args: &[std::ffi::OsString]) -> Option<String> {
    let words: Vec<&str> = args.iter().skip(1).map(|a| a.to_str().unwrap_or("")).collect();
    match words.as_slice() {
        ["hosts", "add", rest @ ..] if !std::path::Path::new("add").exists() => Some(format!(
            "`nixpilot hosts` lists the hosts and takes no `add`; did you mean `nixpilot host add{}`?",
            rest.iter().map(|w| format!(" {w}")).collect::<String>()
        )),
        _ => None,
    }
}
