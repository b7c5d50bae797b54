//! `bool-comparison`: `x == true`, `x != false` and their negations, where `x` or `!x` says
//! the same for a boolean `x`.

use rnix::ast::{self, BinOpKind};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::expr_rewrite::{comment_count, excerpt, ident_token, is_global, padded};
use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};

crate::declare_rule! {
    /// ## What it does
    /// Reports an equality test against the literal `true` or `false`: `x == true`,
    /// `x != false`, `x == false`, `x != true` (either side).
    ///
    /// ## Why is this bad?
    /// For a boolean `x` the test is `x` or `!x` with extra words, and reads as if `x` might
    /// be something else than a boolean.
    ///
    /// ## Example
    /// ```nix
    /// { config, lib, ... }:
    /// lib.mkIf (config.services.nginx.enable == true) { networking.firewall.allowedTCPPorts = [ 80 ]; }
    /// ```
    ///
    /// ## Fix
    /// Rewrites to `x` or `!x` (unsafe: when `x` is not a boolean, `x == true` is `false`
    /// while `x` is `x` itself and `!x` an error). Left alone when `true` or `false` is a
    /// name the file binds itself.
    pub static BOOL_COMPARISON = { name: "bool-comparison", group: Style, severity: Info, fixable: true };
}

pub struct BoolComparison;

impl FileRule for BoolComparison {
    fn meta(&self) -> &'static RuleMeta {
        &BOOL_COMPARISON
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_BIN_OP]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(bin) = ast::BinOp::cast(node.clone()) else { return };
        let equal = match bin.operator() {
            Some(BinOpKind::Equal) => true,
            Some(BinOpKind::NotEqual) => false,
            _ => return,
        };
        let (Some(lhs), Some(rhs)) = (bin.lhs(), bin.rhs()) else { return };
        // Either side may be the literal; `true == false` compares the right one.
        let (literal, literal_ident, other) = match (bool_literal(&lhs), bool_literal(&rhs)) {
            (_, Some((b, ident))) => (b, ident, lhs),
            (Some((b, ident)), None) => (b, ident, rhs),
            (None, None) => return,
        };
        if !is_global(&cx.names(), &literal_ident) {
            return;
        }
        // A bare `==` stands only where anything binding as tightly as its operands fits
        // (`==` cannot chain), so the operand needs no parentheses there, nor does `!x`.
        let other_text = other.syntax().text().to_string();
        let replacement = if literal == equal {
            other_text
        } else if binds_tighter_than_not(&other) {
            format!("!{other_text}")
        } else {
            format!("!({other_text})")
        };
        let literal_text = if literal { "true" } else { "false" };
        let range = node.text_range();
        let new_text = padded(&cx.file.text, range, &replacement);
        let mut diagnostic = Diagnostic::new(
            &BOOL_COMPARISON,
            cx.span(range),
            format!(
                "comparing with `{literal_text}`; `{}` says the same for a boolean",
                excerpt(&replacement)
            ),
        );
        if comment_count(node) == comment_count(other.syntax()) {
            diagnostic = diagnostic.with_fix(Fix::unsafe_(
                format!("Replace with `{}`", excerpt(&replacement)),
                vec![Edit { span: cx.span(range), new_text }],
            ));
        }
        cx.report(diagnostic);
    }
}

/// `Some((true, ident))` for the identifier `true`, `Some((false, ident))` for `false`.
fn bool_literal(expr: &ast::Expr) -> Option<(bool, ast::Ident)> {
    let ast::Expr::Ident(ident) = expr else { return None };
    match ident_token(expr)?.text() {
        "true" => Some((true, ident.clone())),
        "false" => Some((false, ident.clone())),
        _ => None,
    }
}

/// Whether `!` may be written before the expression without parentheses: forms that bind
/// more tightly than any operator (`!` and the arithmetic operators are not relied on, as
/// parsers have disagreed on them).
fn binds_tighter_than_not(expr: &ast::Expr) -> bool {
    matches!(
        expr,
        ast::Expr::Ident(_)
            | ast::Expr::Paren(_)
            | ast::Expr::Select(_)
            | ast::Expr::Apply(_)
            | ast::Expr::HasAttr(_)
            | ast::Expr::UnaryOp(_)
            | ast::Expr::Str(_)
            | ast::Expr::List(_)
            | ast::Expr::AttrSet(_)
    )
}
