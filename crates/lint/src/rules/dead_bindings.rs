//! The file's unused bindings as the unused-binding rules report them, and the edits that remove
//! them: which names may be reported at all (`_x`, broken code, `@` patterns, the options) is decided here once.
//!
//! A binding read only from the definitions of other reported bindings is reported too, and its
//! fix removes those definitions with it, so applying any one fix leaves no name undefined.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;
use rowan::{TextRange, TextSize};

use super::FileContext;
use crate::diagnostic::{Edit, Fix};
use crate::scope::{BindingKind, NameResolution};
use nixpilot_semantics::liveness::{binder_node, Liveness};

/// The reported-unused bindings of one file.
pub struct DeadBindings {
    pub names: Rc<NameResolution>,
    liveness: Liveness,
    /// The unused bindings of each binder (let, lambda), by the binder's range, in text order.
    by_binder: HashMap<TextRange, Vec<usize>>,
}

/// What removing a set of bindings takes.
pub struct Removal {
    pub deletions: Vec<TextRange>,
    /// False when a removed formal changes which arguments the function accepts or requires.
    pub safe: bool,
}

impl DeadBindings {
    pub fn of(cx: &FileContext<'_>) -> DeadBindings {
        let names = cx.names();
        let mortal = mortal_bindings(cx, &names);
        let liveness = Liveness::of(cx.root, &names, &mortal);
        let mut by_binder: HashMap<TextRange, Vec<usize>> = HashMap::new();
        for (b, binding) in names.bindings.iter().enumerate() {
            if liveness.is_dead(b) {
                by_binder.entry(binding.scope).or_default().push(b);
            }
        }
        DeadBindings {
            names,
            liveness,
            by_binder,
        }
    }

    /// The unused bindings a let or lambda binds.
    pub fn unused_in(&self, binder: &SyntaxNode) -> &[usize] {
        self.by_binder.get(&binder.text_range()).map_or(&[], Vec::as_slice)
    }

    pub fn is_dead(&self, binding: usize) -> bool {
        self.liveness.is_dead(binding)
    }

    /// The other unused bindings that read `binding`: why it counts as unused although read.
    pub fn dead_readers(&self, binding: usize) -> Vec<&str> {
        self.liveness
            .removal_set(&self.names, binding)
            .into_iter()
            .filter(|&b| b != binding)
            .map(|b| self.names.bindings[b].name.as_str())
            .collect()
    }

    /// The fix removing `binding` and every unused binding that reads it; `None` when it is not
    /// unused or is a kind of binding that cannot be removed (a lambda argument, an `@` name).
    pub fn removal_fix(&self, cx: &FileContext<'_>, binding: usize) -> Option<Fix> {
        let mut set = self.liveness.removal_set(&self.names, binding);
        // A `let` all of whose bindings go is removed whole, so everything its unused
        // bindings are read by must go too.
        let mut whole_lets: Vec<TextRange> = Vec::new();
        loop {
            let mut grown: Vec<usize> = Vec::new();
            for &b in &set {
                let scope = self.names.bindings[b].scope;
                if self.names.bindings[b].kind == BindingKind::Let
                    && !whole_lets.contains(&scope)
                    && self.all_dead(scope)
                {
                    whole_lets.push(scope);
                    grown.extend(self.by_binder.get(&scope).into_iter().flatten());
                }
            }
            let before = set.len();
            for b in grown {
                set.extend(self.liveness.removal_set(&self.names, b));
            }
            if set.len() == before {
                break;
            }
        }
        let removal = removal(cx.root, &self.names, &set)?;
        let own = &self.names.bindings[binding];
        let title = if own.kind == BindingKind::Let && whole_lets.contains(&own.scope) {
            "Remove the `let … in` whose bindings are all unused".to_string()
        } else if set.len() == 1 {
            let what = if own.kind == BindingKind::Formal {
                "formal"
            } else {
                "binding"
            };
            format!("Remove the unused {what} `{}`", own.name)
        } else {
            format!("Remove `{}` and the unused bindings that read it", own.name)
        };
        let edits = removal
            .deletions
            .into_iter()
            .map(|r| Edit {
                span: cx.span(r),
                new_text: String::new(),
            })
            .collect();
        Some(if removal.safe {
            Fix::safe(title, edits)
        } else {
            Fix::unsafe_(title, edits)
        })
    }

    /// Whether every binding of the binder at `scope` is unused.
    fn all_dead(&self, scope: TextRange) -> bool {
        let bindings = &self.names.bindings;
        let first = bindings.partition_point(|b| b.scope.start() < scope.start());
        let count = bindings[first..].iter().take_while(|b| b.scope == scope).count();
        self.by_binder.get(&scope).is_some_and(|dead| dead.len() == count)
    }

    /// The message shared by the rules: `what` names the kind of binding ("formal"), or is empty.
    pub fn message(&self, what: &str, binding: usize) -> String {
        let name = &self.names.bindings[binding].name;
        let subject = if what.is_empty() {
            format!("`{name}`")
        } else {
            format!("{what} `{name}`")
        };
        let readers = self.dead_readers(binding);
        if readers.is_empty() {
            format!("{subject} is bound here but never used")
        } else {
            let list: Vec<String> = readers.iter().map(|r| format!("`{r}`")).collect();
            format!(
                "{subject} is bound here but only read by unused bindings ({})",
                list.join(", ")
            )
        }
    }
}

