//! `no-ssh-access`: a server whose first boot would lock everyone out.

use super::insert_definition::host_anchor;
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix};
use crate::project::{HostView, Value};

crate::declare_rule! {
    /// ## What it does
    /// Reports hosts importing srvos's `server` profile where no module gives root, or a
    /// user in the `wheel` group, an SSH key through
    /// `users.users.<user>.openssh.authorizedKeys.keys` or `.keyFiles`.
    ///
    /// ## Why is this bad?
    /// The server profile disables password logins, makes users immutable and reads keys only
    /// from `/etc/ssh/authorized_keys.d/%u` (so `~/.ssh/authorized_keys` is ignored). Without
    /// a declared key nobody can log in after the first boot — on a remote machine that means
    /// a rescue-system reinstall.
    ///
    /// ## Example
    /// ```nix
    /// { inputs, ... }: { imports = [ inputs.srvos.nixosModules.server ]; }
    /// ```
    ///
    /// ## Fix
    /// Add `users.users.root.openssh.authorizedKeys.keyFiles = [ ../../users/<you>/authorized_keys ];`
    /// (or `.keys = [ "ssh-ed25519 …" ]`). There is no automatic fix.
    pub static NO_SSH_ACCESS = { name: "no-ssh-access", group: Host, severity: Error, fixable: false };
}

pub struct NoSshAccess;

/// Whether some definition gives root or a wheel user a key (or might: unknown values count).
fn has_access(host: &HostView) -> bool {
    let mut key_users: Vec<Option<&str>> = Vec::new();
    let mut wheel_users: Vec<Option<&str>> = Vec::new();
    for d in host.definitions_under(&["users", "users"]) {
        let user = d.path.get(2).map(|u| u.as_deref());
        let rest: Vec<Option<&str>> = d.path.iter().skip(3).map(|s| s.as_deref()).collect();
        let Some(user) = user else {
            // `users.users = …` as a whole: cannot tell.
            return true;
        };
        match rest.as_slice() {
            [Some("openssh"), Some("authorizedKeys"), Some("keys" | "keyFiles")] => {
                let non_empty = !matches!(&d.value, Value::List(items) if items.is_empty());
                if non_empty {
                    key_users.push(user);
                }
            }
            [Some("openssh"), Some("authorizedKeys")] | [Some("openssh")] | [] if d.value == Value::Other => {
                key_users.push(user);
            }
            [Some("extraGroups")] => match &d.value {
                Value::List(items) if !items.iter().any(|(v, _)| matches!(v, Value::Str(g) if g == "wheel")) => {}
                _ => wheel_users.push(user),
            },
            _ => {}
        }
    }
    key_users.iter().any(|u| match u {
        None | Some("root") => true,
        Some(name) => wheel_users.iter().any(|w| w.is_none() || w == &Some(*name)),
    })
}

impl ProjectRule for NoSshAccess {
    fn meta(&self) -> &'static RuleMeta {
        &NO_SSH_ACCESS
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        for host in &project.hosts {
            if host.unknown || !host.external_facts().any(|f| f.server_profile) || has_access(host) {
                continue;
            }
            cx.report(
                Diagnostic::new(
                    &NO_SSH_ACCESS,
                    host_anchor(project, host),
                    format!(
                        "host `{}` uses srvos's server profile (no passwords, keys only from \
                         `users.users.<u>.openssh.authorizedKeys`) but no module gives root or a wheel user a key: \
                         nobody could log in after the first boot",
                        host.name
                    ),
                )
                .with_fix(Fix {
                    title: "Add `users.users.root.openssh.authorizedKeys.keyFiles = [ <your public key file> ];`".into(),
                    applicability: Applicability::DisplayOnly,
                    edits: Vec::new(),
                }),
            );
        }
    }
}
