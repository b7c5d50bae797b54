//! `empty-pattern`: `{ ... }: body`, a set pattern that names nothing, where `_: body` says
//! that the argument is not used.

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::expr_rewrite::padded;
use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::scope::static_name;

crate::declare_rule! {
    /// ## What it does
    /// Reports a function whose argument is a set pattern with no formal and no `@` name.
    /// It is written `{ ... }: body` or `{ }: body`. Two kinds of function are left alone, because
    /// there the pattern tells the reader "this is a module" or "called with a set": the
    /// function that is a file's whole expression, and a function whose body is a set with
    /// `imports` (a NixOS module).
    ///
    /// ## Why is this bad?
    /// The pattern looks as if it took named arguments; `_: body` says that the argument is
    /// not used.
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   nixosConfigurations.web = nixosSystem {
    ///     modules = [ ({ ... }: { networking.hostName = "web"; }) ];
    ///   };
    /// }
    /// ```
    ///
    /// ## Fix
    /// Replaces the pattern by `_` (unsafe: `{ ... }:` fails when called with something
    /// other than a set, and `{ }:` also when the set has attributes; `_:` accepts anything).
    pub static EMPTY_PATTERN = { name: "empty-pattern", group: Style, severity: Info, fixable: true };
}

pub struct EmptyPattern;

impl FileRule for EmptyPattern {
    fn meta(&self) -> &'static RuleMeta {
        &EMPTY_PATTERN
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_PATTERN]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(pattern) = ast::Pattern::cast(node.clone()) else { return };
        if pattern.pat_entries().next().is_some() || pattern.pat_bind().is_some() {
            return;
        }
        let Some(lambda) = node.parent().and_then(ast::Lambda::cast) else { return };
        let is_file_expression = lambda.syntax().parent().is_none_or(|p| p.kind() == SyntaxKind::NODE_ROOT);
        if is_file_expression || lambda.body().is_some_and(|b| is_module_with_imports(&b)) {
            return;
        }
        if node
            .descendants_with_tokens()
            .any(|e| matches!(e.kind(), SyntaxKind::TOKEN_COMMENT | SyntaxKind::NODE_ERROR | SyntaxKind::TOKEN_ERROR))
        {
            return;
        }
        let range = node.text_range();
        let new_text = padded(&cx.file.text, range, "_");
        let diagnostic = Diagnostic::new(
            &EMPTY_PATTERN,
            cx.span(range),
            "this pattern names no argument; `_` says the argument is unused",
        )
        .with_fix(Fix::unsafe_(
            "Replace the pattern by `_`",
            vec![Edit { span: cx.span(range), new_text }],
        ));
        cx.report(diagnostic);
    }
}

/// Whether an expression is a set with an `imports` attribute.
fn is_module_with_imports(body: &ast::Expr) -> bool {
    let ast::Expr::AttrSet(set) = body else { return false };
    set.entries().any(|entry| match entry {
        ast::Entry::AttrpathValue(apv) => apv
            .attrpath()
            .and_then(|p| p.attrs().next())
            .and_then(|a| static_name(&a))
            .is_some_and(|(name, _)| name == "imports"),
        ast::Entry::Inherit(inherit) => inherit
            .attrs()
            .any(|a| static_name(&a).is_some_and(|(name, _)| name == "imports")),
    })
}
