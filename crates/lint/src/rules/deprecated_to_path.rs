//! `deprecated-to-path`: `builtins.toPath`, deprecated, and a string rather than a path.

use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::expr_rewrite::{ident_token, is_global};
use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::Diagnostic;
use crate::scope::Target;

crate::declare_rule! {
    /// ## What it does
    /// Reports uses of `builtins.toPath`, and of a bare `toPath` that only a `with` (such as
    /// `with builtins;`) can provide.
    ///
    /// ## Why is this bad?
    /// `toPath` is deprecated. Despite its name it returns a string, not a path, so code
    /// that relies on it to get a path (copied to the store, resolved relative to the file)
    /// silently gets neither.
    ///
    /// ## Example
    /// ```nix
    /// { config, ... }:
    /// { sops.defaultSopsFile = builtins.toPath "${config.users.users.root.home}/secrets.yaml"; }
    /// ```
    ///
    /// ## Fix
    /// None offered: the replacement depends on what is meant. For an absolute path,
    /// `/. + "/some/path"`; relative to the file, `./. + "/some/path"`; for a string,
    /// the string itself.
    pub static DEPRECATED_TO_PATH = { name: "deprecated-to-path", group: Correctness, severity: Warning, fixable: false };
}

pub struct DeprecatedToPath;

impl FileRule for DeprecatedToPath {
    fn meta(&self) -> &'static RuleMeta {
        &DEPRECATED_TO_PATH
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_SELECT, SyntaxKind::NODE_APPLY]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let found = match node.kind() {
            SyntaxKind::NODE_SELECT => ast::Select::cast(node.clone()).is_some_and(|s| is_builtins_to_path(&s, cx)),
            _ => ast::Apply::cast(node.clone())
                .and_then(|a| a.lambda())
                .is_some_and(|f| is_bare_to_path(&f, cx)),
        };
        if !found {
            return;
        }
        let range = match node.kind() {
            SyntaxKind::NODE_SELECT => node.text_range(),
            _ => node.first_child().map_or(node.text_range(), |f| f.text_range()),
        };
        cx.report(Diagnostic::new(
            &DEPRECATED_TO_PATH,
            cx.span(range),
            "`toPath` is deprecated and returns a string, not a path",
        ));
    }
}

/// `builtins.toPath`, with `builtins` not bound by the file.
fn is_builtins_to_path(select: &ast::Select, cx: &FileContext<'_>) -> bool {
    if select.or_token().is_some() {
        return false;
    }
    let Some(ast::Expr::Ident(subject)) = select.expr() else { return false };
    if subject.ident_token().is_none_or(|t| t.text() != "builtins") {
        return false;
    }
    let Some(path) = select.attrpath() else { return false };
    let mut attrs = path.attrs();
    let (Some(ast::Attr::Ident(attr)), None) = (attrs.next(), attrs.next()) else { return false };
    attr.ident_token().is_some_and(|t| t.text() == "toPath") && is_global(&cx.names(), &subject)
}

/// `toPath` applied, where only a `with` can provide the name.
fn is_bare_to_path(function: &ast::Expr, cx: &FileContext<'_>) -> bool {
    if ident_token(function).is_none_or(|t| t.text() != "toPath") {
        return false;
    }
    let names = cx.names();
    names.reference_at(function.syntax().text_range()).is_some_and(|r| r.target == Target::With)
}
