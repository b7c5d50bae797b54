//! `shadowed-builtin`: a `let`, `rec` set, argument or formal that binds the name of a global
//! builtin or constant (`map`, `toString`, `true`, `builtins`), so the global is hidden below it.

use nixpilot_semantics::builtins;
use nixpilot_semantics::scope::{Binding, BindingKind};
use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::Diagnostic;
use crate::scope::static_name;

crate::declare_rule! {
    /// ## What it does
    /// Reports a name bound by `let`, by a lambda argument, by a formal (`{ map, … }:`), by an
    /// `@` pattern or by a `rec { }` set that is also a global of Nix: `true`, `false`, `null`,
    /// `map`, `import`, `toString`, `throw`, `derivation`, `builtins`, the `__`-prefixed names
    /// such as `__attrNames`, and the other builtins reachable without `builtins.`.
    ///
    /// Only bindings something reads are reported: a shadow nothing sees has no effect, and
    /// an unread formal (`{ elemType, placeholder ? "name" }:`) or `rec { }` attribute is
    /// usually an interface whose name callers choose. Also left alone, because the binding
    /// keeps the builtin's meaning: a binding whose value is the builtin itself
    /// (`inherit (builtins) map;`, `toString = builtins.toString;`) or a copy nixpkgs' `lib`
    /// re-exports under the same name (`inherit (lib) map;`); a polyfill for older Nix
    /// (`fetchTree = builtins.fetchTree or (…);`, as flake-compat writes it); and a formal
    /// whose default is the builtin (`{ fetchTarball ? builtins.fetchTarball }:`, the usual
    /// way to let tests inject a stand-in). A deliberate replacement (a file's own
    /// `import = path: path;`) is still reported: suppress it where it is meant.
    ///
    /// ## Why is this bad?
    /// Below the binding, every use of the name means the local value: `toString 5` or
    /// `map f xs` silently calls something else, and `if x == null` may compare against a
    /// bound variable. Readers (and tools) take these names to be the builtins.
    ///
    /// ## Example
    /// ```nix
    /// { lib, ... }:
    /// let
    ///   toString = value: "${value}";
    /// in
    /// { environment.etc.port.text = toString 22; }
    /// ```
    ///
    /// ## Fix
    /// No automatic fix: renaming changes every use below the binding and, for a formal, the
    /// function's interface. Rename the binding (`valueToString`), or read the builtin as
    /// `builtins.toString` where both are needed.
    pub static SHADOWED_BUILTIN = { name: "shadowed-builtin", group: Correctness, severity: Warning, fixable: false };
}

pub struct ShadowedBuiltin;

impl FileRule for ShadowedBuiltin {
    fn meta(&self) -> &'static RuleMeta {
        &SHADOWED_BUILTIN
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_LAMBDA, SyntaxKind::NODE_LET_IN, SyntaxKind::NODE_ATTR_SET, SyntaxKind::NODE_LEGACY_LET]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        // Cheap first: most binders bind no global name, and then the file's name resolution
        // is not needed by this rule at all.
        let candidates = bound_names(node);
        if !candidates.iter().any(|n| builtins::global(n).is_some()) {
            return;
        }
        let names = cx.names();
        for name in candidates {
            let Some(builtin) = builtins::global(&name) else { continue };
            let Some(index) = names.binding(node.text_range(), &name) else { continue };
            let binding = &names.bindings[index];
            // A shadow nothing reads has no effect; an unread formal is still an interface
            // the caller names, and an unread `rec` attribute is what the set offers outside.
            if names.uses(index).next().is_none() || binds_the_builtin_itself(cx.root, binding) {
                continue;
            }
            let what = match binding.kind {
                BindingKind::Let => "let binding",
                BindingKind::RecAttr => "attribute of a recursive set",
                BindingKind::LambdaArgument => "function argument",
                BindingKind::Formal => "formal argument",
                BindingKind::PatternBind => "`@` name",
            };
            let global = if builtin.name == binding.name {
                format!("the global `{}`", binding.name)
            } else {
                format!("the global `{}` (`builtins.{}`)", binding.name, builtin.name)
            };
            cx.report(Diagnostic::new(
                &SHADOWED_BUILTIN,
                cx.span(binding.range),
                format!("this {what} shadows {global} wherever it is in scope"),
            ));
        }
    }
}

