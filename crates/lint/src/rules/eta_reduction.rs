//! `eta-reduction`: `x: f x`, a function that only passes its argument on to `f`.

use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::expr_rewrite::{comment_count, ident_token, padded};
use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};

crate::declare_rule! {
    /// ## What it does
    /// Reports a lambda `x: f x` whose body applies a variable `f` (not `x` itself) to the
    /// argument and does nothing else.
    ///
    /// ## Why is this bad?
    /// The lambda is a longer way to write `f`: `map (x: toString x) list` is
    /// `map toString list`.
    ///
    /// ## Example
    /// ```nix
    /// { lib, ... }:
    /// { environment.etc.motd.text = lib.concatMapStrings (line: lib.toUpper line) [ "a" "b" ]; }
    /// ```
    /// (here `f` is a selection, which is left alone; `(s: toUpper s)` would be reported.)
    ///
    /// ## Fix
    /// Replaces the lambda by `f` (unsafe: the two differ for code that looks at the
    /// function itself: `builtins.functionArgs` sees `f`'s formals, which `callPackage` and the
    /// module system act on; `builtins.isFunction` is false for a set with `__functor`; and a
    /// `f` that fails to evaluate fails where the lambda did not).
    pub static ETA_REDUCTION = { name: "eta-reduction", group: Style, severity: Info, fixable: true };
}

pub struct EtaReduction;

impl FileRule for EtaReduction {
    fn meta(&self) -> &'static RuleMeta {
        &ETA_REDUCTION
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_LAMBDA]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(lambda) = ast::Lambda::cast(node.clone()) else { return };
        let Some(ast::Param::IdentParam(param)) = lambda.param() else { return };
        let Some(argument_token) = param.ident().and_then(|i| i.ident_token()) else {
            return;
        };
        let argument = argument_token.text();
        let Some(ast::Expr::Apply(apply)) = lambda.body() else { return };
        let (Some(function), Some(passed)) = (apply.lambda(), apply.argument()) else { return };
        if ident_token(&passed).is_none_or(|t| t.text() != argument) {
            return;
        }
        // `x: x x` is not `x`; a selection or call as the function is left alone, as it may
        // mention `x` and reads no better once reduced.
        let Some(function_token) = ident_token(&function) else { return };
        if function_token.text() == argument {
            return;
        }
        let function_name = function_token.text();
        let range = node.text_range();
        let new_text = padded(&cx.file.text, range, function_name);
        let mut diagnostic = Diagnostic::new(
            &ETA_REDUCTION,
            cx.span(range),
            format!("this function only passes `{argument}` on; it is `{function_name}`"),
        );
        if comment_count(node) == 0 {
            diagnostic = diagnostic.with_fix(Fix::unsafe_(
                format!("Replace with `{function_name}`"),
                vec![Edit { span: cx.span(range), new_text }],
            ));
        }
        cx.report(diagnostic);
    }
}
