//! `unused-lambda-argument`: the argument of `x: …` that the body never reads.
//! Its fix renames it to `_x`, the convention for "deliberately unused".

use rnix::{SyntaxKind, SyntaxNode};

use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::scope::BindingKind;

crate::declare_rule! {
    /// ## What it does
    /// Reports the argument of a lambda `x: …` when the body never reads it (or only unused
    /// bindings do). Names starting with `_` are skipped.
    ///
    /// ## Why is this bad?
    /// The argument cannot be removed, since callers pass it, but an unread name often means
    /// the body reads something else than intended (`name: value: name` vs `value`).
    /// Calling conventions that pass arguments a function does not need
    /// (`mapAttrs (name: value: …)`) are common, so this rule is a style finding: rename the
    /// argument to `_name` to say it is unused on purpose.
    ///
    /// ## Example
    /// ```nix
    /// lib.mapAttrs (name: value: value.enable) hosts
    /// ```
    ///
    /// ## Fix
    /// Renames `x` to `_x` (safe: nothing reads `x`). Not offered when the body reads an
    /// outer `_x` that the new name would hide, nor while unused bindings still read `x`
    /// (their own fixes remove them first).
    pub static UNUSED_LAMBDA_ARGUMENT = { name: "unused-lambda-argument", group: Style, severity: Info, fixable: true };
}

pub struct UnusedLambdaArgument;

impl FileRule for UnusedLambdaArgument {
    fn meta(&self) -> &'static RuleMeta {
        &UNUSED_LAMBDA_ARGUMENT
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_LAMBDA]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let dead = cx.dead_bindings();
        for &b in dead.unused_in(node) {
            let binding = &dead.names.bindings[b];
            if binding.kind != BindingKind::LambdaArgument {
                continue;
            }
            let renamed = format!("_{}", binding.name);
            let lambda = node.text_range();
            let refs = &dead.names.references;
            let first = refs.partition_point(|r| r.range.start() < lambda.start());
            let captures = refs[first..]
                .iter()
                .take_while(|r| r.range.end() <= lambda.end())
                .any(|r| r.name == renamed);
            let mut diagnostic = Diagnostic::new(
                &UNUSED_LAMBDA_ARGUMENT,
                cx.span(binding.range),
                dead.message("lambda argument", b),
            );
            // Reads from unused bindings would lose their target: those go first.
            let read = dead.names.uses(b).next().is_some();
            if !captures && !read {
                diagnostic = diagnostic.with_fix(Fix::safe(
                    format!("Rename `{}` to `{renamed}`", binding.name),
                    vec![Edit { span: cx.span(binding.range), new_text: renamed.clone() }],
                ));
            }
            cx.report(diagnostic);
        }
    }
}
