//! `unknown-input`: `inputs.x` where `x` is not an input of the flake.

use rnix::ast;
use rnix::SyntaxKind;
use rowan::ast::AstNode;

use super::suggest::closest;
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix, Span};
use crate::project::nix::attr_name;

crate::declare_rule! {
    /// ## What it does
    /// Reports `inputs.<name>` in `flake.nix` and in blueprint modules (files that take
    /// `inputs` as an argument) when the flake declares no input `<name>`.
    ///
    /// ## Why is this bad?
    /// Evaluation fails with `attribute '<name>' missing` — often a typo (`sops` for
    /// `sops-nix`) or an input that was removed from `flake.nix`.
    ///
    /// ## Example
    /// ```nix
    /// { inputs, ... }: { imports = [ inputs.sops.nixosModules.sops ]; }
    /// ```
    ///
    /// ## Fix
    /// Offers the closest declared input (unsafe).
    pub static UNKNOWN_INPUT = { name: "unknown-input", group: Blueprint, severity: Error, fixable: true };
}

pub struct UnknownInput;

impl ProjectRule for UnknownInput {
    fn meta(&self) -> &'static RuleMeta {
        &UNKNOWN_INPUT
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let Some(flake) = &project.flake else { return };
        if flake.unknown || flake.inputs.is_empty() {
            return;
        }
        let declared: Vec<&str> = flake.inputs.iter().map(|i| i.name.as_str()).collect();
        for (path, parsed) in &project.files {
            // Only where `inputs` is the flake's inputs: flake.nix and modules taking `inputs`.
            let takes_inputs = project
                .modules
                .get(path)
                .and_then(|m| m.formals.as_ref())
                .is_some_and(|(f, _)| f.iter().any(|(n, _)| n == "inputs"));
            if &**path != "flake.nix" && !takes_inputs {
                continue;
            }
            for node in parsed.syntax().descendants() {
                if node.kind() != SyntaxKind::NODE_SELECT {
                    continue;
                }
                let Some(select) = ast::Select::cast(node) else { continue };
                let Some(ast::Expr::Ident(base)) = select.expr() else { continue };
                if base.ident_token().is_none_or(|t| t.text() != "inputs") {
                    continue;
                }
                let Some(first) = select.attrpath().and_then(|p| p.attrs().next()) else { continue };
                let Some(name) = attr_name(&first) else { continue };
                if name == "self" || declared.contains(&name.as_str()) || select.or_token().is_some() {
                    continue;
                }
                let span = Span::new(path.clone(), first.syntax().text_range());
                let mut d = Diagnostic::new(&UNKNOWN_INPUT, span.clone(), format!("the flake has no input `{name}`"));
                if let Some(best) = closest(&name, declared.iter().copied()).first() {
                    d.message.push_str(&format!("; did you mean `{best}`?"));
                    d = d.with_fix(Fix::unsafe_(format!("Use `{best}`"), vec![Edit { span, new_text: best.to_string() }]));
                } else {
                    d.message.push_str(&format!(" (declared: {})", declared.join(", ")));
                }
                cx.report(d);
            }
        }
    }
}
