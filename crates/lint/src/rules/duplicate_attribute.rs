//! `duplicate-attribute`: an attribute set, `rec` set or `let` that defines one name twice,
//! judged the way Nix's parser merges bindings (so what it accepts, this accepts too).
//!
//! Nix builds a set's attributes one binding at a time: `a.b = …` adds to an `a` that is an
//! attribute set literal (or was made by another `a.… = …`), `a = { … }` merges into such an
//! `a` when both are literals, and everything else meeting an existing name is an error.

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;
use rowan::TextRange;

use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::Diagnostic;
use crate::scope::{constant_name, is_merge_root};

crate::declare_rule! {
    /// ## What it does
    /// Reports a name defined twice in one attribute set, `rec` set or `let`: `a = 1; a = 2;`,
    /// `inherit a;` next to `a = …;`, `"a"` next to `a`, or `a.b = …;` next to an `a` that is
    /// not an attribute set. It follows Nix's own merging: `a.b = 1; a.c = 2;`,
    /// `a = { b = 1; }; a.c = 2;` and `a = { b = 1; }; a = { c = 2; };` are one set `a` and
    /// are fine, as long as no name inside is defined twice.
    ///
    /// ## Why is this bad?
    /// Nix rejects the whole file before evaluating anything ("attribute 'a' already
    /// defined"), so every host importing it fails to build.
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   services.openssh.enable = true;
    ///   services.openssh = { enable = true; ports = [ 22 ]; };
    /// }
    /// ```
    /// (`enable` is set twice once the two `services.openssh` are merged).
    ///
    /// ## Fix
    /// Keep one of the definitions. There is no automatic fix: which value was meant is
    /// for you to say.
    pub static DUPLICATE_ATTRIBUTE = { name: "duplicate-attribute", group: Syntax, severity: Error, fixable: false };
}

pub struct DuplicateAttribute;

impl FileRule for DuplicateAttribute {
    fn meta(&self) -> &'static RuleMeta {
        &DUPLICATE_ATTRIBUTE
    }

    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[SyntaxKind::NODE_ATTR_SET, SyntaxKind::NODE_LET_IN, SyntaxKind::NODE_LEGACY_LET]
    }

    fn check_node(&self, node: &SyntaxNode, cx: &mut FileContext<'_>) {
        // A set that is the value of another binding is checked with that binding's set,
        // where it may merge with a sibling; it is checked once, from the outermost binder.
        if !is_merge_root(node) {
            return;
        }
        let mut found = Vec::new();
        let mut attrs = Attrs::default();
        if let Some(entries) = entries_of(node) {
            add_entries(entries, &mut attrs, &mut found);
        }
        for duplicate in found {
            let diagnostic = Diagnostic::new(&DUPLICATE_ATTRIBUTE, cx.span(duplicate.at), duplicate.message)
                .with_label(cx.span(duplicate.first), "first defined here");
            cx.report(diagnostic);
        }
    }
}

/// The bindings of a set, `let … in` or legacy `let { }`.
fn entries_of(node: &SyntaxNode) -> Option<rowan::ast::AstChildren<ast::Entry>> {
    match node.kind() {
        SyntaxKind::NODE_ATTR_SET => ast::AttrSet::cast(node.clone()).map(|s| s.entries()),
        SyntaxKind::NODE_LET_IN => ast::LetIn::cast(node.clone()).map(|l| l.entries()),
        SyntaxKind::NODE_LEGACY_LET => ast::LegacyLet::cast(node.clone()).map(|l| l.entries()),
        _ => None,
    }
}

/// Sets with up to this many names are searched by a scan; larger ones get an index.
const SCAN_UP_TO: usize = 16;

/// The names a set defines so far, in the shape Nix's parser keeps them.
#[derive(Default)]
struct Attrs {
    defs: Vec<Def>,
    /// Name -> index in `defs`: a generated set can hold tens of thousands of names.
    index: std::collections::HashMap<String, usize>,
}

struct Def {
    name: String,
    /// The name as first written.
    at: TextRange,
    value: Value,
}

enum Value {
    /// An attribute set literal, or one made by `a.b = …`: later bindings may add to it.
    Set(Attrs),
    /// Anything else (an `inherit` included): nothing can be added to it.
    Other,
}

impl Attrs {
    fn position(&self, name: &str) -> Option<usize> {
        if self.defs.len() <= SCAN_UP_TO {
            return self.defs.iter().position(|d| d.name == name);
        }
        self.index.get(name).copied()
    }

