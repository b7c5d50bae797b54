//! `missing-sops-file`: `sops.defaultSopsFile` or a `sopsFile` that does not exist.

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Span};
use crate::project::{EntryKind, Value};

crate::declare_rule! {
    /// ## What it does
    /// Reports `sops.defaultSopsFile` and `sops.secrets.<name>.sopsFile` paths that point at
    /// no file of the repository.
    ///
    /// ## Why is this bad?
    /// sops-nix validates the file at evaluation time: "Cannot find path '…' set in
    /// sops.secrets.<name>.sopsFile". Remember that a flake only sees files git tracks.
    ///
    /// ## Example
    /// ```nix
    /// { sops.defaultSopsFile = ./secrets.yaml; }   # never created
    /// ```
    ///
    /// ## Fix
    /// Create it with `nixpilot secrets set FILE KEY --generate 32` (it follows `.sops.yaml`),
    /// `git add` it, or correct the path.
    pub static MISSING_SOPS_FILE = { name: "missing-sops-file", group: Secrets, severity: Error, fixable: false };
}

pub struct MissingSopsFile;

impl ProjectRule for MissingSopsFile {
    fn meta(&self) -> &'static RuleMeta {
        &MISSING_SOPS_FILE
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        for summary in project.modules.values() {
            for d in &summary.definitions {
                let p: Vec<Option<&str>> = d.path.iter().map(|s| s.as_deref()).collect();
                let option = match p.as_slice() {
                    [Some("sops"), Some("defaultSopsFile")] => "sops.defaultSopsFile".to_string(),
                    [Some("sops"), Some("secrets"), Some(name), Some("sopsFile")] => format!("sops.secrets.{name}.sopsFile"),
                    _ => continue,
                };
                let message = match &d.value {
                    Value::Path(None) => format!("`{option}` points outside the repository, which the flake cannot see"),
                    Value::Path(Some(path)) => match project.path_kind(path) {
                        Some(None) => format!("`{option}` is `{path}`, which does not exist"),
                        Some(Some(EntryKind::Dir)) => format!("`{option}` is `{path}`, a directory"),
                        _ => continue,
                    },
                    _ => continue,
                };
                cx.report(Diagnostic::new(&MISSING_SOPS_FILE, Span::new(d.file.clone(), d.value_range), message));
            }
        }
    }
}