/// Which bindings may be reported: none starting with `_`; no `rec` attribute (it is part of
/// the set's value); nothing inside code the parser could not finish; formals only where the
/// options and an `@` name leave them to the function alone.
fn mortal_bindings(cx: &FileContext<'_>, names: &NameResolution) -> Vec<bool> {
    let mut mortal = vec![false; names.bindings.len()];
    let mut i = 0;
    while i < names.bindings.len() {
        let scope = names.bindings[i].scope;
        let end = (i..names.bindings.len())
            .find(|&j| names.bindings[j].scope != scope)
            .unwrap_or(names.bindings.len());
        let group = i..end;
        i = end;
        let kind = match names.bindings[group.start].kind {
            BindingKind::RecAttr => continue,
            BindingKind::Let => SyntaxKind::NODE_LET_IN,
            _ => SyntaxKind::NODE_LAMBDA,
        };
        let Some(node) = binder_node(cx.root, scope, kind) else {
            continue;
        };
        if cx.has_errors_in(node.text_range()) {
            continue;
        }
        let pattern = ast::Lambda::cast(node.clone())
            .and_then(|l| l.param())
            .and_then(|p| match p {
                ast::Param::Pattern(p) => Some(p),
                ast::Param::IdentParam(_) => None,
            });
        let interface = pattern.as_ref().is_some_and(|p| p.ellipsis_token().is_some()) || is_flake_outputs(cx, &node);
        let kept_by_bind = group
            .clone()
            .find(|&b| names.bindings[b].kind == BindingKind::PatternBind)
            .map(|b| names_read_through(cx.root, names, b));
        for b in group {
            let binding = &names.bindings[b];
            if binding.name.starts_with('_') {
                continue;
            }
            mortal[b] = match binding.kind {
                BindingKind::Formal => {
                    (cx.options.unused_formal.open_patterns || !interface)
                        && match &kept_by_bind {
                            None => true,
                            Some(ReadThrough::Everything) => false,
                            Some(ReadThrough::Names(read)) => !read.contains(binding.name.as_str()),
                        }
                }
                _ => true,
            };
        }
    }
    mortal
}

/// The `outputs` function of a `flake.nix`: Nix calls it with `self` and every input, so its
/// formals follow the inputs (an unused input is `unused-input`'s finding, and a closed pattern
/// must name `self`).
fn is_flake_outputs(cx: &FileContext<'_>, lambda: &SyntaxNode) -> bool {
    let file = &*cx.file.path;
    if file != "flake.nix" && !file.ends_with("/flake.nix") {
        return false;
    }
    lambda
        .parent()
        .and_then(ast::AttrpathValue::cast)
        .and_then(|apv| apv.attrpath())
        .is_some_and(|path| path.syntax().text() == "outputs")
}

/// What an `@` name's reads may take from the argument set.
enum ReadThrough {
    /// Only these attributes (`args.a`, `args ? a`, `inherit (args) a`).
    Names(HashSet<String>),
    /// Anything: `args` is passed on or combined whole.
    Everything,
}

/// A formal whose name an `@` name's reads may take stays: callers that look at the
/// function's formals (the module system, `callPackage`) put only the named ones in the set.
fn names_read_through(root: &SyntaxNode, names: &NameResolution, bind: usize) -> ReadThrough {
    let mut read = HashSet::new();
    for r in names.uses(bind) {
        let Some(ident) = root.covering_element(r.range).into_token().and_then(|t| t.parent()) else {
            return ReadThrough::Everything;
        };
        let Some(parent) = ident.parent() else {
            return ReadThrough::Everything;
        };
        let attrs: Vec<ast::Attr> = match parent.kind() {
            SyntaxKind::NODE_SELECT => match ast::Select::cast(parent) {
                Some(s) if s.expr().is_some_and(|e| e.syntax() == &ident) => {
                    s.attrpath().and_then(|p| p.attrs().next()).into_iter().collect()
                }
                _ => return ReadThrough::Everything,
            },
            SyntaxKind::NODE_HAS_ATTR => match ast::HasAttr::cast(parent) {
                Some(h) if h.expr().is_some_and(|e| e.syntax() == &ident) => {
                    h.attrpath().and_then(|p| p.attrs().next()).into_iter().collect()
                }
                _ => return ReadThrough::Everything,
            },
            SyntaxKind::NODE_INHERIT_FROM => match parent.parent().and_then(ast::Inherit::cast) {
                Some(i) => i.attrs().collect(),
                None => return ReadThrough::Everything,
            },
            _ => return ReadThrough::Everything,
        };
        if attrs.is_empty() {
            return ReadThrough::Everything;
        }
        for attr in attrs {
            match crate::scope::static_name(&attr) {
                Some((name, _)) => {
                    read.insert(name);
                }
                None => return ReadThrough::Everything,
            }
        }
    }
    ReadThrough::Names(read)
}

