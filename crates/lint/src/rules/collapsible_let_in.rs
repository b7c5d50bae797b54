//! `collapsible-let-in`: `let a = …; in let b = …; in body`, one `let` written as two, when
//! merging them changes what no name refers to.

use std::collections::HashSet;

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;
use rowan::TextRange;

use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::scope::static_name;

crate::declare_rule! {
    /// ## What it does
    /// Reports a `let … in` whose body is directly another `let … in`, when the two can be
    /// merged without any name changing what it refers to: the inner `let` binds no name the
    /// outer one binds, no binding of the outer `let` reads a name the inner one binds, and
    /// no `inherit x;` of the inner `let` reads a name of the outer one.
    ///
    /// ## Why is this bad?
    /// Two nested `let`s read as if the order mattered; one `let` says that the bindings
    /// form one scope. When a name would be captured or shadowed by merging (`let a = 1; in
    /// let b = a; a = 2; in …`), the nesting does matter and nothing is reported.
    ///
    /// ## Example
    /// ```nix
    /// let
    ///   domain = "example.org";
    /// in
    /// let
    ///   fqdn = "web.${domain}";
    /// in
    /// { networking.fqdn = fqdn; }
    /// ```
    ///
    /// ## Fix
    /// Removes the inner `in let` (safe: reported only when no reference changes its
    /// binding). Not offered when a comment sits between the two.
    pub static COLLAPSIBLE_LET_IN = { name: "collapsible-let-in", group: Style, severity: Info, fixable: true };
}

pub struct CollapsibleLetIn;

impl FileRule for CollapsibleLetIn {
    fn meta(&self) -> &'static RuleMeta {
        &COLLAPSIBLE_LET_IN
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_LET_IN]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(outer) = ast::LetIn::cast(node.clone()) else { return };
        let Some(ast::Expr::LetIn(inner)) = outer.body() else { return };
        let (Some(outer_let), Some(outer_in), Some(inner_let), Some(_)) =
            (outer.let_token(), outer.in_token(), inner.let_token(), inner.in_token())
        else {
            return;
        };
        if has_error_child(node) || has_error_child(inner.syntax()) {
            return;
        }
        let (Some(outer_names), Some(inner_names)) = (bound_names(&outer), bound_names(&inner)) else {
            return;
        };
        if outer_names.is_empty() || inner_names.is_empty() || !outer_names.is_disjoint(&inner_names) {
            return;
        }
        // After merging, the outer bindings see the inner names: none may read one.
        let names = cx.names();
        let outer_bindings = TextRange::new(outer_let.text_range().end(), outer_in.text_range().start());
        let first = names
            .references
            .partition_point(|r| r.range.start() < outer_bindings.start());
        let captured = names.references[first..]
            .iter()
            .take_while(|r| r.range.start() < outer_bindings.end())
            .any(|r| inner_names.contains(r.name.as_str()));
        if captured {
            return;
        }
        // `inherit x;` reads `x` from around its `let`, which would no longer be the outer one.
        let inherits_outer = inner.entries().any(|entry| match entry {
            ast::Entry::Inherit(inherit) if inherit.from().is_none() => inherit
                .attrs()
                .any(|a| static_name(&a).is_some_and(|(n, _)| outer_names.contains(n.as_str()))),
            _ => false,
        });
        if inherits_outer {
            return;
        }
        let mut diagnostic = Diagnostic::new(
            &COLLAPSIBLE_LET_IN,
            cx.span(inner_let.text_range()),
            "this `let … in` directly inside another can be merged into it",
        )
        .with_label(cx.span(outer_let.text_range()), "the enclosing `let`");
        let removed = TextRange::new(outer_in.text_range().start(), inner_let.text_range().end());
        // The trivia between outer `in` and inner `let`: after `in` in the outer node, and
        // before `let` in the inner one.
        let comment_between = std::iter::successors(outer_in.next_sibling_or_token(), |e| e.next_sibling_or_token())
            .take_while(|e| e.as_node().is_none())
            .chain(
                inner
                    .syntax()
                    .children_with_tokens()
                    .take_while(|e| e.kind() != SyntaxKind::TOKEN_LET),
            )
            .any(|e| e.kind() == SyntaxKind::TOKEN_COMMENT);
        if !comment_between {
            diagnostic = diagnostic.with_fix(Fix::safe(
                "Merge the two `let`s",
                vec![Edit { span: cx.span(removed), new_text: String::new() }],
            ));
        }
        cx.report(diagnostic);
    }
}

/// The names a `let` binds, or `None` when one of them is dynamic (not knowable).
fn bound_names(let_in: &ast::LetIn) -> Option<HashSet<String>> {
    let mut names = HashSet::new();
    for entry in let_in.entries() {
        match entry {
            ast::Entry::AttrpathValue(apv) => {
                let (name, _) = static_name(&apv.attrpath()?.attrs().next()?)?;
                names.insert(name);
            }
            ast::Entry::Inherit(inherit) => {
                for attr in inherit.attrs() {
                    names.insert(static_name(&attr)?.0);
                }
            }
        }
    }
    Some(names)
}

/// Whether the parser left an error directly in this node.
fn has_error_child(node: &SyntaxNode) -> bool {
    node.children_with_tokens()
        .any(|e| matches!(e.kind(), SyntaxKind::NODE_ERROR | SyntaxKind::TOKEN_ERROR))
}
