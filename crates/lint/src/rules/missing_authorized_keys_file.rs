//! `missing-authorized-keys-file`: an `authorizedKeys.keyFiles` entry that does not exist.

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Span};
use crate::project::{EntryKind, Value};

crate::declare_rule! {
    /// ## What it does
    /// Reports entries of `users.users.<user>.openssh.authorizedKeys.keyFiles` that are paths
    /// in the repository (`./keys/alice.pub`, `"${flake}/users/alice/authorized_keys"`) with no
    /// file behind them.
    ///
    /// ## Why is this bad?
    /// Evaluation fails with `path '…' does not exist` — or, when the path is built in a way
    /// Nix does not check, the user silently gets no key and is locked out.
    ///
    /// ## Example
    /// ```nix
    /// { users.users.root.openssh.authorizedKeys.keyFiles = [ ../../users/alice/authorized_keys ]; }
    /// ```
    ///
    /// ## Fix
    /// Create the file (one public key per line) and `git add` it, or correct the path.
    pub static MISSING_AUTHORIZED_KEYS_FILE = { name: "missing-authorized-keys-file", group: Host, severity: Error, fixable: false };
}

pub struct MissingAuthorizedKeysFile;

impl ProjectRule for MissingAuthorizedKeysFile {
    fn meta(&self) -> &'static RuleMeta {
        &MISSING_AUTHORIZED_KEYS_FILE
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        for summary in project.modules.values() {
            for d in &summary.definitions {
                let path: Vec<Option<&str>> = d.path.iter().map(|s| s.as_deref()).collect();
                let is_key_files = matches!(
                    path.as_slice(),
                    [Some("users"), Some("users"), _, Some("openssh"), Some("authorizedKeys"), Some("keyFiles")]
                );
                let Value::List(items) = &d.value else { continue };
                if !is_key_files {
                    continue;
                }
                for (item, range) in items {
                    let Value::Path(target) = item else { continue };
                    let message = match target {
                        None => "this path points outside the repository, which the flake cannot see".to_string(),
                        Some(p) => match project.path_kind(p) {
                            Some(Some(EntryKind::File)) | None => continue,
                            Some(Some(EntryKind::Dir)) => format!("`{p}` is a directory, not a file of public keys"),
                            Some(None) => format!("`{p}` does not exist"),
                        },
                    };
                    cx.report(Diagnostic::new(&MISSING_AUTHORIZED_KEYS_FILE, Span::new(d.file.clone(), *range), message));
                }
            }
        }
    }
}
