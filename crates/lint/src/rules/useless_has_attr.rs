//! `useless-has-attr`: `if x ? a then x.a else d`, which `x.a or d` says directly.

use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::expr_rewrite::{comment_count, excerpt, in_full_expression_slot, padded};
use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};

crate::declare_rule! {
    /// ## What it does
    /// Reports `if x ? a.b then x.a.b else d`: a test for an attribute, the attribute when it
    /// is there, and a default otherwise.
    ///
    /// ## Why is this bad?
    /// `x.a.b or d` does exactly that in one expression, and cannot drift when the path is
    /// edited in one place but not the other.
    ///
    /// ## Example
    /// ```nix
    /// { config, ... }:
    /// {
    ///   networking.domain = if config ? site.domain then config.site.domain else "example.org";
    /// }
    /// ```
    ///
    /// ## Fix
    /// Rewrites to `x.a.b or d` (safe: both give `d` when `x` is not a set or lacks the path,
    /// and evaluate nothing else). Unsafe when the test splits the path elsewhere
    /// (`x.a ? b`): that test fails when `x` has no `a`, where `x.a.b or d` gives `d`. Not
    /// offered when a comment would be lost.
    pub static USELESS_HAS_ATTR = { name: "useless-has-attr", group: Style, severity: Info, fixable: true };
}

pub struct UselessHasAttr;

impl FileRule for UselessHasAttr {
    fn meta(&self) -> &'static RuleMeta {
        &USELESS_HAS_ATTR
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_IF_ELSE]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(if_else) = ast::IfElse::cast(node.clone()) else { return };
        let Some(ast::Expr::HasAttr(test)) = if_else.condition() else { return };
        let Some(ast::Expr::Select(then)) = if_else.body() else { return };
        let Some(default) = if_else.else_body() else { return };
        if then.or_token().is_some() {
            return;
        }
        let (Some(tested), Some(tested_path), Some(selected), Some(selected_path)) =
            (test.expr(), test.attrpath(), then.expr(), then.attrpath())
        else {
            return;
        };
        // `x.a ? b` and `x.a.b` name the same path split at different dots.
        let (Some(tested_chain), Some(selected_chain)) =
            (path_chain(&tested, &tested_path), path_chain(&selected, &selected_path))
        else {
            return;
        };
        if tested_chain != selected_chain {
            return;
        }
        // `x.a ? b` fails when `x` has no `a`, where `x.a.b or d` gives `d`: the same split keeps
        // the meaning, another one only for code that does not fail.
        let same_split = tested.syntax().text() == selected.syntax().text();
        let then_text = then.syntax().text().to_string();
        let default_text = default.syntax().text().to_string();
        // The default of `or` is a selection-level expression.
        let default_text = match default {
            ast::Expr::Ident(_)
            | ast::Expr::Str(_)
            | ast::Expr::List(_)
            | ast::Expr::AttrSet(_)
            | ast::Expr::Paren(_)
            | ast::Expr::Select(_)
            | ast::Expr::Literal(_)
            | ast::Expr::PathAbs(_)
            | ast::Expr::PathRel(_)
            | ast::Expr::PathHome(_)
            | ast::Expr::PathSearch(_) => default_text,
            _ => format!("({default_text})"),
        };
        let replacement = format!("{then_text} or {default_text}");
        let range = node.text_range();
        let mut diagnostic = Diagnostic::new(
            &USELESS_HAS_ATTR,
            cx.span(range),
            format!("this `if` is `{}`", excerpt(&replacement)),
        );
        if comment_count(node) == comment_count(then.syntax()) + comment_count(default.syntax()) {
            let replacement = if in_full_expression_slot(node) { replacement } else { format!("({replacement})") };
            let new_text = padded(&cx.file.text, range, &replacement);
            let edits = vec![Edit { span: cx.span(range), new_text }];
            let title = "Replace with `… or …`";
            diagnostic = diagnostic.with_fix(if same_split {
                Fix::safe(title, edits)
            } else {
                Fix::unsafe_(title, edits)
            });
        }
        cx.report(diagnostic);
    }
}

/// The texts of a selection's subject and attributes, with selections (without `or`) in the
/// subject taken apart: `x.a.b` and `(x.a).b` both give `["x", "a", "b"]`.
fn path_chain(subject: &ast::Expr, path: &ast::Attrpath) -> Option<Vec<String>> {
    let mut chain = match subject {
        ast::Expr::Select(inner) if inner.or_token().is_none() => path_chain(&inner.expr()?, &inner.attrpath()?)?,
        other => vec![other.syntax().text().to_string()],
    };
    chain.extend(path.attrs().map(|a| a.syntax().text().to_string()));
    Some(chain)
}
