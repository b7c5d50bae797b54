//! `repeated-keys`: `a.b = …; a.c = …; a.d = …;`, one attribute spelled out in three or more
//! dotted paths of the same set.

use std::collections::HashMap;

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;
use rowan::TextRange;

use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::Diagnostic;

/// How many bindings under one name make a finding.
const MIN_REPEATS: usize = 3;

/// Labels shown per finding: a generated set may repeat a name thousands of times.
const MAX_LABELS: usize = 4;

crate::declare_rule! {
    /// ## What it does
    /// Reports an attribute set (not `rec`) in which three or more bindings start with the
    /// same name, at least one of them followed by a dot: `boot.loader.grub.enable = …;
    /// boot.kernelModules = …; boot = { … };`.
    ///
    /// ## Why is this bad?
    /// Repeating the prefix hides how much is set under it; a nested set
    /// (`boot = { … };`) groups the settings and shows them at a glance. This is a matter of
    /// taste, which is why the rule only informs.
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   services.openssh.enable = true;
    ///   services.nginx.enable = true;
    ///   services.fail2ban.enable = true;
    /// }
    /// ```
    ///
    /// ## Fix
    /// None offered: where to nest, and how far, is a choice; write
    /// `services = { openssh.enable = true; nginx.enable = true; fail2ban.enable = true; };`.
    pub static REPEATED_KEYS = { name: "repeated-keys", group: Style, severity: Info, fixable: false };
}

pub struct RepeatedKeys;

impl FileRule for RepeatedKeys {
    fn meta(&self) -> &'static RuleMeta {
        &REPEATED_KEYS
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_ATTR_SET]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(set) = ast::AttrSet::cast(node.clone()) else { return };
        if set.rec_token().is_some() {
            return;
        }
        // The first name of each binding, and whether a dot follows it. Most sets have no
        // dotted binding at all: they cost one pass and no allocation.
        let mut firsts: Vec<(rnix::SyntaxToken, TextRange, bool)> = Vec::new();
        let mut any_dotted = false;
        for entry in set.entries() {
            let ast::Entry::AttrpathValue(apv) = entry else { continue };
            let Some(path) = apv.attrpath() else { continue };
            let mut attrs = path.attrs();
            let Some(ast::Attr::Ident(first)) = attrs.next() else { continue };
            let Some(token) = first.ident_token() else { continue };
            let dotted = attrs.next().is_some();
            any_dotted |= dotted;
            firsts.push((token, path.syntax().text_range(), dotted));
        }
        if !any_dotted || firsts.len() < MIN_REPEATS {
            return;
        }
        // Each first name, in order of first appearance, with its attrpaths and how many of
        // them are dotted.
        let mut order: Vec<(&str, Vec<TextRange>, usize)> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (token, range, dotted) in &firsts {
            let name = token.text();
            let slot = *index.entry(name).or_insert_with(|| {
                order.push((name, Vec::new(), 0));
                order.len() - 1
            });
            order[slot].1.push(*range);
            order[slot].2 += usize::from(*dotted);
        }
        for (name, paths, dotted) in order {
            if paths.len() < MIN_REPEATS || dotted == 0 {
                continue;
            }
            let mut diagnostic = Diagnostic::new(
                &REPEATED_KEYS,
                cx.span(paths[0]),
                format!(
                    "`{name}` is set in {} places of this set; `{name} = {{ … }};` would group them",
                    paths.len()
                ),
            );
            for &other in paths[1..].iter().take(MAX_LABELS) {
                diagnostic = diagnostic.with_label(cx.span(other), format!("`{name}` again"));
            }
            cx.report(diagnostic);
        }
    }
}
