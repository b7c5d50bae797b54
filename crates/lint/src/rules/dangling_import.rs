//! `dangling-import`: an `imports` path that points at nothing.

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Span};
use crate::project::ImportTarget;

crate::declare_rule! {
    /// ## What it does
    /// Reports entries of `imports` that are paths (`./disko.nix`, `../../modules/x`,
    /// `"${flake}/modules/x.nix"`) to files that do not exist, or to directories without a
    /// `default.nix`.
    ///
    /// ## Why is this bad?
    /// Evaluation fails with `path '…' does not exist`. Remember that a flake only sees files
    /// git tracks: a new file must be `git add`ed too.
    ///
    /// ## Example
    /// ```nix
    /// { imports = [ ./hardware-configuration.nix ]; }   # file never generated
    /// ```
    ///
    /// ## Fix
    /// Create the file, or correct the path. There is no automatic fix.
    pub static DANGLING_IMPORT = { name: "dangling-import", group: Blueprint, severity: Error, fixable: false };
}

pub struct DanglingImport;

impl ProjectRule for DanglingImport {
    fn meta(&self) -> &'static RuleMeta {
        &DANGLING_IMPORT
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        for summary in cx.project.modules.values() {
            for import in &summary.imports {
                let ImportTarget::Missing(path) = &import.target else { continue };
                let message = match path.strip_suffix("/default.nix") {
                    Some(dir) => format!("`{dir}` is a directory without `default.nix`, so it cannot be imported"),
                    None => format!("`{path}` does not exist"),
                };
                cx.report(Diagnostic::new(&DANGLING_IMPORT, Span::new(summary.file.clone(), import.range), message));
            }
        }
    }
}
