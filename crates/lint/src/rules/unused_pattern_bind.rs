//! `unused-pattern-bind`: the `args` of `args@{ … }:` that the body never reads.
//! Its fix removes `args@`, which changes nothing a caller can see.

use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;
use rowan::TextRange;

use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::scope::BindingKind;

crate::declare_rule! {
    /// ## What it does
    /// Reports the `@` name of a pattern (`args@{ … }:` or `{ … }@args:`) when nothing reads
    /// it (or only unused bindings do). Names starting with `_` are skipped.
    ///
    /// ## Why is this bad?
    /// The name promises that the function uses its whole argument set; when it does not,
    /// readers look for a use that is not there.
    ///
    /// ## Example
    /// ```nix
    /// args@{ pkgs, ... }:
    /// { environment.systemPackages = [ pkgs.git ]; }
    /// ```
    ///
    /// ## Fix
    /// Removes `args@` (safe: the accepted and required arguments stay the same). Not offered
    /// while unused bindings still read `args` (their own fixes remove them first).
    pub static UNUSED_PATTERN_BIND = { name: "unused-pattern-bind", group: Correctness, severity: Warning, fixable: true };
}

pub struct UnusedPatternBind;

impl FileRule for UnusedPatternBind {
    fn meta(&self) -> &'static RuleMeta {
        &UNUSED_PATTERN_BIND
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_LAMBDA]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let dead = cx.dead_bindings();
        for &b in dead.unused_in(node) {
            let binding = &dead.names.bindings[b];
            if binding.kind != BindingKind::PatternBind {
                continue;
            }
            let mut diagnostic = Diagnostic::new(
                &UNUSED_PATTERN_BIND,
                cx.span(binding.range),
                dead.message("`@` name", b),
            );
            // Reads from unused bindings would lose their target: those go first.
            let read = dead.names.uses(b).next().is_some();
            if let Some(range) = bind_removal(node).filter(|_| !read) {
                diagnostic = diagnostic.with_fix(Fix::safe(
                    format!("Remove `{}@`", binding.name),
                    vec![Edit { span: cx.span(range), new_text: String::new() }],
                ));
            }
            cx.report(diagnostic);
        }
    }
}

/// The text from the `@` name to the braces (`args @ `) or from the braces to its end (` @ args`).
fn bind_removal(lambda: &SyntaxNode) -> Option<TextRange> {
    let ast::Param::Pattern(pattern) = ast::Lambda::cast(lambda.clone())?.param()? else {
        return None;
    };
    let bind = pattern.pat_bind()?.syntax().text_range();
    let token = |kind| {
        pattern
            .syntax()
            .children_with_tokens()
            .find(|e| e.kind() == kind)
            .map(|e| e.text_range())
    };
    let braces = token(SyntaxKind::TOKEN_L_BRACE)?.start();
    let end = token(SyntaxKind::TOKEN_R_BRACE)?.end();
    Some(if bind.start() < braces {
        TextRange::new(bind.start(), braces)
    } else {
        TextRange::new(end, bind.end())
    })
}
