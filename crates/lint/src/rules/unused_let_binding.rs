//! `unused-let-binding`: a name bound by `let … in` that nothing reads, or that only other
//! unused bindings read. Uses come from the file's name resolution; `dead_bindings` decides.

use rnix::{SyntaxKind, SyntaxNode};

use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::Diagnostic;

crate::declare_rule! {
    /// ## What it does
    /// Reports names bound in a `let … in` expression that neither the body nor another
    /// binding reads, and names read only by such unused bindings (`let a = 1; b = a; in 2`
    /// reports both, like deadnix). Names starting with `_` are taken as deliberately unused.
    /// A `let` the parser could not finish is left alone until it parses.
    ///
    /// ## Why is this bad?
    /// A dead binding is usually a leftover from an edit or a typo in the name that was meant
    /// to be used (`let hostname = …; in { networking.hostName = hostName; }`). It also makes
    /// readers look for a use that is not there.
    ///
    /// ## Example
    /// ```nix
    /// let
    ///   port = 8080;
    ///   unused = "left over";
    /// in
    /// { services.nginx.defaultHTTPListenPort = port; }
    /// ```
    ///
    /// ## Fix
    /// Removes the binding together with the unused bindings that read it, so no removed name
    /// is left read anywhere (safe: Nix is lazy, an unread binding has no effect). When every
    /// binding of a `let` goes, the whole `let … in` is replaced by its body. When an unused
    /// formal with no default or in a pattern without `...` has to go with it, the fix is
    /// unsafe (see `unused-formal`).
    pub static UNUSED_LET_BINDING = { name: "unused-let-binding", group: Correctness, severity: Warning, fixable: true };
}

pub struct UnusedLetBinding;

impl FileRule for UnusedLetBinding {
    fn meta(&self) -> &'static RuleMeta {
        &UNUSED_LET_BINDING
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_LET_IN]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let dead = cx.dead_bindings();
        for &b in dead.unused_in(node) {
            let binding = &dead.names.bindings[b];
            let mut diagnostic = Diagnostic::new(
                &UNUSED_LET_BINDING,
                cx.span(binding.range),
                dead.message("", b),
            );
            if let Some(fix) = dead.removal_fix(cx, b) {
                diagnostic = diagnostic.with_fix(fix);
            }
            cx.report(diagnostic);
        }
    }
}