    /// Adds a name not yet defined; returns its index.
    fn push(&mut self, def: Def) -> usize {
        let i = self.defs.len();
        if i == SCAN_UP_TO {
            // The set outgrows a scan: index every name so far.
            self.index = self.defs.iter().enumerate().map(|(j, d)| (d.name.clone(), j)).collect();
        }
        if i >= SCAN_UP_TO {
            self.index.insert(def.name.clone(), i);
        }
        self.defs.push(def);
        i
    }
}

struct Duplicate {
    at: TextRange,
    first: TextRange,
    message: String,
}

fn add_entries(entries: impl Iterator<Item = ast::Entry>, attrs: &mut Attrs, found: &mut Vec<Duplicate>) {
    for entry in entries {
        match entry {
            ast::Entry::AttrpathValue(binding) => {
                let value = binding.value().map_or(Value::Other, |v| value_of(v, found));
                let Some(path) = binding.attrpath() else { continue };
                add_path(attrs, path.attrs().map(|a| constant_name(&a)), value, found);
            }
            ast::Entry::Inherit(inherit) => {
                // A dynamic name in `inherit` is a syntax error of its own.
                for (name, at) in inherit.attrs().filter_map(|a| constant_name(&a)) {
                    match attrs.position(&name) {
                        Some(i) => found.push(Duplicate {
                            at,
                            first: attrs.defs[i].at,
                            message: format!("attribute `{name}` is already defined"),
                        }),
                        None => {
                            attrs.push(Def {
                                name,
                                at,
                                value: Value::Other,
                            });
                        }
                    }
                }
            }
        }
    }
}

/// A binding's value as Nix's parser sees it: a set literal (`rec` or not, in parentheses
/// or not) keeps its names, checked here; anything else is opaque.
fn value_of(mut expr: ast::Expr, found: &mut Vec<Duplicate>) -> Value {
    while let ast::Expr::Paren(paren) = expr {
        match paren.expr() {
            Some(inner) => expr = inner,
            None => return Value::Other,
        }
    }
    let ast::Expr::AttrSet(set) = expr else { return Value::Other };
    let mut attrs = Attrs::default();
    add_entries(set.entries(), &mut attrs, found);
    Value::Set(attrs)
}

/// Adds `path = value` to `attrs` as Nix's `addAttr` does, recording the clashes.
fn add_path(
    attrs: &mut Attrs,
    path: impl Iterator<Item = Option<(String, TextRange)>>,
    value: Value,
    found: &mut Vec<Duplicate>,
) {
    let path: Vec<Option<(String, TextRange)>> = path.collect();
    let Some((last, init)) = path.split_last() else { return };
    let mut written = String::new();
    let mut current = attrs;
    for step in init {
        // After a dynamic name the rest lands in a set of its own, which nothing else reaches.
        let Some((name, at)) = step else { return };
        push_segment(&mut written, name);
        let index = match current.position(name) {
            Some(i) => i,
            None => current.push(Def {
                name: name.clone(),
                at: *at,
                value: Value::Set(Attrs::default()),
            }),
        };
        let def = &mut current.defs[index];
        match &mut def.value {
            Value::Set(inner) => current = inner,
            Value::Other => {
                found.push(Duplicate {
                    at: *at,
                    first: def.at,
                    message: format!(
                        "attribute `{written}` is already defined, and not as an attribute set that more names could be added to"
                    ),
                });
                return;
            }
        }
    }
    let Some((name, at)) = last else { return };
    push_segment(&mut written, name);
    let Some(index) = current.position(name) else {
        current.push(Def {
            name: name.clone(),
            at: *at,
            value,
        });
        return;
    };
    let def = &mut current.defs[index];
    match (&mut def.value, value) {
        // Two set literals for one name merge, one level deep: a name in both is a clash.
        (Value::Set(existing), Value::Set(added)) => {
            for inner in added.defs {
                match existing.position(&inner.name) {
                    Some(i) => found.push(Duplicate {
                        at: inner.at,
                        first: existing.defs[i].at,
                        message: format!("attribute `{written}.{}` is already defined", inner.name),
                    }),
                    None => {
                        existing.push(inner);
                    }
                }
            }
        }
        _ => found.push(Duplicate {
            at: *at,
            first: def.at,
            message: format!("attribute `{written}` is already defined"),
        }),
    }
}

/// Appends one attribute name to a dotted path, quoting it when it is not an identifier.
fn push_segment(path: &mut String, name: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'));
    if plain {
        path.push_str(name);
    } else {
        path.push_str(&format!("{name:?}"));
    }
}
