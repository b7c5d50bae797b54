//! What the rewriting fixes share: whether an expression may take another's place without
//! parentheses, spacing so spliced text does not fuse with its neighbours, and name lookups.

use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;
use rowan::TextRange;

use crate::scope::{NameResolution, Target};

/// Whether `node` sits where Nix accepts any expression: the file's top, inside parentheses,
/// a binding's value, the body of `let`/lambda/`with`/`assert`, a branch of `if`, a formal's
/// default, an interpolation, or an `inherit (…)` source. There, `x: y`, `if …` or `a + b`
/// need no parentheses.
pub fn in_full_expression_slot(node: &SyntaxNode) -> bool {
    let Some(parent) = node.parent() else { return true };
    matches!(
        parent.kind(),
        SyntaxKind::NODE_ROOT
            | SyntaxKind::NODE_PAREN
            | SyntaxKind::NODE_ATTRPATH_VALUE
            | SyntaxKind::NODE_LET_IN
            | SyntaxKind::NODE_LAMBDA
            | SyntaxKind::NODE_WITH
            | SyntaxKind::NODE_ASSERT
            | SyntaxKind::NODE_IF_ELSE
            | SyntaxKind::NODE_PAT_ENTRY
            | SyntaxKind::NODE_INTERPOL
            | SyntaxKind::NODE_DYNAMIC
            | SyntaxKind::NODE_INHERIT_FROM
    )
}

/// Whether `replacement` (an expression's kind, and whether it carries `or`) can stand where
/// `slot` is without parentheses, so the text parses to the same tree shape.
pub fn fits_without_parens(slot: &SyntaxNode, replacement: &ast::Expr) -> bool {
    if in_full_expression_slot(slot) {
        return true;
    }
    match replacement {
        // These bind at least as tightly as anything around them.
        ast::Expr::Ident(_) | ast::Expr::Str(_) | ast::Expr::List(_) | ast::Expr::AttrSet(_) | ast::Expr::Paren(_) => {
            true
        }
        // `x.a or d` as the subject of another selection would swallow it: `x.a or d.b`.
        ast::Expr::Select(select) => select.or_token().is_none() || !is_select_subject(slot),
        _ => false,
    }
}

/// Whether `node` is the expression a `.` selects from or a `?` tests.
fn is_select_subject(node: &SyntaxNode) -> bool {
    node.parent().is_some_and(|p| {
        matches!(p.kind(), SyntaxKind::NODE_SELECT | SyntaxKind::NODE_HAS_ATTR)
            && p.first_child().is_some_and(|first| first == *node)
    })
}

/// `replacement`'s text as it must be written in `slot`'s place: in parentheses when it does
/// not fit there bare.
pub fn text_for_slot(slot: &SyntaxNode, replacement: &ast::Expr) -> String {
    let text = replacement.syntax().text().to_string();
    if fits_without_parens(slot, replacement) {
        text
    } else {
        format!("({text})")
    }
}

/// `new_text` with a space added on a side where it would otherwise touch a character it
/// could fuse with: `f(x)` becomes `f x`, not `fx`; `x:(y)` becomes `x: y`, not the URL `x:y`.
pub fn padded(file_text: &str, range: TextRange, new_text: &str) -> String {
    let before = file_text[..usize::from(range.start())].chars().next_back();
    let after = file_text[usize::from(range.end())..].chars().next();
    let mut out = String::with_capacity(new_text.len() + 2);
    if before.is_some_and(|c| !c.is_whitespace() && !"([{;=".contains(c)) {
        out.push(' ');
    }
    out.push_str(new_text);
    if after.is_some_and(|c| !c.is_whitespace() && !")]};,.".contains(c)) {
        out.push(' ');
    }
    out
}

/// How many comments a node holds: a fix that keeps only part of a node must keep them all.
pub fn comment_count(node: &SyntaxNode) -> usize {
    node.descendants_with_tokens()
        .filter(|e| e.kind() == SyntaxKind::TOKEN_COMMENT)
        .count()
}

/// Whether a node or anything below it is a parse error (fixes leave broken code alone).
pub use nixpilot_semantics::scope::has_parse_error as has_error;

/// Whether the identifier `ident` reads a name no `let`, `rec`, lambda or formal of the file
/// binds: then `true`, `false` and `builtins` mean Nix's own (a `with` cannot shadow them).
pub fn is_global(names: &NameResolution, ident: &ast::Ident) -> bool {
    names
        .reference_at(ident.syntax().text_range())
        .is_some_and(|r| !matches!(r.target, Target::Binding(_)))
}

/// The name token of an expression that is a plain variable (no allocation: rules ask this
/// of every operand they look at).
pub fn ident_token(expr: &ast::Expr) -> Option<rnix::SyntaxToken> {
    match expr {
        ast::Expr::Ident(i) => i.ident_token(),
        _ => None,
    }
}

/// A one-line excerpt of code for a message.
pub fn excerpt(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.len() < text.len() || line.chars().count() > 60 {
        let cut: String = line.chars().take(60).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}
