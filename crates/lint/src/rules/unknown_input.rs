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
            // `inputs` must mean the flake's inputs: a file that binds the name again
            // (`let inputs = privateFlake.inputs // publicInputs;`, an inner `inputs:` lambda)
            // may mean anything by it.
            let outputs_name_is_inputs = flake.outputs_inputs_name.as_deref() == Some("inputs");
            if (&**path == "flake.nix" && !outputs_name_is_inputs) || binds_inputs_more_than_once(&parsed.syntax()) {
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

/// Whether `inputs` is bound more than once in the file (let, inherit, lambda arguments).
fn binds_inputs_more_than_once(root: &rnix::SyntaxNode) -> bool {
    let mut bindings = 0;
    for node in root.descendants() {
        let binds = match node.kind() {
            SyntaxKind::NODE_IDENT_PARAM | SyntaxKind::NODE_PAT_ENTRY | SyntaxKind::NODE_PAT_BIND => {
                node.children().next().is_some_and(|i| i.text() == "inputs")
            }
            SyntaxKind::NODE_ATTRPATH_VALUE | SyntaxKind::NODE_INHERIT => {
                let in_let = node.parent().is_some_and(|p| p.kind() == SyntaxKind::NODE_LET_IN);
                let first = node
                    .children()
                    .find(|c| matches!(c.kind(), SyntaxKind::NODE_ATTRPATH | SyntaxKind::NODE_IDENT))
                    .and_then(|c| if c.kind() == SyntaxKind::NODE_ATTRPATH { c.first_child() } else { Some(c) });
                in_let && first.is_some_and(|i| i.text() == "inputs")
                    || node.kind() == SyntaxKind::NODE_INHERIT
                        && in_let
                        && node.children().any(|c| c.kind() == SyntaxKind::NODE_IDENT && c.text() == "inputs")
            }
            _ => false,
        };
        if binds {
            bindings += 1;
        }
    }
    bindings > 1
}
