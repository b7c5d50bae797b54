//! `legacy-let`: the undocumented `let { …; body = …; }` form, which `rec { }` says plainly.

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::expr_rewrite::{has_error, padded};
use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::scope::static_name;

crate::declare_rule! {
    /// ## What it does
    /// Reports the legacy `let { … }` expression: a recursive attribute set whose `body`
    /// attribute is the value of the whole expression.
    ///
    /// ## Why is this bad?
    /// The form is undocumented and deprecated; few readers know that `body` is special in
    /// it, and the Nix manual only describes `let … in` and `rec { }`.
    ///
    /// ## Example
    /// ```nix
    /// let {
    ///   port = 8080;
    ///   body = { services.nginx.defaultHTTPListenPort = port; };
    /// }
    /// ```
    ///
    /// ## Fix
    /// Rewrites to `(rec { port = 8080; body = …; }).body` (safe: that is what the legacy
    /// form means). Not offered when the set has no `body` attribute (evaluating it fails).
    pub static LEGACY_LET = { name: "legacy-let", group: Style, severity: Info, fixable: true };
}

pub struct LegacyLet;

impl FileRule for LegacyLet {
    fn meta(&self) -> &'static RuleMeta {
        &LEGACY_LET
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_LEGACY_LET]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(legacy) = ast::LegacyLet::cast(node.clone()) else { return };
        let Some(let_token) = legacy.let_token() else { return };
        let mut diagnostic = Diagnostic::new(
            &LEGACY_LET,
            cx.span(let_token.text_range()),
            "`let { … }` is the deprecated form of `(rec { … }).body`",
        );
        if defines_body(&legacy) && !has_error(node) {
            let start = node.text_range().start();
            let token_in_node = let_token.text_range() - start;
            let mut set = node.text().to_string();
            set.replace_range(std::ops::Range::<usize>::from(token_in_node), "rec");
            let range = node.text_range();
            let new_text = padded(&cx.file.text, range, &format!("({set}).body"));
            diagnostic = diagnostic.with_fix(Fix::safe(
                "Rewrite as `(rec { … }).body`",
                vec![Edit { span: cx.span(range), new_text }],
            ));
        }
        cx.report(diagnostic);
    }
}

/// Whether the set binds `body` (by `body = …;`, `body.x = …;` or `inherit … body;`).
fn defines_body(legacy: &ast::LegacyLet) -> bool {
    legacy.entries().any(|entry| match entry {
        ast::Entry::AttrpathValue(apv) => apv
            .attrpath()
            .and_then(|p| p.attrs().next())
            .and_then(|a| static_name(&a))
            .is_some_and(|(name, _)| name == "body"),
        ast::Entry::Inherit(inherit) => inherit
            .attrs()
            .any(|a| static_name(&a).is_some_and(|(name, _)| name == "body")),
    })
}
