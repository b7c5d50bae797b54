//! `useless-rec`: a `rec { … }` none of whose attributes is read by name inside it.
//! Reads come from the file's name resolution, so shadowing and `inherit` are seen.

use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;
use rowan::TextRange;

use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::scope::BindingKind;

crate::declare_rule! {
    /// ## What it does
    /// Reports `rec` on an attribute set whose values never read one of its own attributes by
    /// name.
    ///
    /// ## Why is this bad?
    /// `rec` makes every attribute visible to every value, so readers must check each name
    /// against the set; when nothing uses that, the keyword only adds doubt (and can hide a
    /// name of the surrounding scope by accident later).
    ///
    /// ## Example
    /// ```nix
    /// rec { port = 8080; host = "localhost"; }
    /// ```
    ///
    /// ## Fix
    /// Removes `rec` (safe: no name inside resolves to the set, so every name reads the same
    /// binding as before).
    pub static USELESS_REC = { name: "useless-rec", group: Style, severity: Info, fixable: true };
}

pub struct UselessRec;

impl FileRule for UselessRec {
    fn meta(&self) -> &'static RuleMeta {
        &USELESS_REC
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_ATTR_SET]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(set) = ast::AttrSet::cast(node.clone()) else { return };
        let Some(rec) = set.rec_token() else { return };
        if cx.has_errors_in(node.text_range()) {
            return;
        }
        let names = cx.names();
        let scope = node.text_range();
        // The set's bindings come in one run of the resolution's list; an empty run with a
        // dynamic attribute (`${k} = …`) binds nothing knowable, but reads nothing either.
        let first = names.bindings.partition_point(|b| b.scope.start() < scope.start());
        let read = names.bindings[first..]
            .iter()
            .enumerate()
            .take_while(|(_, b)| b.scope == scope && b.kind == BindingKind::RecAttr)
            .any(|(i, _)| names.uses(first + i).next().is_some());
        if read {
            return;
        }
        let mut end = rec.text_range().end();
        let mut next = rec.next_token();
        while let Some(t) = next.filter(|t| t.kind() == SyntaxKind::TOKEN_WHITESPACE) {
            end = t.text_range().end();
            next = t.next_token();
        }
        let diagnostic = Diagnostic::new(
            &USELESS_REC,
            cx.span(rec.text_range()),
            "no attribute of this `rec` set is read inside it",
        )
        .with_fix(Fix::safe(
            "Remove `rec`",
            vec![Edit { span: cx.span(TextRange::new(rec.text_range().start(), end)), new_text: String::new() }],
        ));
        cx.report(diagnostic);
    }
}
