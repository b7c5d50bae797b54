//! `useless-parens`: parentheses around a binding's value, a `let` body, or an expression that
//! needs none (a name, a string, a list, a set, a selection).

use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::expr_rewrite::{fits_without_parens, padded};
use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};

crate::declare_rule! {
    /// ## What it does
    /// Reports parentheses that change nothing: around the whole value of a binding
    /// (`a = (f x);`), around the whole body of a `let`, and around a name, string, list,
    /// attribute set, parenthesised expression or selection without `or` anywhere.
    ///
    /// ## Why is this bad?
    /// Readers look for the reason parentheses are there; when there is none, they are noise.
    ///
    /// ## Example
    /// ```nix
    /// { pkgs, ... }:
    /// {
    ///   environment.systemPackages = ([ (pkgs.git) ]);
    /// }
    /// ```
    ///
    /// ## Fix
    /// Removes the parentheses (safe: only where the expression parses the same without them;
    /// a space is kept where the inner text would otherwise touch a neighbour, as in `f(x)`).
    /// Not offered when a comment sits inside the parentheses but outside the expression.
    pub static USELESS_PARENS = { name: "useless-parens", group: Style, severity: Info, fixable: true };
}

pub struct UselessParens;

impl FileRule for UselessParens {
    fn meta(&self) -> &'static RuleMeta {
        &USELESS_PARENS
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_PAREN]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(paren) = ast::Paren::cast(node.clone()) else { return };
        let (Some(_), Some(inner), Some(_)) = (paren.l_paren_token(), paren.expr(), paren.r_paren_token()) else {
            return;
        };
        let whole = match node.parent().map(|p| p.kind()) {
            Some(SyntaxKind::NODE_ATTRPATH_VALUE) => Some("a binding's value"),
            Some(SyntaxKind::NODE_LET_IN) => Some("the body of a `let`"),
            _ => None,
        };
        let primitive = match &inner {
            ast::Expr::Ident(i) => i.ident_token().is_some(),
            ast::Expr::List(_) | ast::Expr::Paren(_) | ast::Expr::Str(_) | ast::Expr::AttrSet(_) => true,
            ast::Expr::Select(s) => s.or_token().is_none(),
            _ => false,
        };
        let message = match whole {
            Some(place) => format!("parentheses around {place} change nothing"),
            None if primitive && fits_without_parens(node, &inner) => {
                "parentheses around a simple expression change nothing".to_string()
            }
            None => return,
        };
        let range = node.text_range();
        let mut diagnostic = Diagnostic::new(&USELESS_PARENS, cx.span(range), message);
        // A comment outside the inner expression is trivia of the parentheses themselves.
        let comment_outside = node
            .children_with_tokens()
            .any(|e| e.kind() == SyntaxKind::TOKEN_COMMENT);
        if !comment_outside {
            let new_text = padded(&cx.file.text, range, &inner.syntax().text().to_string());
            diagnostic = diagnostic.with_fix(Fix::safe(
                "Remove the parentheses",
                vec![Edit { span: cx.span(range), new_text }],
            ));
        }
        cx.report(diagnostic);
    }
}
