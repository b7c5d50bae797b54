//! `nixpilot init [DIR]`: a blueprint repository with srvos, disko and sops-nix wired in,
//! the admin's SSH key as root's key and as the age recipient of `.sops.yaml`.

use std::path::{Path, PathBuf};

use super::{templates, validate, Plan, ScaffoldError};
use nixpilot_sops::ssh_to_age;

#[derive(Debug, Clone)]
pub struct InitOptions {
    pub dir: PathBuf,
    /// The admin's user name (`users/<user>/`).
    pub user: String,
    /// The admin's public key file; `~/.ssh/id_ed25519.pub` when not given.
    pub admin_key: PathBuf,
    pub force: bool,
}

pub fn default_admin_key(home: &Path) -> PathBuf {
    home.join(".ssh").join("id_ed25519.pub")
}

pub fn plan(opts: &InitOptions) -> Result<Plan, ScaffoldError> {
    validate::user_name(&opts.user)?;
    let key_text = match std::fs::read_to_string(&opts.admin_key) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ScaffoldError::NoAdminKey {
                looked: opts.admin_key.clone(),
            })
        }
        Err(source) => {
            return Err(ScaffoldError::Io {
                path: opts.admin_key.clone(),
                source,
            })
        }
    };
    // Only ed25519 lines: they are the ones sops can encrypt to (via ssh-to-age).
    let lines: Vec<&str> = key_text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("ssh-ed25519 ") && ssh_to_age::public_key_to_recipient(l).is_ok())
        .collect();
    if lines.is_empty() {
        return Err(ScaffoldError::AdminKeyNotEd25519 {
            file: opts.admin_key.clone(),
        });
    }
    let admins: Vec<(String, String)> = lines
        .iter()
        .filter_map(|l| ssh_to_age::public_key_to_recipient(l).ok())
        .map(|r| (r, format!("admin {} (users/{}/authorized_keys)", opts.user, opts.user)))
        .collect();

    let root = if opts.dir.is_absolute() {
        opts.dir.clone()
    } else {
        std::env::current_dir()
            .map_err(|source| ScaffoldError::Io {
                path: opts.dir.clone(),
                source,
            })?
            .join(&opts.dir)
    };
    let root: PathBuf = root
        .components()
        .filter(|c| *c != std::path::Component::CurDir)
        .collect();
    let mut plan = Plan {
        root,
        git_init: true,
        ..Plan::default()
    };
    let keys_path = format!("users/{}/authorized_keys", opts.user);
    plan.add(
        "flake.nix",
        templates::flake_nix(),
        0o644,
        "inputs nixpkgs, blueprint, disko, sops-nix, srvos (all following nixpkgs)",
    );
    plan.add(
        "devshell.nix",
        templates::devshell_nix(),
        0o644,
        "dev shell with nixos-anywhere and nixos-rebuild",
    );
    plan.add(".envrc", templates::envrc(), 0o644, "direnv: use the dev shell");
    plan.add(
        ".gitignore",
        templates::gitignore(),
        0o644,
        "ignore direnv and build results",
    );
    plan.add(
        "modules/nixos/server.nix",
        templates::server_nix(&opts.user),
        0o644,
        "srvos server profile, disko, sops-nix, root's SSH keys, the host key from secrets",
    );
    plan.add(
        &keys_path,
        format!("{}\n", lines.join("\n")),
        0o644,
        format!("the admin key from {}", opts.admin_key.display()),
    );
    plan.add(
        ".sops.yaml",
        templates::sops_yaml(&admins),
        0o644,
        "creation rules with the admin's age recipient",
    );

    let existing: Vec<String> = plan
        .files
        .iter()
        .filter(|f| f.existed)
        .map(|f| f.path.clone())
        .collect();
    if !existing.is_empty() && !opts.force {
        return Err(ScaffoldError::Exists(existing));
    }
    Ok(plan)
}
