//! `empty-let-in`: a `let … in` that binds nothing.

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::expr_rewrite::{comment_count, has_error, padded, text_for_slot};
use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};

crate::declare_rule! {
    /// ## What it does
    /// Reports `let in body` with no binding between `let` and `in`.
    ///
    /// ## Why is this bad?
    /// It is the body with two more words, usually what is left after the bindings were
    /// removed or moved.
    ///
    /// ## Example
    /// ```nix
    /// let
    /// in
    /// { networking.hostName = "web"; }
    /// ```
    ///
    /// ## Fix
    /// Replaces the `let … in` by its body (safe: a `let` without bindings binds nothing).
    /// Not offered when a comment sits between `let` and `in`, which the fix would drop.
    pub static EMPTY_LET_IN = { name: "empty-let-in", group: Style, severity: Info, fixable: true };
}

pub struct EmptyLetIn;

impl FileRule for EmptyLetIn {
    fn meta(&self) -> &'static RuleMeta {
        &EMPTY_LET_IN
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_LET_IN]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(let_in) = ast::LetIn::cast(node.clone()) else { return };
        if let_in.entries().next().is_some() || let_in.in_token().is_none() {
            return;
        }
        let Some(body) = let_in.body() else { return };
        if has_error(node) {
            return;
        }
        let let_range = let_in.let_token().map_or(node.text_range(), |t| t.text_range());
        let mut diagnostic = Diagnostic::new(&EMPTY_LET_IN, cx.span(let_range), "this `let … in` binds nothing");
        // A comment between `let` and `in` would be lost with them.
        if comment_count(node) == comment_count(body.syntax()) {
            let range = node.text_range();
            let new_text = padded(&cx.file.text, range, &text_for_slot(node, &body));
            diagnostic = diagnostic.with_fix(Fix::safe(
                "Replace the `let … in` by its body",
                vec![Edit { span: cx.span(range), new_text }],
            ));
        }
        cx.report(diagnostic);
    }
}
