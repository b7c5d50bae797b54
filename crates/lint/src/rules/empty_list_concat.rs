//! `empty-list-concat`: `[ ] ++ xs` or `xs ++ [ ]`, a concatenation that adds nothing.

use rnix::ast::{self, BinOpKind};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::expr_rewrite::{comment_count, padded};
use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};

crate::declare_rule! {
    /// ## What it does
    /// Reports `++` with an empty list literal on either side.
    ///
    /// ## Why is this bad?
    /// It adds nothing; usually a leftover of a list that was emptied.
    ///
    /// ## Example
    /// ```nix
    /// { pkgs, ... }:
    /// { environment.systemPackages = [ ] ++ [ pkgs.git ]; }
    /// ```
    ///
    /// ## Fix
    /// Keeps the other side. Safe when it is a list literal; unsafe otherwise, since `[ ] ++ x`
    /// fails when `x` is not a list and `x` alone does not.
    pub static EMPTY_LIST_CONCAT = { name: "empty-list-concat", group: Style, severity: Info, fixable: true };
}

pub struct EmptyListConcat;

impl FileRule for EmptyListConcat {
    fn meta(&self) -> &'static RuleMeta {
        &EMPTY_LIST_CONCAT
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_BIN_OP]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(bin) = ast::BinOp::cast(node.clone()) else { return };
        if bin.operator() != Some(BinOpKind::Concat) {
            return;
        }
        let (Some(lhs), Some(rhs)) = (bin.lhs(), bin.rhs()) else { return };
        let (empty, kept) = if is_empty_list(&lhs) {
            (lhs, rhs)
        } else if is_empty_list(&rhs) {
            (rhs, lhs)
        } else {
            return;
        };
        let range = node.text_range();
        let mut diagnostic = Diagnostic::new(
            &EMPTY_LIST_CONCAT,
            cx.span(empty.syntax().text_range()),
            "concatenating the empty list adds nothing",
        );
        if comment_count(node) == comment_count(kept.syntax()) {
            // The kept operand bound at least as tightly as `++` where `++` stood, so it fits.
            let new_text = padded(&cx.file.text, range, &kept.syntax().text().to_string());
            let edits = vec![Edit { span: cx.span(range), new_text }];
            let title = "Keep only the other side";
            diagnostic = diagnostic.with_fix(if matches!(kept, ast::Expr::List(_)) {
                Fix::safe(title, edits)
            } else {
                Fix::unsafe_(title, edits)
            });
        }
        cx.report(diagnostic);
    }
}

fn is_empty_list(expr: &ast::Expr) -> bool {
    matches!(expr, ast::Expr::List(list) if list.items().next().is_none() && list.r_brack_token().is_some())
}
