//! `unquoted-uri`: a URL written as a bare literal (`https://example.org`) instead of a string.

use rnix::{SyntaxKind, SyntaxNode};

use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};

crate::declare_rule! {
    /// ## What it does
    /// Reports URL literals: `https://example.org/x.tar.gz` written without quotes.
    ///
    /// ## Why is this bad?
    /// Unquoted URLs are deprecated (RFC 45): Nix can be told to reject them
    /// (`no-url-literals`), and a URL with a character outside the literal's alphabet parses
    /// as something else without warning.
    ///
    /// ## Example
    /// ```nix
    /// { fetchurl }:
    /// fetchurl { url = https://example.org/source.tar.gz; hash = ""; }
    /// ```
    ///
    /// ## Fix
    /// Quotes the URL (safe: a URL literal is the string of its text).
    pub static UNQUOTED_URI = { name: "unquoted-uri", group: Style, severity: Info, fixable: true };
}

pub struct UnquotedUri;

impl FileRule for UnquotedUri {
    fn meta(&self) -> &'static RuleMeta {
        &UNQUOTED_URI
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_LITERAL]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        let Some(token) = node.first_token().filter(|t| t.kind() == SyntaxKind::TOKEN_URI) else {
            return;
        };
        let uri = token.text();
        // The literal's alphabet has none of these, but the fix must stay a plain string even
        // if a tokenizer ever lets one through.
        let quoted = format!(
            "\"{}\"",
            uri.replace('\\', "\\\\").replace('"', "\\\"").replace("${", "\\${")
        );
        let range = token.text_range();
        let diagnostic = Diagnostic::new(&UNQUOTED_URI, cx.span(range), "URL literals are deprecated; quote the URL")
            .with_fix(Fix::safe(
                format!("Replace with `{quoted}`"),
                vec![Edit { span: cx.span(range), new_text: quoted }],
            ));
        cx.report(diagnostic);
    }
}
