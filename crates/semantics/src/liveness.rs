//! Which bindings are dead: read by nothing, or only from code that runs for other dead
//! bindings (a `let` value, an `inherit (from)` source, a formal's default), computed once per file.
//!
//! The dead set is the largest one closed under "every read lies in the definition of a dead
//! binding", so bindings that only read each other (`let a = b; b = a; in …`) are dead together.
//! Callers say which bindings may die at all (`_x`, `rec` attributes and bindings a rule does
//! not report stay alive), so nothing they keep is ever counted as dead code.

use std::collections::BTreeSet;

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;
use rowan::TextRange;

use crate::scope::{static_name, BindingKind, NameResolution, Target};

/// Code that is evaluated only for some bindings: dead when all of its owners are.
#[derive(Debug, Clone)]
struct Region {
    range: TextRange,
    owners: Vec<usize>,
}

/// The dead bindings of one file.
#[derive(Debug, Default)]
pub struct Liveness {
    dead: Vec<bool>,
    regions: Vec<Region>,
    /// For each reference (by index in `NameResolution::references`), the regions around it,
    /// outermost first: `region_of[ref_start[i]..ref_start[i + 1]]`.
    ref_start: Vec<u32>,
    region_of: Vec<u32>,
}

impl Liveness {
    /// `mortal[b]`: whether binding `b` may be dead at all. Bindings outside it are live.
    pub fn of(root: &SyntaxNode, names: &NameResolution, mortal: &[bool]) -> Liveness {
        let mut out = Liveness {
            dead: names
                .bindings
                .iter()
                .enumerate()
                .map(|(i, _)| mortal.get(i).copied().unwrap_or(false))
                .collect(),
            ..Liveness::default()
        };
        if !out.dead.iter().any(|&d| d) {
            return out;
        }
        out.regions = regions(root, names);
        out.enclose_references(names);
        // Greatest fixpoint: start from every mortal binding and revive those with a read
        // outside every dead region, until nothing changes.
        loop {
            let mut changed = false;
            for b in 0..out.dead.len() {
                if out.dead[b] && !out.reads_all_in_dead_code(names, b) {
                    out.dead[b] = false;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        out
    }

    /// Whether a binding is dead.
    pub fn is_dead(&self, binding: usize) -> bool {
        self.dead.get(binding).copied().unwrap_or(false)
    }

    /// The dead bindings whose definitions read `binding` (directly or through others): what
    /// must be removed together with it so that no removed name is still read. Holds
    /// `binding` itself; empty when it is not dead.
    pub fn removal_set(&self, names: &NameResolution, binding: usize) -> BTreeSet<usize> {
        let mut set = BTreeSet::new();
        if !self.is_dead(binding) {
            return set;
        }
        set.insert(binding);
        let mut work = vec![binding];
        while let Some(b) = work.pop() {
            for r in names.use_indices(b) {
                let around = self.regions_around(r);
                let removes = |g: u32| self.removes(g as usize, names, b);
                if around
                    .iter()
                    .any(|&g| removes(g) && self.regions[g as usize].owners.iter().all(|o| set.contains(o)))
                {
                    continue;
                }
                // The innermost dead region: the fewest bindings that take the read with them.
                let Some(&g) = around
                    .iter()
                    .rev()
                    .find(|&&g| self.region_is_dead(g as usize) && removes(g))
                else {
                    continue;
                };
                for &o in &self.regions[g as usize].owners {
                    if set.insert(o) {
                        work.push(o);
                    }
                }
            }
        }
        set
    }

    fn region_is_dead(&self, region: usize) -> bool {
        self.regions[region].owners.iter().all(|&o| self.dead[o])
    }

    fn regions_around(&self, reference: usize) -> &[u32] {
        match (self.ref_start.get(reference), self.ref_start.get(reference + 1)) {
            (Some(&s), Some(&e)) => &self.region_of[s as usize..e as usize],
            _ => &[],
        }
    }

    fn reads_all_in_dead_code(&self, names: &NameResolution, binding: usize) -> bool {
        names.use_indices(binding).all(|r| {
            self.regions_around(r)
                .iter()
                .any(|&g| self.region_is_dead(g as usize) && self.removes(g as usize, names, binding))
        })
    }

    /// Whether removing a region takes a read of `binding` away: a binding inside the region
    /// goes with it, so its own reads there are no evidence (`f = n: n;` does not make `n` dead),
    /// except in the binding's own definition (`a = a;`).
    fn removes(&self, region: usize, names: &NameResolution, binding: usize) -> bool {
        let region = &self.regions[region];
        region.owners.contains(&binding) || !region.range.contains_range(names.bindings[binding].range)
    }

    /// Fills `ref_start`/`region_of` in one sweep: regions are syntax nodes, so they nest or
    /// are disjoint, and references come in text order.
    fn enclose_references(&mut self, names: &NameResolution) {
        let mut order: Vec<usize> = (0..self.regions.len()).collect();
        order.sort_by_key(|&g| {
            (
                self.regions[g].range.start(),
                std::cmp::Reverse(self.regions[g].range.end()),
            )
        });
        let mut next = 0;
        let mut open: Vec<usize> = Vec::new();
        self.ref_start.reserve(names.references.len() + 1);
        for r in &names.references {
            self.ref_start.push(self.region_of.len() as u32);
            let at = r.range.start();
            while next < order.len() && self.regions[order[next]].range.start() <= at {
                let g = order[next];
                while open
                    .last()
                    .is_some_and(|&o| self.regions[o].range.end() <= self.regions[g].range.start())
                {
                    open.pop();
                }
                open.push(g);
                next += 1;
            }
            while open.last().is_some_and(|&o| self.regions[o].range.end() <= at) {
                open.pop();
            }
            if matches!(r.target, Target::Binding(b) if self.dead[b]) {
                self.region_of.extend(
                    open.iter()
                        .filter(|&&g| self.regions[g].range.contains_range(r.range))
                        .map(|&g| g as u32),
                );
            }
        }
        self.ref_start.push(self.region_of.len() as u32);
    }
}

/// The regions of every `let` and pattern in the file: a let entry belongs to the name it
/// binds, an `inherit (from)` source to all the names it inherits, `inherit x;` to `x`, a
/// formal's default to the formal. Entries whose name cannot be known belong to nobody.
fn regions(root: &SyntaxNode, names: &NameResolution) -> Vec<Region> {
    let mut out = Vec::new();
    let mut last_scope = None;
    for binding in &names.bindings {
        if last_scope == Some(binding.scope) {
            continue;
        }
        last_scope = Some(binding.scope);
        let kind = match binding.kind {
            BindingKind::Let => SyntaxKind::NODE_LET_IN,
            BindingKind::Formal | BindingKind::PatternBind => SyntaxKind::NODE_LAMBDA,
            BindingKind::RecAttr | BindingKind::LambdaArgument => continue,
        };
        let Some(node) = binder_node(root, binding.scope, kind) else {
            continue;
        };
        let scope = binding.scope;
        if let Some(let_in) = ast::LetIn::cast(node.clone()) {
            for entry in let_in.entries() {
                match entry {
                    ast::Entry::AttrpathValue(apv) => {
                        let owner = apv
                            .attrpath()
                            .and_then(|p| p.attrs().next())
                            .and_then(|a| static_name(&a))
                            .and_then(|(name, _)| names.binding(scope, &name));
                        if let Some(owner) = owner {
                            out.push(Region {
                                range: apv.syntax().text_range(),
                                owners: vec![owner],
                            });
                        }
                    }
                    ast::Entry::Inherit(inherit) => {
                        let owners: Option<Vec<usize>> = inherit
                            .attrs()
                            .map(|a| static_name(&a).and_then(|(name, _)| names.binding(scope, &name)))
                            .collect();
                        let Some(owners) = owners else { continue };
                        match inherit.from() {
                            Some(from) => out.push(Region {
                                range: from.syntax().text_range(),
                                owners,
                            }),
                            None => {
                                for (attr, owner) in inherit.attrs().zip(owners) {
                                    out.push(Region {
                                        range: attr.syntax().text_range(),
                                        owners: vec![owner],
                                    });
                                }
                            }
                        }
                    }
                }
            }
        } else if let Some(ast::Param::Pattern(pattern)) = ast::Lambda::cast(node).and_then(|l| l.param()) {
            for entry in pattern.pat_entries() {
                let (Some(default), Some(ident)) = (entry.default(), entry.ident()) else {
                    continue;
                };
                let Some(token) = ident.ident_token() else { continue };
                if let Some(owner) = names.binding(scope, token.text()) {
                    out.push(Region {
                        range: default.syntax().text_range(),
                        owners: vec![owner],
                    });
                }
            }
        }
    }
    out
}

/// The node of `kind` whose range is `range` (a binder recorded by the name resolution).
pub fn binder_node(root: &SyntaxNode, range: TextRange, kind: SyntaxKind) -> Option<SyntaxNode> {
    if !root.text_range().contains_range(range) {
        return None;
    }
    let start = match root.covering_element(range) {
        rowan::NodeOrToken::Node(n) => n,
        rowan::NodeOrToken::Token(t) => t.parent()?,
    };
    start
        .ancestors()
        .take_while(|n| n.text_range() == range || n.text_range().contains_range(range))
        .find(|n| n.kind() == kind && n.text_range() == range)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dead bindings' names when every binding may die except `_`-prefixed ones.
    fn dead(text: &str) -> Vec<String> {
        let root = rnix::Root::parse(text).syntax();
        let names = NameResolution::of(&root);
        let mortal: Vec<bool> = names
            .bindings
            .iter()
            .map(|b| !b.name.starts_with('_') && b.kind != BindingKind::RecAttr)
            .collect();
        let live = Liveness::of(&root, &names, &mortal);
        (0..names.bindings.len())
            .filter(|&b| live.is_dead(b))
            .map(|b| names.bindings[b].name.clone())
            .collect()
    }

    #[test]
    fn reads_from_dead_definitions_do_not_keep_a_binding_alive() {
        assert_eq!(dead("let a = 1; b = a; in 2"), ["a", "b"]);
        assert_eq!(dead("let a = b; b = a; in 2"), ["a", "b"]);
        assert_eq!(dead("let a = 1; b = a; in b"), Vec::<String>::new());
        assert_eq!(dead("x: let f = y: x; in 1"), ["x", "f", "y"]);
        // A binding inside dead code is read there: only the code around it is dead.
        assert_eq!(dead("let f = n: n; in 1"), ["f"]);
        assert_eq!(dead("let a = a; in 1"), ["a"]);
        assert_eq!(dead("let a = 1; _b = a; in 2"), Vec::<String>::new());
    }

    #[test]
    fn an_inherit_source_dies_only_with_all_it_inherits() {
        assert_eq!(dead("let s = {}; inherit (s) a b; in a"), ["b"]);
        assert_eq!(dead("let s = {}; inherit (s) a b; in 1"), ["s", "a", "b"]);
        assert_eq!(dead("x: let inherit x; in 1"), ["x", "x"]);
    }

    #[test]
    fn a_formal_default_is_dead_code_when_the_formal_is() {
        assert_eq!(dead("let d = 1; in { a ? d }: 2"), ["d", "a"]);
        assert_eq!(dead("let d = 1; in { a ? d }: a"), Vec::<String>::new());
    }

    #[test]
    fn removal_sets_take_the_dead_readers_along() {
        let text = "let a = 1; b = a; c = b; d = 2; in d";
        let root = rnix::Root::parse(text).syntax();
        let names = NameResolution::of(&root);
        let mortal = vec![true; names.bindings.len()];
        let live = Liveness::of(&root, &names, &mortal);
        let set = |b| -> Vec<&str> {
            live.removal_set(&names, b)
                .into_iter()
                .map(|i| names.bindings[i].name.as_str())
                .collect()
        };
        assert_eq!(set(0), ["a", "b", "c"]);
        assert_eq!(set(2), ["c"]);
        assert!(set(3).is_empty());
    }
}
