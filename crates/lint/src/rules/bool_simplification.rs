//! `bool-simplification`: `!(a == b)`, which `a != b` says directly.

use rnix::ast::{self, BinOpKind, UnaryOpKind};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::expr_rewrite::{comment_count, in_full_expression_slot, padded};
use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};

crate::declare_rule! {
    /// ## What it does
    /// Reports the negation of an equality test in parentheses: `!(a == b)`.
    ///
    /// ## Why is this bad?
    /// Nix has `!=`, which is defined as exactly that negation and reads in one go.
    ///
    /// ## Example
    /// ```nix
    /// { config, lib, ... }:
    /// { services.nginx.enable = !(config.networking.hostName == "builder"); }
    /// ```
    ///
    /// ## Fix
    /// Rewrites to `a != b` (safe: Nix evaluates `a != b` as `!(a == b)`), in parentheses
    /// unless it stands alone or beside `&&`, `||` or `->`.
    pub static BOOL_SIMPLIFICATION = { name: "bool-simplification", group: Style, severity: Info, fixable: true };
}

pub struct BoolSimplification;

impl FileRule for BoolSimplification {
    fn meta(&self) -> &'static RuleMeta {
        &BOOL_SIMPLIFICATION
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_UNARY_OP]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(unary) = ast::UnaryOp::cast(node.clone()) else { return };
        if unary.operator() != Some(UnaryOpKind::Invert) {
            return;
        }
        let Some(ast::Expr::Paren(paren)) = unary.expr() else { return };
        let Some(ast::Expr::BinOp(equality)) = paren.expr() else { return };
        if equality.operator() != Some(BinOpKind::Equal) || paren.r_paren_token().is_none() {
            return;
        }
        let (Some(_), Some(_)) = (equality.lhs(), equality.rhs()) else { return };
        let range = node.text_range();
        let mut diagnostic = Diagnostic::new(&BOOL_SIMPLIFICATION, cx.span(range), "`!(a == b)` is `a != b`");
        if comment_count(node) == comment_count(equality.syntax()) {
            let operator = equality
                .syntax()
                .children_with_tokens()
                .find(|e| e.kind() == SyntaxKind::TOKEN_EQUAL)
                .map(|e| e.text_range());
            // Keep the operands and the spacing around the operator as written.
            let inner_start = equality.syntax().text_range().start();
            let mut text = equality.syntax().text().to_string();
            if let Some(op) = operator {
                text.replace_range(std::ops::Range::<usize>::from(op - inner_start), "!=");
                let replacement = if loose_slot(node) { text } else { format!("({text})") };
                let new_text = padded(&cx.file.text, range, &replacement);
                diagnostic = diagnostic.with_fix(Fix::safe(
                    "Replace with `!=`",
                    vec![Edit { span: cx.span(range), new_text }],
                ));
            }
        }
        cx.report(diagnostic);
    }
}

/// Whether an equality may stand bare where `node` is: alone, or as an operand of `&&`, `||`
/// or `->`, which bind more loosely.
fn loose_slot(node: &SyntaxNode) -> bool {
    in_full_expression_slot(node)
        || node
            .parent()
            .and_then(ast::BinOp::cast)
            .and_then(|p| p.operator())
            .is_some_and(|op| matches!(op, BinOpKind::And | BinOpKind::Or | BinOpKind::Implication))
}
