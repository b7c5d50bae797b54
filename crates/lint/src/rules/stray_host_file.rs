//! `stray-host-file`: a `hosts/<x>.nix` file, which blueprint takes for a broken host.

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Span};

crate::declare_rule! {
    /// ## What it does
    /// Reports Nix files directly inside `hosts/` (e.g. `hosts/common.nix`).
    ///
    /// ## Why is this bad?
    /// blueprint treats every entry of `hosts/` as a host: `hosts/common.nix` becomes a host
    /// named `common` without a configuration, and evaluation of the whole flake throws
    /// `host 'common' does not have a configuration`.
    ///
    /// ## Example
    /// ```text
    /// hosts/common.nix           # shared settings imported by hosts/*/configuration.nix
    /// ```
    ///
    /// ## Fix
    /// Move shared modules to `modules/nixos/<name>.nix` and import them as
    /// `flake.nixosModules.<name>`, or make the file a host at `hosts/<x>/configuration.nix`.
    pub static STRAY_HOST_FILE = { name: "stray-host-file", group: Blueprint, severity: Error, fixable: false };
}

pub struct StrayHostFile;

impl ProjectRule for StrayHostFile {
    fn meta(&self) -> &'static RuleMeta {
        &STRAY_HOST_FILE
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        for file in &cx.project.layout.stray_host_files {
            let stem = file.rsplit('/').next().unwrap_or(file).trim_end_matches(".nix").to_string();
            let modules_dir = if cx.project.layout.root.is_empty() {
                "modules/nixos".to_string()
            } else {
                format!("{}/modules/nixos", cx.project.layout.root)
            };
            cx.report(
                Diagnostic::new(
                    &STRAY_HOST_FILE,
                    Span::new(file.clone(), rowan::TextRange::empty(0.into())),
                    format!("blueprint reads `{file}` as a host named `{stem}` without a configuration and fails to evaluate"),
                )
                .with_fix(Fix {
                    title: format!("Move it to `{modules_dir}/{stem}.nix` and import `flake.nixosModules.{stem}`"),
                    applicability: Applicability::DisplayOnly,
                    edits: Vec::new(),
                }),
            );
        }
    }
}
