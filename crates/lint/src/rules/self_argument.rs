//! `self-argument`: a blueprint module that takes `self`, which blueprint renamed `flake`.

use rnix::SyntaxKind;

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix, Span};

crate::declare_rule! {
    /// ## What it does
    /// Reports host and module files (under `hosts/` and `modules/`) whose argument pattern
    /// asks for `self`.
    ///
    /// ## Why is this bad?
    /// blueprint passes the flake as `flake`; asking for `self` evaluates
    /// `throw "self was renamed to flake"` as soon as the module uses it.
    ///
    /// ## Example
    /// ```nix
    /// { self, pkgs, ... }:
    /// { imports = [ self.nixosModules.server ]; }
    /// ```
    ///
    /// ## Fix
    /// Renames the argument and every use of it to `flake` (unsafe: review that no inner
    /// binding is called `self` or `flake`).
    pub static SELF_ARGUMENT = { name: "self-argument", group: Blueprint, severity: Error, fixable: true };
}

pub struct SelfArgument;

impl ProjectRule for SelfArgument {
    fn meta(&self) -> &'static RuleMeta {
        &SELF_ARGUMENT
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        for summary in project.modules.values() {
            let Some((formals, _)) = &summary.formals else { continue };
            let Some((_, range)) = formals.iter().find(|(n, _)| n == "self") else { continue };
            let has_flake = formals.iter().any(|(n, _)| n == "flake");
            let mut edits = vec![Edit { span: Span::new(summary.file.clone(), *range), new_text: "flake".into() }];
            if let Some(parsed) = project.file(&summary.file) {
                for node in parsed.syntax().descendants() {
                    let is_reference = node.kind() == SyntaxKind::NODE_IDENT
                        && node.parent().is_some_and(|p| {
                            !matches!(p.kind(), SyntaxKind::NODE_ATTRPATH | SyntaxKind::NODE_PAT_ENTRY)
                        });
                    if is_reference && node.text() == "self" {
                        edits.push(Edit { span: Span::new(summary.file.clone(), node.text_range()), new_text: "flake".into() });
                    }
                }
            }
            let mut d = Diagnostic::new(
                &SELF_ARGUMENT,
                Span::new(summary.file.clone(), *range),
                "blueprint passes the flake as `flake`; `self` evaluates to `throw \"self was renamed to flake\"`",
            );
            if !has_flake {
                d = d.with_fix(Fix::unsafe_("Rename `self` to `flake`", edits));
            }
            cx.report(d);
        }
    }
}