/// The deletions removing every binding of `set` (let entries and formals); `None` when one of
/// them cannot be removed by deleting text.
fn removal(root: &SyntaxNode, names: &NameResolution, set: &BTreeSet<usize>) -> Option<Removal> {
    let mut deletions = Vec::new();
    let mut safe = true;
    let mut scopes: Vec<(TextRange, bool)> = Vec::new();
    for &b in set {
        let binding = &names.bindings[b];
        let key = (binding.scope, binding.kind == BindingKind::Let);
        if !scopes.contains(&key) {
            scopes.push(key);
        }
    }
    for (scope, is_let) in scopes {
        if is_let {
            let node = binder_node(root, scope, SyntaxKind::NODE_LET_IN)?;
            let let_in = ast::LetIn::cast(node.clone())?;
            let in_set = |attr: &ast::Attr| {
                crate::scope::static_name(attr)
                    .and_then(|(name, _)| names.binding(scope, &name))
                    .is_some_and(|b| set.contains(&b))
            };
            let mut whole = true;
            for entry in let_in.entries() {
                match entry {
                    ast::Entry::AttrpathValue(apv) => match apv.attrpath().and_then(|p| p.attrs().next()) {
                        Some(first) if in_set(&first) => {
                            deletions.push(extend_over_leading_space(&node, apv.syntax().text_range()));
                        }
                        _ => whole = false,
                    },
                    ast::Entry::Inherit(inherit) => {
                        let attrs: Vec<ast::Attr> = inherit.attrs().collect();
                        let removed = attrs.iter().filter(|a| in_set(a)).count();
                        if removed == attrs.len() {
                            deletions.push(extend_over_leading_space(&node, inherit.syntax().text_range()));
                        } else {
                            whole = false;
                            for attr in attrs.iter().filter(|a| in_set(a)) {
                                deletions.push(extend_over_leading_space(&node, attr.syntax().text_range()));
                            }
                        }
                    }
                }
            }
            if whole {
                let body = let_in.body()?;
                deletions.push(TextRange::new(
                    node.text_range().start(),
                    body.syntax().text_range().start(),
                ));
            }
        } else {
            let node = binder_node(root, scope, SyntaxKind::NODE_LAMBDA)?;
            let Some(ast::Param::Pattern(pattern)) = ast::Lambda::cast(node)?.param() else {
                return None;
            };
            let open = pattern.ellipsis_token().is_some();
            for &b in set.iter().filter(|&&b| names.bindings[b].scope == scope) {
                let binding = &names.bindings[b];
                if binding.kind != BindingKind::Formal {
                    return None;
                }
                let entry = pattern.pat_entries().find(|e| {
                    e.ident()
                        .and_then(|i| i.ident_token())
                        .is_some_and(|t| t.text_range() == binding.range)
                })?;
                // Without `...` callers passing the name would now fail; without a default,
                // callers leaving it out would now succeed.
                safe &= open && entry.default().is_some();
                deletions.push(formal_deletion(entry.syntax()));
            }
        }
    }
    Some(Removal {
        deletions: merge(deletions),
        safe,
    })
}

/// A formal with its comma: the one after it (and the spaces after that), or for the last
/// formal the one before it.
fn formal_deletion(entry: &SyntaxNode) -> TextRange {
    let range = entry.text_range();
    let next = next_non_trivia(entry.last_token(), true);
    if let Some(comma) = next.filter(|t| t.kind() == SyntaxKind::TOKEN_COMMA) {
        let mut end = comma.text_range().end();
        let mut after = comma.next_token();
        while let Some(t) = after.filter(|t| t.kind() == SyntaxKind::TOKEN_WHITESPACE) {
            end = t.text_range().end();
            after = t.next_token();
        }
        return TextRange::new(range.start(), end);
    }
    match next_non_trivia(entry.first_token(), false) {
        Some(comma) if comma.kind() == SyntaxKind::TOKEN_COMMA => {
            TextRange::new(comma.text_range().start(), range.end())
        }
        _ => range,
    }
}

fn next_non_trivia(from: Option<rnix::SyntaxToken>, forward: bool) -> Option<rnix::SyntaxToken> {
    let mut token = from?;
    loop {
        token = if forward {
            token.next_token()?
        } else {
            token.prev_token()?
        };
        if !matches!(token.kind(), SyntaxKind::TOKEN_WHITESPACE | SyntaxKind::TOKEN_COMMENT) {
            return Some(token);
        }
    }
}

/// Sorted, with overlapping and touching deletions joined.
fn merge(mut ranges: Vec<TextRange>) -> Vec<TextRange> {
    ranges.sort_by_key(|r| (r.start(), r.end()));
    let mut out: Vec<TextRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start() <= last.end() => *last = last.cover(r),
            _ => out.push(r),
        }
    }
    out
}

/// `range` with the spaces before it on its line (and the line's indentation), so that removing
/// a let entry leaves no blank line behind.
pub(crate) fn extend_over_leading_space(let_node: &SyntaxNode, range: TextRange) -> TextRange {
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
