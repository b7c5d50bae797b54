//! `unknown-flake-module`: `flake.nixosModules.x` with no `modules/nixos/x` behind it.

use super::suggest::closest;
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix, Span};
use crate::project::ImportTarget;

crate::declare_rule! {
    /// ## What it does
    /// Reports imports of `flake.nixosModules.<name>` (or `flake.modules.<class>.<name>`,
    /// `inputs.self.nixosModules.<name>`) when blueprint has no `modules/<class>/<name>.nix`
    /// or `modules/<class>/<name>/default.nix`.
    ///
    /// ## Why is this bad?
    /// Evaluation fails with `attribute '<name>' missing`, usually after a rename or a typo.
    ///
    /// ## Example
    /// ```nix
    /// { flake, ... }: { imports = [ flake.nixosModules.sever ]; }
    /// ```
    ///
    /// ## Fix
    /// Offers the closest existing module name (unsafe: check it is the one you meant).
    pub static UNKNOWN_FLAKE_MODULE = { name: "unknown-flake-module", group: Blueprint, severity: Error, fixable: true };
}

pub struct UnknownFlakeModule;

impl ProjectRule for UnknownFlakeModule {
    fn meta(&self) -> &'static RuleMeta {
        &UNKNOWN_FLAKE_MODULE
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        for summary in project.modules.values() {
            for import in &summary.imports {
                let ImportTarget::FlakeModule { class, name, file: None } = &import.target else { continue };
                let existing = project.layout.modules.get(class);
                let names = existing.map(|m| m.keys().map(String::as_str).collect::<Vec<_>>()).unwrap_or_default();
                let dir = if project.layout.root.is_empty() { "modules".to_string() } else { format!("{}/modules", project.layout.root) };
                let span = Span::new(summary.file.clone(), import.range);
                let mut d = Diagnostic::new(
                    &UNKNOWN_FLAKE_MODULE,
                    span.clone(),
                    format!("there is no `{dir}/{class}/{name}.nix` or `{dir}/{class}/{name}/default.nix`, so this module does not exist"),
                );
                if let Some(best) = closest(name, names.iter().copied()).first() {
                    let text = project.file(&summary.file).map(|f| f.source.text[std::ops::Range::<usize>::from(import.range)].to_string());
                    if let Some(text) = text.filter(|t| t.ends_with(name.as_str())) {
                        let replaced = format!("{}{}", &text[..text.len() - name.len()], best);
                        d = d.with_fix(Fix::unsafe_(format!("Use `{best}`"), vec![Edit { span, new_text: replaced }]));
                    }
                }
                cx.report(d);
            }
        }
    }
}
