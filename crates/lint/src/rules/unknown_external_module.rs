//! `unknown-external-module`: `inputs.srvos.nixosModules.x` that srvos does not export.

use super::suggest::closest;
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix, Span};
use crate::project::catalogue::known_flake;
use crate::project::ImportTarget;

crate::declare_rule! {
    /// ## What it does
    /// Reports imports of `inputs.<input>.nixosModules.<name>` when `<input>` is a flake
    /// nixpilot knows (srvos, disko, sops-nix, home-manager, nixpkgs, …) and it exports no
    /// module of that name.
    ///
    /// ## Why is this bad?
    /// Evaluation fails with `attribute '<name>' missing`. srvos in particular has no plain
    /// `hardware-hetzner-online`: the modules are `hardware-hetzner-online-amd`, `-intel`,
    /// `-arm` and `-ex101`.
    ///
    /// ## Example
    /// ```nix
    /// { inputs, ... }: { imports = [ inputs.srvos.nixosModules.hardware-hetzner-online ]; }
    /// ```
    ///
    /// ## Fix
    /// Offers the closest exported name (unsafe: pick the right hardware variant yourself).
    pub static UNKNOWN_EXTERNAL_MODULE = { name: "unknown-external-module", group: Blueprint, severity: Error, fixable: true };
}

pub struct UnknownExternalModule;

impl ProjectRule for UnknownExternalModule {
    fn meta(&self) -> &'static RuleMeta {
        &UNKNOWN_EXTERNAL_MODULE
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let Some(flake) = &project.flake else { return };
        for summary in project.modules.values() {
            for import in &summary.imports {
                let ImportTarget::External { input, class, name } = &import.target else { continue };
                if class != "nixos" {
                    continue;
                }
                let Some(known) = flake.input(input).and_then(|i| i.url.as_deref()).and_then(known_flake) else { continue };
                let Some(exported) = known.nixos_modules else { continue };
                if known.may_export(name) {
                    continue;
                }
                let names: Vec<&str> = exported.iter().map(|m| m.name).collect();
                let suggestions = closest(name, names.iter().copied());
                let span = Span::new(summary.file.clone(), import.range);
                let hint = match suggestions.as_slice() {
                    [] => format!("it exports: {}", names.join(", ")),
                    some => format!("did you mean {}?", some.iter().take(4).map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")),
                };
                let mut d = Diagnostic::new(
                    &UNKNOWN_EXTERNAL_MODULE,
                    span.clone(),
                    format!("`{}` has no NixOS module `{name}`; {hint}", known.repo),
                );
                let text = project.file(&summary.file).map(|f| f.source.text[std::ops::Range::<usize>::from(import.range)].to_string());
                if let (Some(text), Some(best)) = (text.filter(|t| t.ends_with(name.as_str())), suggestions.first()) {
                    let replaced = format!("{}{}", &text[..text.len() - name.len()], best);
                    d = d.with_fix(Fix::unsafe_(format!("Use `{best}`"), vec![Edit { span, new_text: replaced }]));
                }
                cx.report(d);
            }
        }
    }
}
