//! Static reading of Nix syntax without evaluation: string literals, attribute names and
//! paths, selections like `inputs.srvos.nixosModules.server`. Anything dynamic gives `None`.

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

/// The value of a string literal without interpolation (`"a"` or `''a''`).
pub fn string_literal(expr: &ast::Expr) -> Option<String> {
    match strip_parens(expr) {
        ast::Expr::Str(s) => str_value(&s),
        _ => None,
    }
}

/// The text of a `Str` node without interpolation, with the common escapes undone.
pub fn str_value(s: &ast::Str) -> Option<String> {
    let mut out = String::new();
    for part in string_parts(s)? {
        match part {
            ast::InterpolPart::Literal(text) => out.push_str(&text),
            ast::InterpolPart::Interpolation(_) => return None,
        }
    }
    Some(out)
}

/// The parts of a string, or `None` when the parser could not finish it (see
/// [`crate::scope::string_parts`]).
pub fn string_parts(s: &ast::Str) -> Option<Vec<ast::InterpolPart<String>>> {
    crate::scope::string_parts(s)
}

/// An attribute name: an identifier or a string without interpolation.
pub fn attr_name(attr: &ast::Attr) -> Option<String> {
    match attr {
        ast::Attr::Ident(i) => i.ident_token().map(|t| t.text().to_string()),
        ast::Attr::Str(s) => str_value(s),
        ast::Attr::Dynamic(d) => d.expr().and_then(|e| string_literal(&e)),
    }
}

/// The names of an attribute path (`a.b."c"`); `None` if any part is dynamic.
pub fn attrpath_names(path: &ast::Attrpath) -> Option<Vec<String>> {
    path.attrs().map(|a| attr_name(&a)).collect()
}

/// Removes any number of parentheses around an expression.
pub use nixpilot_semantics::scope::strip_parens;

/// `a.b.c` as `["a", "b", "c"]` when the base is a variable and every attribute is static.
/// Selections with an `or` default are not resolved.
pub fn select_path(expr: &ast::Expr) -> Option<Vec<String>> {
    match strip_parens(expr) {
        ast::Expr::Ident(i) => Some(vec![i.ident_token()?.text().to_string()]),
        ast::Expr::Select(s) => {
            if s.or_token().is_some() {
                return None;
            }
            let mut base = select_path(&s.expr()?)?;
            base.extend(attrpath_names(&s.attrpath()?)?);
            Some(base)
        }
        _ => None,
    }
}

/// The formal argument names of a lambda with a `{ … }` pattern, and whether it has `...`.
pub fn lambda_formals(lambda: &ast::Lambda) -> Option<(Vec<(String, rowan::TextRange)>, bool)> {
    match lambda.param()? {
        ast::Param::Pattern(p) => {
            let names = p
                .pat_entries()
                .filter_map(|e| e.ident())
                .filter_map(|i| i.ident_token())
                .map(|t| (t.text().to_string(), t.text_range()))
                .collect();
            Some((names, p.ellipsis_token().is_some()))
        }
        ast::Param::IdentParam(_) => None,
    }
}

/// The top expression of a file (below `Root`), without parentheses.
pub fn root_expr(root: &SyntaxNode) -> Option<ast::Expr> {
    ast::Root::cast(root.clone())?.expr().map(|e| strip_parens(&e))
}

/// The entries of an attribute set expression (not `rec`-aware; entries are entries).
pub fn attrset_entries(expr: &ast::Expr) -> Option<Vec<ast::Entry>> {
    match strip_parens(expr) {
        ast::Expr::AttrSet(set) => Some(set.entries().collect()),
        _ => None,
    }
}

/// Whether any identifier in `node` reads `name` (a coarse "is it mentioned" check).
pub fn mentions_ident(node: &SyntaxNode, name: &str) -> bool {
    node.descendants().any(|n| {
        n.kind() == SyntaxKind::NODE_IDENT
            && n.parent().is_some_and(|p| p.kind() != SyntaxKind::NODE_ATTRPATH)
            && n.first_token().is_some_and(|t| t.text() == name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(text: &str) -> ast::Expr {
        let parse = rnix::Root::parse(text);
        root_expr(&parse.syntax()).unwrap()
    }

    #[test]
    fn reads_static_values() {
        assert_eq!(string_literal(&expr("\"a\\\"b\"")).as_deref(), Some("a\"b"));
        assert_eq!(string_literal(&expr("''\n  x\n''")).as_deref(), Some("x\n"));
        assert_eq!(string_literal(&expr("\"a${b}\"")), None);
        assert_eq!(
            select_path(&expr("(inputs.srvos.nixosModules.\"server\")")).unwrap(),
            ["inputs", "srvos", "nixosModules", "server"]
        );
        assert_eq!(select_path(&expr("a.${b}")), None);
        assert_eq!(select_path(&expr("a.b or c")), None);
        // Unfinished strings in broken files give nothing, not a panic.
        for broken in ["{ a = \"x${", "{ a = ''x${ b", "\"${", "{ \"a${\" = 1; }"] {
            let parse = rnix::Root::parse(broken);
            for node in parse.syntax().descendants() {
                if let Some(s) = ast::Str::cast(node) {
                    let _ = str_value(&s);
                }
            }
        }
    }
}
