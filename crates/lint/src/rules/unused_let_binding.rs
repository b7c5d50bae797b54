//! `unused-let-binding`: a name bound by `let … in` that nothing reads.
//! Found by one scan of the let expression; shadowing only ever makes it report less, never wrongly.

use std::collections::{HashMap, HashSet};

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::{GreenNodeData, NodeOrToken, TextRange, TextSize};

use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};

crate::declare_rule! {
    /// ## What it does
    /// Reports names bound in a `let … in` expression that neither the body nor another
    /// binding reads. Names starting with `_` are taken as deliberately unused.
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
        let bindings = collect_bindings(&let_in);
        if bindings.is_empty() {
            return;
        }
        let names: HashSet<&str> = bindings.iter().map(|b| b.name.as_str()).collect();
        let references = collect_references(node, &names);
        let unused: Vec<&Binding> = bindings
            .iter()
            .filter(|b| !b.name.starts_with('_'))
            .filter(|b| {
                references.get(b.name.as_str()).is_none_or(|offsets| {
                    // A binding only read by its own definition is still dead.
                    offsets.iter().all(|o| b.removal.iter().any(|r| r.contains(*o)))
                })
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

/// Every identifier read inside `let_node` (body and bindings), with the offsets it is read at.
/// Where each of `names` is read below the let. Only those names are recorded: a let at the
/// top of a large file sees every identifier of the file, and most are not its bindings.
/// The walk goes over the green tree, which (unlike the red tree's cursors) allocates nothing.
fn collect_references(let_node: &SyntaxNode, names: &HashSet<&str>) -> HashMap<String, Vec<TextSize>> {
    let mut refs: HashMap<String, Vec<TextSize>> = HashMap::new();
    let green = let_node.green();
    collect_in(green, let_node.text_range().start(), true, false, names, &mut refs);
    refs
}

/// The references below `node` (at `offset`). `is_let`: `node` is the let itself;
/// `parent_is_let`: its parent is (the let's own `inherit x;` entries bind rather than read).
fn collect_in(
    node: &GreenNodeData,
    offset: TextSize,
    is_let: bool,
    parent_is_let: bool,
    names: &HashSet<&str>,
    refs: &mut HashMap<String, Vec<TextSize>>,
) {
    let kind = kind_of(node);
    let mut child_offset = offset;
    for child in node.children() {
        let at = child_offset;
        child_offset += match child {
            NodeOrToken::Node(n) => n.text_len(),
            NodeOrToken::Token(t) => t.text_len(),
        };
        let NodeOrToken::Node(child) = child else { continue };
        if kind_of(child) == SyntaxKind::NODE_IDENT {
            let is_reference = match kind {
                // Attribute names (`a.b`, `{ b = …; }`, `a ? b`) and argument names are not reads.
                SyntaxKind::NODE_ATTRPATH
                | SyntaxKind::NODE_PAT_ENTRY
                | SyntaxKind::NODE_PAT_BIND
                | SyntaxKind::NODE_IDENT_PARAM => false,
                // `inherit x;` reads `x` from the enclosing scope, unless it inherits from an
                // expression or is one of this let's own bindings.
                SyntaxKind::NODE_INHERIT => {
                    let from = node
                        .children()
                        .any(|c| c.as_node().is_some_and(|n| kind_of(n) == SyntaxKind::NODE_INHERIT_FROM));
                    !from && !parent_is_let
                }
                _ => true,
            };
            if is_reference {
                if let Some((text, at)) = first_token(child, at) {
                    if names.contains(text) {
                        refs.entry(text.to_string()).or_default().push(at);
                    }
                }
            }
        }
        collect_in(child, at, false, is_let, names, refs);
    }
}

fn kind_of(node: &GreenNodeData) -> SyntaxKind {
    <rnix::NixLanguage as rowan::Language>::kind_from_raw(node.kind())
}

/// The first token below a green node, with its offset.
fn first_token(node: &GreenNodeData, offset: TextSize) -> Option<(&str, TextSize)> {
    let mut at = offset;
    for child in node.children() {
        match child {
            NodeOrToken::Token(t) => return Some((t.text(), at)),
            NodeOrToken::Node(n) => {
                if let Some(found) = first_token(n, at) {
                    return Some(found);
                }
                at += n.text_len();
            }
        }
    }
    None
}

fn extend_over_leading_space(let_node: &SyntaxNode, range: TextRange) -> TextRange {
    let Some(first) = let_node.token_at_offset(range.start()).right_biased() else {
        return range;
    };
    match first.prev_token() {
        Some(prev) if prev.kind() == SyntaxKind::TOKEN_WHITESPACE => {
            let ws = prev.text();
            // Keep the line break before the removed line when there is one.
            let keep = ws.rfind('\n').map_or(0, |i| i);
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
