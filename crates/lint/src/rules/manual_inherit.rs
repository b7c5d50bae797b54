//! `manual-inherit`: `x = x;` or `x = src.x;` spelled out where `inherit` says it directly.

use rnix::ast;
use rowan::ast::AstNode;
use rnix::{SyntaxKind, SyntaxNode};

use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};

crate::declare_rule! {
    /// ## What it does
    /// Reports attribute definitions that copy a variable or an attribute of the same name:
    /// `x = x;` in an attribute set, and `x = src.x;` in an attribute set or `let`.
    ///
    /// ## Why is this bad?
    /// `inherit` states the intent (this is the same value, under the same name) and cannot
    /// drift when one side is renamed. In a `let` or `rec` set, `x = x;` is not a copy at all
    /// but an infinite recursion, which this rule leaves alone.
    ///
    /// ## Example
    /// ```nix
    /// { pkgs, lib, ... }:
    /// {
    ///   _module.args = { pkgs = pkgs; };
    ///   system = lib.system;
    /// }
    /// ```
    ///
    /// ## Fix
    /// Rewrites to `inherit pkgs;` and `inherit (lib) system;` (safe: same meaning).
    pub static MANUAL_INHERIT = { name: "manual-inherit", group: Style, severity: Info, fixable: true };
}

pub struct ManualInherit;

impl FileRule for ManualInherit {
    fn meta(&self) -> &'static RuleMeta {
        &MANUAL_INHERIT
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_ATTRPATH_VALUE]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(apv) = ast::AttrpathValue::cast(node.clone()) else { return };
        let Some(container) = node.parent() else { return };
        let recursive_scope = match container.kind() {
            SyntaxKind::NODE_ATTR_SET => is_rec(&container),
            SyntaxKind::NODE_LET_IN => true,
            _ => return,
        };
        let Some(attrpath) = apv.attrpath() else { return };
        let mut attrs = attrpath.attrs();
        let (Some(ast::Attr::Ident(key)), None) = (attrs.next(), attrs.next()) else { return };
        let Some(name) = key.ident_token().map(|t| t.text().to_string()) else { return };
        let Some(value) = apv.value() else { return };

        let replacement = match &value {
            // `x = x;` only copies in a non-recursive set; in `let`/`rec` it refers to itself.
            ast::Expr::Ident(ident) if !recursive_scope && ident.ident_token().is_some_and(|t| t.text() == name) => {
                format!("inherit {name};")
            }
            ast::Expr::Select(select) => {
                if select.or_token().is_some() {
                    return;
                }
                let Some(path) = select.attrpath() else { return };
                let path_attrs: Vec<ast::Attr> = path.attrs().collect();
                let Some(ast::Attr::Ident(last)) = path_attrs.last() else { return };
                if last.ident_token().is_none_or(|t| t.text() != name) {
                    return;
                }
                let Some(source) = select.expr() else { return };
                // Keep every attribute but the last as the `inherit (…)` source.
                let source_text = if path_attrs.len() == 1 {
                    source.syntax().text().to_string()
                } else {
                    let end = path_attrs[path_attrs.len() - 2].syntax().text_range().end();
                    let start = select.syntax().text_range().start();
                    let rel = rowan::TextRange::new(start, end) - start;
                    select.syntax().text().slice(rel).to_string()
                };
                if !is_simple_source(&source) {
                    return;
                }
                format!("inherit ({source_text}) {name};")
            }
            _ => return,
        };
        if name == "or" {
            return;
        }
        let diagnostic = Diagnostic::new(
            &MANUAL_INHERIT,
            cx.span(node.text_range()),
            format!("`{name}` is copied by hand; `{replacement}` says the same"),
        )
        .with_fix(Fix::safe(
            format!("Replace with `{replacement}`"),
            vec![Edit { span: cx.span(node.text_range()), new_text: replacement }],
        ));
        cx.report(diagnostic);
    }
}

/// Whether an attribute set is `rec`. Only the tokens before `{` are looked at: scanning all
/// children for every entry would make large sets quadratic.
fn is_rec(set: &SyntaxNode) -> bool {
    set.children_with_tokens()
        .map(|e| e.kind())
        .take_while(|k| *k != SyntaxKind::TOKEN_L_BRACE)
        .any(|k| k == SyntaxKind::TOKEN_REC)
}

/// Only variables and attribute selections read well (and stay cheap) inside `inherit (…)`.
fn is_simple_source(expr: &ast::Expr) -> bool {
    match expr {
        ast::Expr::Ident(_) => true,
        ast::Expr::Select(s) => s.or_token().is_none() && s.expr().is_some_and(|e| is_simple_source(&e)),
        _ => false,
    }
}
