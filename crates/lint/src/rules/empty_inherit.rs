//! `empty-inherit`: `inherit;` or `inherit (x);`, which inherit nothing.

use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;
use rowan::{TextRange, TextSize};

use super::expr_rewrite::comment_count;
use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};

crate::declare_rule! {
    /// ## What it does
    /// Reports an `inherit` that names no attribute: `inherit;` or `inherit (src);`.
    ///
    /// ## Why is this bad?
    /// It does nothing; usually the names were removed and the statement left behind, or
    /// the names were meant to go there.
    ///
    /// ## Example
    /// ```nix
    /// { lib, ... }:
    /// {
    ///   inherit;
    ///   networking.hostName = "web";
    /// }
    /// ```
    ///
    /// ## Fix
    /// Removes the statement (safe: it binds nothing, and Nix is lazy, so `src` of
    /// `inherit (src);` is never evaluated).
    pub static EMPTY_INHERIT = { name: "empty-inherit", group: Style, severity: Info, fixable: true };
}

pub struct EmptyInherit;

impl FileRule for EmptyInherit {
    fn meta(&self) -> &'static RuleMeta {
        &EMPTY_INHERIT
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_INHERIT]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(inherit) = ast::Inherit::cast(node.clone()) else { return };
        if inherit.attrs().next().is_some() || inherit.inherit_token().is_none() {
            return;
        }
        let has_semicolon = node
            .children_with_tokens()
            .any(|e| e.kind() == SyntaxKind::TOKEN_SEMICOLON);
        if !has_semicolon
            || node
                .descendants_with_tokens()
                .any(|e| matches!(e.kind(), SyntaxKind::NODE_ERROR | SyntaxKind::TOKEN_ERROR))
        {
            return;
        }
        let range = node.text_range();
        let mut diagnostic = Diagnostic::new(&EMPTY_INHERIT, cx.span(range), "this `inherit` names nothing");
        if comment_count(node) == 0 {
            // Take the whitespace before the statement with it, so no blank line is left.
            let text = &cx.file.text[..usize::from(range.start())];
            let kept = text.trim_end_matches([' ', '\t']);
            let kept = kept.strip_suffix('\n').map_or(kept, |k| k.trim_end_matches([' ', '\t', '\r']));
            let start = TextSize::try_from(kept.len()).unwrap_or(range.start());
            // `let inherit;in x` must not become `letin x`.
            let after = cx.file.text[usize::from(range.end())..].chars().next();
            let touching = kept.chars().next_back().is_some_and(|c| !c.is_whitespace())
                && after.is_some_and(|c| !c.is_whitespace());
            let new_text = if touching { " " } else { "" }.to_string();
            diagnostic = diagnostic.with_fix(Fix::safe(
                "Remove the empty `inherit`",
                vec![Edit { span: cx.span(TextRange::new(start, range.end())), new_text }],
            ));
        }
        cx.report(diagnostic);
    }
}