/// The names a binder binds, as the name resolution records them (it decides which count).
fn bound_names(node: &SyntaxNode) -> Vec<String> {
    let mut out = Vec::new();
    let mut from_entries = |entries: &mut dyn Iterator<Item = ast::Entry>| {
        for entry in entries {
            match entry {
                ast::Entry::AttrpathValue(apv) => {
                    let first = apv.attrpath().and_then(|p| p.attrs().next());
                    out.extend(first.and_then(|a| static_name(&a)).map(|(n, _)| n));
                }
                ast::Entry::Inherit(inherit) => {
                    out.extend(inherit.attrs().filter_map(|a| static_name(&a)).map(|(n, _)| n));
                }
            }
        }
    };
    if let Some(let_in) = ast::LetIn::cast(node.clone()) {
        from_entries(&mut let_in.entries());
    } else if let Some(set) = ast::AttrSet::cast(node.clone()) {
        if set.rec_token().is_some() {
            from_entries(&mut set.entries());
        }
    } else if let Some(legacy) = ast::LegacyLet::cast(node.clone()) {
        from_entries(&mut legacy.entries());
    } else if let Some(lambda) = ast::Lambda::cast(node.clone()) {
        let ident_text = |i: Option<ast::Ident>| i.and_then(|i| i.ident_token()).map(|t| t.text().to_string());
        match lambda.param() {
            Some(ast::Param::IdentParam(p)) => out.extend(ident_text(p.ident())),
            Some(ast::Param::Pattern(p)) => {
                out.extend(p.pat_entries().filter_map(|e| ident_text(e.ident())));
                out.extend(ident_text(p.pat_bind().and_then(|b| b.ident())));
            }
            None => {}
        }
    }
    out
}

/// Whether the binding's value, or a formal's default, is the very builtin it shadows:
/// `inherit (builtins) map;`, `map = builtins.map;`, `{ map ? builtins.map }`.
fn binds_the_builtin_itself(root: &SyntaxNode, binding: &Binding) -> bool {
    let element = root.covering_element(binding.range);
    let start = match element {
        rowan::NodeOrToken::Node(n) => Some(n),
        rowan::NodeOrToken::Token(t) => t.parent(),
    };
    let Some(owner) = start.into_iter().flat_map(|n| n.ancestors()).find(|n| {
        matches!(
            n.kind(),
            SyntaxKind::NODE_PAT_ENTRY | SyntaxKind::NODE_INHERIT | SyntaxKind::NODE_ATTRPATH_VALUE | SyntaxKind::NODE_LAMBDA
        )
    }) else {
        return false;
    };
    let name = binding.name.as_str();
    match owner.kind() {
        SyntaxKind::NODE_PAT_ENTRY => ast::PatEntry::cast(owner).and_then(|e| e.default()).is_some_and(|d| is_builtins_member(&d, name)),
        SyntaxKind::NODE_INHERIT => ast::Inherit::cast(owner)
            .and_then(|i| i.from())
            .and_then(|f| f.expr())
            .is_some_and(|e| is_ident(&e, "builtins") || is_nixpkgs_lib(&e)),
        SyntaxKind::NODE_ATTRPATH_VALUE => ast::AttrpathValue::cast(owner).is_some_and(|apv| {
            apv.attrpath().is_some_and(|p| p.attrs().count() == 1)
                && apv.value().is_some_and(|v| is_builtins_member(&v, name) || is_polyfill(&v, name))
        }),
        _ => false,
    }
}

/// `builtins.<name> or fallback`: the builtin where Nix has it, a stand-in where it does not.
fn is_polyfill(expr: &ast::Expr, name: &str) -> bool {
    builtins_select(expr, name).is_some_and(|s| s.or_token().is_some())
}

/// `lib`, `lib.lists`, `pkgs.lib`, …: nixpkgs' library, which re-exports many builtins
/// (`map`, `filter`, `elem`, …) under their own names, so inheriting them changes nothing.
fn is_nixpkgs_lib(expr: &ast::Expr) -> bool {
    match expr {
        ast::Expr::Ident(_) => is_ident(expr, "lib"),
        ast::Expr::Select(s) => {
            let through_lib = s
                .attrpath()
                .into_iter()
                .flat_map(|p| p.attrs())
                .any(|a| static_name(&a).is_some_and(|(n, _)| n == "lib"));
            through_lib || s.expr().is_some_and(|e| is_nixpkgs_lib(&e))
        }
        _ => false,
    }
}

/// `builtins.<name>`, possibly in parentheses.
fn is_builtins_member(expr: &ast::Expr, name: &str) -> bool {
    builtins_select(expr, name).is_some_and(|s| s.or_token().is_none())
}

/// The selection `builtins.<name>` (with or without `or`), looking through parentheses.
fn builtins_select(expr: &ast::Expr, name: &str) -> Option<ast::Select> {
    match expr {
        ast::Expr::Paren(p) => builtins_select(&p.expr()?, name),
        ast::Expr::Select(s) => {
            let mut attrs = s.attrpath()?.attrs();
            let single = match (attrs.next(), attrs.next()) {
                (Some(a), None) => static_name(&a).is_some_and(|(n, _)| n == name),
                _ => false,
            };
            (single && s.expr().is_some_and(|e| is_ident(&e, "builtins"))).then(|| s.clone())
        }
        _ => None,
    }
}

fn is_ident(expr: &ast::Expr, name: &str) -> bool {
    matches!(expr, ast::Expr::Ident(i) if i.ident_token().is_some_and(|t| t.text() == name))
}
