//! `redundant-pattern-bind`: `args@{ ... }: body`, a pattern that only gives the argument a
//! name, which `args: body` does.

use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::expr_rewrite::{comment_count, padded};
use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};

crate::declare_rule! {
    /// ## What it does
    /// Reports a function argument that is a set pattern with no formal, only `...`, and an
    /// `@` name. It is written `args@{ ... }` or `{ ... }@args`.
    ///
    /// ## Why is this bad?
    /// The pattern adds nothing but a check that the argument is a set; `args:` names the
    /// argument directly.
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   mkHost = args@{ ... }: import ./host.nix args;
    /// }
    /// ```
    ///
    /// ## Fix
    /// Replaces the pattern by the name (unsafe: `args@{ ... }:` fails when called with
    /// something other than a set, `args:` accepts anything).
    pub static REDUNDANT_PATTERN_BIND = { name: "redundant-pattern-bind", group: Style, severity: Info, fixable: true };
}

pub struct RedundantPatternBind;

impl FileRule for RedundantPatternBind {
    fn meta(&self) -> &'static RuleMeta {
        &REDUNDANT_PATTERN_BIND
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_PATTERN]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(pattern) = ast::Pattern::cast(node.clone()) else { return };
        if pattern.pat_entries().next().is_some() || pattern.ellipsis_token().is_none() {
            return;
        }
        let Some(name) = pattern
            .pat_bind()
            .and_then(|b| b.ident())
            .and_then(|i| i.ident_token())
            .map(|t| t.text().to_string())
        else {
            return;
        };
        let range = node.text_range();
        let mut diagnostic = Diagnostic::new(
            &REDUNDANT_PATTERN_BIND,
            cx.span(range),
            format!("this pattern only names the argument; `{name}` says the same"),
        );
        if comment_count(node) == 0 {
            let new_text = padded(&cx.file.text, range, &name);
            diagnostic = diagnostic.with_fix(Fix::unsafe_(
                format!("Replace the pattern by `{name}`"),
                vec![Edit { span: cx.span(range), new_text }],
            ));
        }
        cx.report(diagnostic);
    }
}
