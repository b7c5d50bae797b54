//! `unknown-builtin`: `builtins.x` or `inherit (builtins) x;` naming no builtin of Nix.
//! Checked against the semantics crate's builtins table; feature tests for the name anywhere
//! in the file (`builtins ? x`, `builtins.x or …`) mark it as deliberately optional.

use nixpilot_semantics::builtins;
use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;
use rowan::TextRange;

use super::suggest::closest;
use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::scope::static_name;

crate::declare_rule! {
    /// ## What it does
    /// Reports `builtins.x` and `inherit (builtins) x;` where `x` is not a builtin of Nix (the
    /// table covers Nix up to 2.24, including builtins behind experimental features and
    /// settings), and suggests the closest builtin name. Only the global `builtins` counts: a
    /// `let`, argument or formal named `builtins` is someone else's set.
    ///
    /// Code that tests for a builtin before using it is left alone: when the file contains
    /// `builtins ? x`, `builtins.hasAttr "x" builtins` or `builtins.x or …` anywhere, every
    /// `builtins.x` in it is taken as feature-detected.
    ///
    /// ## Why is this bad?
    /// Nix only notices when the expression is evaluated: the typo in `builtins.attrNamez`
    /// turns into "attribute 'attrNamez' missing" at deploy time, possibly on one host only.
    /// A builtin from a newer Nix (or from Lix) is not a typo, but it breaks evaluation on
    /// every older Nix; that is why this is a warning rather than an error.
    ///
    /// ## Example
    /// ```nix
    /// { config, ... }:
    /// {
    ///   environment.etc."hosts.json".text = builtins.toJson config.networking.hosts;
    /// }
    /// ```
    ///
    /// ## Fix
    /// Offers the closest builtin name as an unsafe fix (the replacement is a different
    /// function; check it is the one meant). To use a builtin that only newer Nix releases
    /// have, test for it: `if builtins ? x then builtins.x … else …`.
    pub static UNKNOWN_BUILTIN = { name: "unknown-builtin", group: Correctness, severity: Warning, fixable: true };
}

pub struct UnknownBuiltin;

impl FileRule for UnknownBuiltin {
    fn meta(&self) -> &'static RuleMeta {
        &UNKNOWN_BUILTIN
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_SELECT, SyntaxKind::NODE_INHERIT]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        // Cheap tests first (the source is spelled `builtins`, the member is unknown); whether
        // that `builtins` is the global needs the file's name resolution, asked for last.
        let (source, members): (ast::Ident, Vec<(String, TextRange)>) =
            if let Some(select) = ast::Select::cast(node.clone()) {
                // `builtins.x or fallback` is itself the feature test.
                if select.or_token().is_some() {
                    return;
                }
                let Some(ast::Expr::Ident(source)) = select.expr() else { return };
                let first = select.attrpath().and_then(|p| p.attrs().next());
                (source, first.and_then(|a| static_name(&a)).into_iter().collect())
            } else if let Some(inherit) = ast::Inherit::cast(node.clone()) {
                let Some(ast::Expr::Ident(source)) = inherit.from().and_then(|f| f.expr()) else { return };
                (source, inherit.attrs().filter_map(|a| static_name(&a)).collect())
            } else {
                return;
            };
        if source.ident_token().is_none_or(|t| t.text() != "builtins") {
            return;
        }
        let unknown: Vec<(String, TextRange)> =
            members.into_iter().filter(|(name, _)| builtins::member(name).is_none()).collect();
        if unknown.is_empty() || !is_global_builtins(&source, cx) {
            return;
        }
        for (name, range) in unknown {
            if is_feature_tested(cx.root, &name) {
                continue;
            }
            // `toJson` for `toJSON` is the commonest slip, and three edits away.
            let names = || builtins::all().iter().map(|b| b.name);
            let best = names()
                .find(|b| b.eq_ignore_ascii_case(&name))
                .or_else(|| closest(&name, names()).first().copied());
            let mut message = format!("`builtins.{name}` is not a builtin of Nix (as of Nix 2.24)");
            if let Some(best) = best {
                message.push_str(&format!("; did you mean `{best}`?"));
            }
            let mut diagnostic = Diagnostic::new(&UNKNOWN_BUILTIN, cx.span(range), message);
            if let Some(best) = best {
                diagnostic = diagnostic.with_fix(Fix::unsafe_(
                    format!("Replace with `{best}`"),
                    vec![Edit { span: cx.span(range), new_text: best.to_string() }],
                ));
            }
            cx.report(diagnostic);
        }
    }
}

/// Whether `ident` is the name `builtins` read from the global scope (a `with` cannot hide it).
fn is_global_builtins(ident: &ast::Ident, cx: &FileContext<'_>) -> bool {
    let Some(token) = ident.ident_token() else { return false };
    token.text() == "builtins" && cx.names().reference_at(token.text_range()).is_some_and(|r| r.is_global())
}

/// Whether the file tests for builtin `name` anywhere: `builtins ? name`,
/// `hasAttr "name" builtins`, or `builtins.name or …`. Only run for names the table lacks,
/// which are rare, so the extra walk costs nothing on ordinary files.
fn is_feature_tested(root: &SyntaxNode, name: &str) -> bool {
    root.descendants().any(|node| match node.kind() {
        SyntaxKind::NODE_HAS_ATTR => ast::HasAttr::cast(node).is_some_and(|has| {
            is_named(has.expr(), "builtins") && first_attr_is(has.attrpath(), name)
        }),
        SyntaxKind::NODE_SELECT => ast::Select::cast(node).is_some_and(|select| {
            select.or_token().is_some() && is_named(select.expr(), "builtins") && first_attr_is(select.attrpath(), name)
        }),
        // `hasAttr "name" builtins`, in any spelling of `hasAttr`.
        SyntaxKind::NODE_STRING => {
            let literal = ast::Str::cast(node.clone())
                .and_then(|s| crate::scope::string_parts(&s))
                .is_some_and(|parts| matches!(parts.as_slice(), [ast::InterpolPart::Literal(l)] if l == name));
            literal
                && node
                    .parent()
                    .and_then(ast::Apply::cast)
                    .and_then(|apply| apply.lambda())
                    .is_some_and(|f| f.syntax().text().to_string().ends_with("hasAttr"))
        }
        _ => false,
    })
}

fn is_named(expr: Option<ast::Expr>, name: &str) -> bool {
    matches!(expr, Some(ast::Expr::Ident(i)) if i.ident_token().is_some_and(|t| t.text() == name))
}

fn first_attr_is(path: Option<ast::Attrpath>, name: &str) -> bool {
    path.and_then(|p| p.attrs().next())
        .and_then(|a| static_name(&a))
        .is_some_and(|(n, _)| n == name)
}
