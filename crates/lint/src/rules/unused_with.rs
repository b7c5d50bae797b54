//! `unused-with`: a `with e;` whose body reads no name it could provide.
//! A name that no lexical binding holds may come from any `with` around it, so each one counts.

use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;
use rowan::TextRange;

use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::scope::Target;

crate::declare_rule! {
    /// ## What it does
    /// Reports `with e; body` when every name the body reads is bound lexically (by a `let`,
    /// a function argument, a `rec` set), so none can come from `e`. A name that may come
    /// from a `with` counts for every `with` around it: in `with a; with b; x` both are used.
    /// A name Nix takes from its builtins (`map`, `toString`, `true`) does not count: the
    /// builtins are the outermost lexical scope, which wins over every `with`
    /// (`with { map = 1; }; map` is still the builtin). Builtins newer than Nix 2.8 or behind
    /// an experimental feature do count, since an older or differently configured Nix would
    /// look them up in the `with`.
    ///
    /// ## Why is this bad?
    /// The `with` does nothing but makes readers wonder which names come from it; it is
    /// usually left over from code that moved, or kept around an empty list
    /// (`with pkgs; [ ]`). It changes nothing, so this is a style finding.
    ///
    /// ## Example
    /// ```nix
    /// { pkgs, ... }:
    /// let tools = [ pkgs.git ]; in
    /// with pkgs; { environment.systemPackages = tools; }
    /// ```
    ///
    /// ## Fix
    /// Removes `with e;`, keeping the body (safe: `with` evaluates `e` only when a name is
    /// looked up in it, and none is).
    pub static UNUSED_WITH = { name: "unused-with", group: Style, severity: Info, fixable: true };
}

pub struct UnusedWith;

impl FileRule for UnusedWith {
    fn meta(&self) -> &'static RuleMeta {
        &UNUSED_WITH
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_WITH]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(with) = ast::With::cast(node.clone()) else { return };
        let Some(body) = with.body() else { return };
        // Half-written code has no reliable reads.
        if cx.has_errors_in(node.text_range()) {
            return;
        }
        let names = cx.names();
        let inside = body.syntax().text_range();
        let refs = &names.references;
        let first = refs.partition_point(|r| r.range.start() < inside.start());
        let used = refs[first..]
            .iter()
            .take_while(|r| r.range.end() <= inside.end())
            .any(|r| r.target == Target::With && !nixpilot_semantics::builtins::is_stable_global(&r.name));
        if used {
            return;
        }
        let keyword = with.with_token().map_or(node.text_range(), |t| t.text_range());
        let header = TextRange::new(node.text_range().start(), inside.start());
        let diagnostic = Diagnostic::new(
            &UNUSED_WITH,
            cx.span(keyword),
            "this `with` provides no name its body reads",
        )
        .with_fix(Fix::safe(
            "Remove the unused `with`",
            vec![Edit { span: cx.span(header), new_text: String::new() }],
        ));
        cx.report(diagnostic);
    }
}

