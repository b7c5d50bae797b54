//! `unused-let-binding`: a name bound by `let … in` that nothing reads.
//! Uses are what the file's name resolution (`crate::scope`) resolves to the binding, so
//! shadowing, `with`, formal defaults, `inherit` and interpolations are all seen.

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::{TextRange, TextSize};

use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};

crate::declare_rule! {
    /// ## What it does
    /// Reports names bound in a `let … in` expression that neither the body nor another
    /// binding reads. Names starting with `_` are taken as deliberately unused. A `let` the
    /// parser could not finish is left alone until it parses.
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
    /// Removes the binding (safe: Nix is lazy, an unread binding has no effect). When every
    /// binding of the `let` is unused, the whole `let … in` is replaced by its body.
    pub static UNUSED_LET_BINDING = { name: "unused-let-binding", group: Correctness, severity: Warning, fixable: true };
}

pub struct UnusedLetBinding;

/// One name the let binds, and the text to delete to remove it.
struct Binding {
    name: String,
    /// Where to point the diagnostic.
    name_range: TextRange,
    /// The whole definition(s), used to ignore self-references and to build the fix.
    removal: Vec<TextRange>,
}

impl FileRule for UnusedLetBinding {
    fn meta(&self) -> &'static RuleMeta {
        &UNUSED_LET_BINDING
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_LET_IN]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(let_in) = ast::LetIn::cast(node.clone()) else { return };
        // A `let` the parser could not finish has no reliable bindings or uses: removing what
        // looks unused there could take a half-written line with it.
        if node
            .descendants_with_tokens()
            .any(|e| matches!(e.kind(), SyntaxKind::NODE_ERROR | SyntaxKind::TOKEN_ERROR))
        {
            return;
        }
        let bindings = collect_bindings(&let_in);
        if bindings.is_empty() {
            return;
        }
        let names = cx.names();
        let scope = node.text_range();
        let unused: Vec<&Binding> = bindings
            .iter()
            .filter(|b| !b.name.starts_with('_'))
            .filter(|b| match names.binding(scope, &b.name) {
                // A binding only read by its own definition is still dead.
                Some(i) => names
                    .uses(i)
                    .all(|r| b.removal.iter().any(|range| range.contains_range(r.range))),
                // The resolution does not know it: leave it alone rather than guess.
                None => false,
            })
            .collect();
        if unused.is_empty() {
            return;
        }
        let whole_let_dead = unused.len() == bindings.len() && has_only_plain_entries(&let_in);
        let body = let_in.body();
        for binding in unused {
            let fix = match (&body, whole_let_dead) {
                (Some(body), true) => Fix::safe(
                    "Remove the `let … in` whose bindings are all unused",
                    vec![Edit { span: cx.span(node.text_range()), new_text: body.syntax().text().to_string() }],
                ),
                _ => Fix::safe(
                    format!("Remove the unused binding `{}`", binding.name),
                    binding
                        .removal
                        .iter()
                        .map(|r| Edit { span: cx.span(extend_over_leading_space(node, *r)), new_text: String::new() })
                        .collect(),
                ),
            };
            let diagnostic = Diagnostic::new(
                &UNUSED_LET_BINDING,
                cx.span(binding.name_range),
                format!("`{}` is bound here but never used", binding.name),
            )
            .with_fix(fix);
            cx.report(diagnostic);
        }
    }
}

fn ident_name(attr: &ast::Attr) -> Option<(String, TextRange)> {
    match attr {
        ast::Attr::Ident(ident) => {
            let token = ident.ident_token()?;
            Some((token.text().to_string(), token.text_range()))
        }
        _ => None,
    }
}

fn collect_bindings(let_in: &ast::LetIn) -> Vec<Binding> {
    let mut by_name: Vec<Binding> = Vec::new();
    let mut add = |name: String, name_range: TextRange, removal: TextRange| {
        if let Some(existing) = by_name.iter_mut().find(|b| b.name == name) {
            existing.removal.push(removal);
        } else {
            by_name.push(Binding { name, name_range, removal: vec![removal] });
        }
    };
    for entry in let_in.entries() {
        match entry {
            ast::Entry::AttrpathValue(apv) => {
                // `a.b = 1;` binds `a`; a dynamic first attribute cannot be judged.
                let Some(first) = apv.attrpath().and_then(|p| p.attrs().next()) else { continue };
                let Some((name, range)) = ident_name(&first) else { continue };
                add(name, range, apv.syntax().text_range());
            }
            ast::Entry::Inherit(inherit) => {
                let attrs: Vec<ast::Attr> = inherit.attrs().collect();
                for attr in &attrs {
                    let Some((name, range)) = ident_name(attr) else { continue };
                    // Removing the last name removes the whole `inherit …;`.
                    let removal = if attrs.len() == 1 { inherit.syntax().text_range() } else { range };
                    add(name, range, removal);
                }
            }
        }
    }
    by_name
}

/// `inherit a b;` with some names used cannot be dropped wholesale by the "whole let" fix.
fn has_only_plain_entries(let_in: &ast::LetIn) -> bool {
    let_in.entries().all(|e| match e {
        ast::Entry::AttrpathValue(_) => true,
        ast::Entry::Inherit(i) => i.attrs().count() == 1,
    })
}

fn extend_over_leading_space(let_node: &SyntaxNode, range: TextRange) -> TextRange {
    let Some(first) = let_node.token_at_offset(range.start()).right_biased() else {
        return range;
    };
    match first.prev_token() {
        Some(prev) if prev.kind() == SyntaxKind::TOKEN_WHITESPACE => {
            let ws = prev.text();
            // Take the line break before the removed line with it, unless a `#` comment ends
            // the line before: what follows the binding (` in`) would join the comment.
            let after_line_comment = prev
                .prev_token()
                .is_some_and(|t| t.kind() == SyntaxKind::TOKEN_COMMENT && t.text().starts_with('#'));
            let keep = ws.rfind('\n').map_or(0, |i| if after_line_comment { i + 1 } else { i });
            let start = prev.text_range().start() + TextSize::from(keep as u32);
            if prev.text_range().start() >= let_node.text_range().start() {
                TextRange::new(start, range.end())
            } else {
                range
            }
        }
        _ => range,
    }
}
