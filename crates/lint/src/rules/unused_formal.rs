//! `unused-formal`: a name in a lambda's `{ … }` pattern that the function never reads.
//! Which patterns are checked (open ones with `...` only on request) is decided in `dead_bindings`.

use rnix::{SyntaxKind, SyntaxNode};

use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::Diagnostic;
use crate::scope::BindingKind;

crate::declare_rule! {
    /// ## What it does
    /// Reports a formal of a function's `{ … }` pattern that neither the body nor another
    /// formal's default reads (or that only unused bindings read). Names starting with `_`
    /// are skipped.
    ///
    /// By default only patterns without `...` are checked. A pattern with `...`
    /// (`{ config, lib, pkgs, ... }:`) is the shape of NixOS, home-manager and flake-parts
    /// modules, whose formals state what the module may take from its caller: an unused one
    /// there is harmless, and reporting every module's `config` or `lib` buries the real
    /// findings. The same holds for the `outputs` function of a `flake.nix`, which Nix calls
    /// with `self` and every input (an unused input is `unused-input`'s finding). Set
    /// `open-patterns = true` under `[options.unused-formal]` in
    /// `nixpilot.toml` to check those too (what deadnix does by default); switch the rule
    /// off to check no pattern (deadnix's `--no-lambda-pattern-names`).
    ///
    /// With an `@` name (`args@{ a, ... }:`) a formal is not reported when the `@` name may
    /// read it: the module system and `callPackage` fill the argument set from the formals'
    /// names, so `{ pkgs, ... }@args: args.pkgs` needs `pkgs` although it never reads it by
    /// name. Only when every read of the `@` name takes a named attribute (`args.a`,
    /// `args ? a`, `inherit (args) a`) are the other formals reported.
    ///
    /// ## Why is this bad?
    /// An unused formal is a parameter the function asks for and ignores: often a leftover
    /// from an edit, or a sign that the body reads a different name than the one meant.
    ///
    /// ## Example
    /// ```nix
    /// { hostName, domain }:
    /// { networking.hostName = hostName; }
    /// ```
    ///
    /// ## Fix
    /// Removes the formal (and the unused bindings that read it). Safe only for a formal with a
    /// default in a pattern with `...`: every call gives the same result as before. Without
    /// `...`, callers passing the name would now fail; without a default, calls leaving it
    /// out used to fail and would now succeed. Both are offered as unsafe fixes.
    pub static UNUSED_FORMAL = { name: "unused-formal", group: Correctness, severity: Warning, fixable: true };
}

pub struct UnusedFormal;

impl FileRule for UnusedFormal {
    fn meta(&self) -> &'static RuleMeta {
        &UNUSED_FORMAL
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_LAMBDA]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let dead = cx.dead_bindings();
        for &b in dead.unused_in(node) {
            let binding = &dead.names.bindings[b];
            if binding.kind != BindingKind::Formal {
                continue;
            }
            let mut diagnostic = Diagnostic::new(&UNUSED_FORMAL, cx.span(binding.range), dead.message("formal", b));
            if let Some(fix) = dead.removal_fix(cx, b) {
                diagnostic = diagnostic.with_fix(fix);
            }
            cx.report(diagnostic);
        }
    }
}
