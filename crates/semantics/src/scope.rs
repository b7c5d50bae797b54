//! Name resolution for one file: every variable reference resolved once to the binding it
//! reads (let, rec set, lambda argument, formal, `@` name), to an enclosing `with`, or to nothing.
//!
//! Follows Nix's rules: a lexical binding at any depth wins over every `with`; `let`, `rec { }`
//! and the legacy `let { }` see their own names in values, `inherit (from)` sources and dynamic
//! keys, while `inherit x;` reads `x` from the scope around them; formals and the `@` name are
//! visible in the defaults and the body. The walk is iterative, so nesting costs no stack.

use std::collections::{BTreeSet, HashMap};

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode, WalkEvent};
use rowan::ast::AstNode;
use rowan::TextRange;

/// What binds a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingKind {
    Let,
    /// A `rec { }` set or the legacy `let { }`.
    RecAttr,
    /// `x: …`
    LambdaArgument,
    /// `{ x ? …, … }: …`
    Formal,
    /// `args@{ … }: …`
    PatternBind,
}

/// One bound name.
#[derive(Debug, Clone)]
pub struct Binding {
    pub name: String,
    /// Where the name is first written in its binder.
    pub range: TextRange,
    /// The node that binds it (the let, the rec set, the lambda).
    pub scope: TextRange,
    pub kind: BindingKind,
}

/// What a reference reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// An index into `NameResolution::bindings`.
    Binding(usize),
    /// No lexical binding, but a `with` around it may provide one.
    With,
    /// Nothing in the file binds it: a builtin (`true`, `builtins`, `import`…) or undefined.
    Free,
}

/// One variable read.
#[derive(Debug, Clone)]
pub struct Reference {
    pub name: String,
    pub range: TextRange,
    pub target: Target,
}

impl Reference {
    /// Whether it reads a global builtin or constant (`map`, `true`, `__attrNames`, `builtins`):
    /// nothing in the file binds it and Nix defines it. A `with` around it does not matter:
    /// globals belong to the outermost lexical scope, which wins over every `with`
    /// (`with { map = 1; }; map` is still the builtin).
    pub fn is_global(&self) -> bool {
        !matches!(self.target, Target::Binding(_)) && crate::builtins::is_global(&self.name)
    }

    /// Whether nothing defines it: no binding, no `with` around it, no global of that name.
    /// Nix rejects such a file before evaluating it.
    pub fn is_undefined(&self) -> bool {
        self.target == Target::Free && !crate::builtins::is_global(&self.name)
    }
}

/// The resolution of a whole file (or subtree).
#[derive(Debug, Default)]
pub struct NameResolution {
    pub bindings: Vec<Binding>,
    pub references: Vec<Reference>,
    by_scope: HashMap<(TextRange, String), usize>,
    uses: Vec<Vec<usize>>,
}

/// A scope on the walk's stack: the node it belongs to and the names it binds (`None` for a
/// `with` body, which binds names nobody can list).
struct Scope {
    owner: SyntaxNode,
    names: Option<HashMap<String, usize>>,
}

/// Builds a [`NameResolution`] from the events of a preorder walk, so a caller that walks the
/// tree anyway (the lint engine) resolves names in the same pass instead of walking twice.
pub struct Resolver {
    out: NameResolution,
    stack: Vec<Scope>,
    /// The bodies of the `with`s entered and not yet reached: the walk meets a body after
    /// its namespace expression, and only then does the namespace come into scope.
    with_bodies: Vec<SyntaxNode>,
    /// Whether `rec` sets may be merged (so scopes planned): false for a text without the word.
    has_rec: bool,
    /// Scopes planned by merging, to open at the nodes they belong to.
    merged: HashMap<SyntaxNode, MergedScopes>,
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver::new()
    }
}

impl Resolver {
    pub fn new() -> Resolver {
        Resolver {
            out: NameResolution::default(),
            stack: Vec::new(),
            with_bodies: Vec::new(),
            has_rec: true,
            merged: HashMap::new(),
        }
    }

    /// A resolver for the tree of `text`: a file without the word `rec` (so without a `rec`
    /// set, whose scope merging could move) skips planning merges.
    pub fn for_text(text: &str) -> Resolver {
        Resolver {
            has_rec: has_rec_word(text),
            ..Resolver::new()
        }
    }

    /// A node entered by the walk (every node, in preorder).
    pub fn enter(&mut self, node: &SyntaxNode) {
        // First: the body of a `with` may itself be the name it provides.
        if self.with_bodies.last() == Some(node) {
            self.with_bodies.pop();
            self.stack.push(Scope {
                owner: node.clone(),
                names: None,
            });
        }
        let kind = node.kind();
        let binds = matches!(
            kind,
            SyntaxKind::NODE_LET_IN | SyntaxKind::NODE_ATTR_SET | SyntaxKind::NODE_LEGACY_LET | SyntaxKind::NODE_LAMBDA
        );
        let mut replaces_own = false;
        if self.has_rec {
            if binds && is_merge_root(node) {
                self.out.plan_merges(node, &mut self.merged);
            }
            // Planned scopes open at binders and at the values of merged bindings.
            let plan = if self.merged.is_empty() {
                None
            } else {
                self.merged.remove(node)
            };
            if let Some(plan) = plan {
                for names in plan.scopes {
                    self.stack.push(Scope {
                        owner: node.clone(),
                        names: Some(names),
                    });
                }
                replaces_own = plan.replaces_own;
            }
        }
        match kind {
            SyntaxKind::NODE_IDENT => {
                if let Some(skip_owner) = reference_position(node) {
                    self.out.add_reference(node, &self.stack, skip_owner.as_ref());
                }
            }
            SyntaxKind::NODE_WITH => {
                if let Some(body) = ast::With::cast(node.clone()).and_then(|w| w.body()) {
                    self.with_bodies.push(body.syntax().clone());
                }
            }
            SyntaxKind::NODE_STRING | SyntaxKind::NODE_DYNAMIC
                if node.parent().is_some_and(|p| p.kind() == SyntaxKind::NODE_INHERIT) =>
            {
                let name = ast::Attr::cast(node.clone()).and_then(|a| constant_name(&a));
                if let (Some((name, range)), Some(skip_owner)) = (name, reference_position(node)) {
                    self.out
                        .add_named_reference(&name, range, &self.stack, skip_owner.as_ref());
                }
            }
            _ if binds && !replaces_own => {
                if let Some(names) = self.out.binders(node) {
                    self.stack.push(Scope {
                        owner: node.clone(),
                        names: Some(names),
                    });
                }
            }
            _ => {}
        }
    }

    /// A node left by the walk.
    pub fn leave(&mut self, node: &SyntaxNode) {
        while self.stack.last().is_some_and(|s| s.owner == *node) {
            self.stack.pop();
        }
    }

    /// The resolution of everything entered.
    pub fn finish(self) -> NameResolution {
        let mut out = self.out;
        out.uses = vec![Vec::new(); out.bindings.len()];
        for (i, r) in out.references.iter().enumerate() {
            if let Target::Binding(b) = r.target {
                out.uses[b].push(i);
            }
        }
        out
    }
}

/// Whether `text` holds the word `rec` (not as part of a longer name).
fn has_rec_word(text: &str) -> bool {
    let is_name_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'\'' | b'-');
    let bytes = text.as_bytes();
    text.match_indices("rec").any(|(at, _)| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + 3).copied();
        !before.is_some_and(is_name_byte) && !after.is_some_and(is_name_byte)
    })
}

impl NameResolution {
    /// Resolves every reference below `root`.
    pub fn of(root: &SyntaxNode) -> NameResolution {
        Self::resolve(root, Resolver::new())
    }

    /// `of` for the tree of `text`, which lets a file without the word `rec` skip planning
    /// merges.
    pub fn of_text(root: &SyntaxNode, text: &str) -> NameResolution {
        Self::resolve(root, Resolver::for_text(text))
    }

    fn resolve(root: &SyntaxNode, mut resolver: Resolver) -> NameResolution {
        for event in root.preorder() {
            match event {
                WalkEvent::Enter(node) => resolver.enter(&node),
                WalkEvent::Leave(node) => resolver.leave(&node),
            }
        }
        resolver.finish()
    }

    /// The binding `name` of the binder at `scope` (a let's, a rec set's or a lambda's range).
    pub fn binding(&self, scope: TextRange, name: &str) -> Option<usize> {
        self.by_scope.get(&(scope, name.to_string())).copied()
    }

    /// The reference whose name token covers exactly `range`, if that token is a variable read.
    pub fn reference_at(&self, range: TextRange) -> Option<&Reference> {
        // References are recorded in preorder, so their starts ascend.
        let i = self.references.partition_point(|r| r.range.start() < range.start());
        self.references.get(i).filter(|r| r.range == range)
    }

    /// The references that read a binding.
    pub fn uses(&self, binding: usize) -> impl Iterator<Item = &Reference> {
        self.uses
            .get(binding)
            .into_iter()
            .flatten()
            .map(|&i| &self.references[i])
    }

    /// The indices in `references` of the reads of a binding.
    pub fn use_indices(&self, binding: usize) -> impl Iterator<Item = usize> + '_ {
        self.uses.get(binding).into_iter().flatten().copied()
    }

    /// Names read without a lexical binding (builtins, undefined names, names a `with` may
    /// provide): what a file needs from outside itself.
    pub fn free_names(&self) -> BTreeSet<&str> {
        self.references
            .iter()
            .filter(|r| !matches!(r.target, Target::Binding(_)))
            .map(|r| r.name.as_str())
            .collect()
    }

    /// Plans the scopes Nix's merging of bindings gives the sets and values below `root` (a
    /// set, `let` or legacy `let` that is no binding's value): Nix builds `a = rec { b = 1; };
    /// a.c = b;` as one `rec` set, so `c`'s value sees `b` and `b`'s sees `c`, while a `rec` set
    /// merged into an `a` that came first without `rec` loses its own scope
    /// (`a.b = 1; a = rec { c = d; d = 1; };` leaves `d` undefined). Registers the bindings of
    /// every `rec` set met here (their names as merged) and records, for each node whose
    /// scopes differ from what the tree shows, the scopes to open there.
    fn plan_merges(&mut self, root: &SyntaxNode, plan: &mut HashMap<SyntaxNode, MergedScopes>) {
        let Some(entries) = binder_entries(root) else { return };
        let mut model = MergeModel::default();
        model.sets.push(ModelSet::default());
        let mut requests: Vec<(SyntaxNode, Vec<usize>, bool)> = Vec::new();
        model.add_entries(entries, 0, &mut requests);
        // Each `rec` set's final names, registered once, in the order Nix defines them.
        let mut maps: HashMap<usize, HashMap<String, usize>> = HashMap::new();
        for (index, set) in model.sets.iter().enumerate() {
            let Some(origin) = &set.rec_origin else { continue };
            let scope = origin.text_range();
            let mut map = HashMap::with_capacity(set.defs.len());
            for def in &set.defs {
                if map.contains_key(&def.name) {
                    continue;
                }
                let binding = self.bindings.len();
                self.bindings.push(Binding {
                    name: def.name.clone(),
                    range: def.range,
                    scope,
                    kind: BindingKind::RecAttr,
                });
                self.by_scope.insert((scope, def.name.clone()), binding);
                map.insert(def.name.clone(), binding);
            }
            maps.insert(index, map);
        }
        for (node, sets, replaces_own) in requests {
            let scopes: Vec<HashMap<String, usize>> = sets.iter().filter_map(|s| maps.get(s).cloned()).collect();
            if scopes.is_empty() && !replaces_own {
                continue;
            }
            let entry = plan.entry(node).or_default();
            entry.scopes.extend(scopes);
            entry.replaces_own |= replaces_own;
        }
    }

    fn add_reference(&mut self, ident: &SyntaxNode, stack: &[Scope], skip_owner: Option<&SyntaxNode>) {
        // Read from the green tree: a cursor token per reference would cost an allocation.
        let green = ident.green();
        let Some(token) = green.children().find_map(|c| c.into_token()) else {
            return;
        };
        if token.kind() != rowan::SyntaxKind(SyntaxKind::TOKEN_IDENT as u16) {
            return;
        }
        self.add_named_reference(token.text(), ident.text_range(), stack, skip_owner);
    }

    /// A read of `name` written at `range` (an identifier, or the `"x"` / `${"x"}` of an
    /// `inherit`, which reads `x` as `inherit x;` does).
    fn add_named_reference(&mut self, name: &str, range: TextRange, stack: &[Scope], skip_owner: Option<&SyntaxNode>) {
        let mut in_with = false;
        let mut target = None;
        for scope in stack.iter().rev() {
            // `inherit x;` skips the names its own let or rec set binds, not a `with` whose
            // body that let or set is (`with pkgs; let inherit hello; in …`).
            if scope.names.is_some() && skip_owner.is_some_and(|o| *o == scope.owner) {
                continue;
            }
            match &scope.names {
                None => in_with = true,
                Some(names) => {
                    if let Some(&b) = names.get(name) {
                        target = Some(Target::Binding(b));
                        break;
                    }
                }
            }
        }
        let target = target.unwrap_or(if in_with { Target::With } else { Target::Free });
        self.references.push(Reference {
            name: name.to_string(),
            range,
            target,
        });
    }

    /// The names `node` binds for its subtree, registered as bindings; `None` when it binds none.
    fn binders(&mut self, node: &SyntaxNode) -> Option<HashMap<String, usize>> {
        let scope = node.text_range();
        let mut names: Vec<(String, TextRange, BindingKind)> = Vec::new();
        match node.kind() {
            SyntaxKind::NODE_LET_IN => {
                let let_in = ast::LetIn::cast(node.clone())?;
                entry_names(let_in.entries(), BindingKind::Let, &mut names);
            }
            SyntaxKind::NODE_ATTR_SET => {
                if !starts_with_rec(node) {
                    return None;
                }
                let set = ast::AttrSet::cast(node.clone())?;
                entry_names(set.entries(), BindingKind::RecAttr, &mut names);
            }
            SyntaxKind::NODE_LEGACY_LET => {
                let legacy = ast::LegacyLet::cast(node.clone())?;
                entry_names(legacy.entries(), BindingKind::RecAttr, &mut names);
            }
            SyntaxKind::NODE_LAMBDA => {
                let lambda = ast::Lambda::cast(node.clone())?;
                match lambda.param()? {
                    ast::Param::IdentParam(p) => {
                        if let Some(t) = p.ident().and_then(|i| i.ident_token()) {
                            names.push((t.text().to_string(), t.text_range(), BindingKind::LambdaArgument));
                        }
                    }
                    ast::Param::Pattern(p) => {
                        for entry in p.pat_entries() {
                            if let Some(t) = entry.ident().and_then(|i| i.ident_token()) {
                                names.push((t.text().to_string(), t.text_range(), BindingKind::Formal));
                            }
                        }
                        if let Some(t) = p.pat_bind().and_then(|b| b.ident()).and_then(|i| i.ident_token()) {
                            names.push((t.text().to_string(), t.text_range(), BindingKind::PatternBind));
                        }
                    }
                }
            }
            _ => return None,
        }
        let mut map = HashMap::with_capacity(names.len());
        for (name, range, kind) in names {
            if map.contains_key(&name) {
                continue;
            }
            let index = self.bindings.len();
            self.bindings.push(Binding {
                name: name.clone(),
                range,
                scope,
                kind,
            });
            self.by_scope.insert((scope, name.clone()), index);
            map.insert(name, index);
        }
        Some(map)
    }
}

/// Scopes to open at a node instead of (or besides) what its own syntax binds.
#[derive(Default)]
struct MergedScopes {
    scopes: Vec<HashMap<String, usize>>,
    /// The node is a `rec` set whose own scope is replaced (by its merged names, or by
    /// nothing when it merged into a set that came first).
    replaces_own: bool,
}

/// The attribute sets of one binder as Nix's parser builds them, merged.
#[derive(Default)]
struct MergeModel {
    sets: Vec<ModelSet>,
}

#[derive(Default)]
struct ModelSet {
    /// The `rec { }` literal that made this set, if a `rec` one did (and came first).
    rec_origin: Option<SyntaxNode>,
    defs: Vec<ModelDef>,
}

struct ModelDef {
    name: String,
    range: TextRange,
    /// The set it holds, when later bindings may add to it.
    set: Option<usize>,
}

impl MergeModel {
    fn find(&self, set: usize, name: &str) -> Option<usize> {
        self.sets[set].defs.iter().position(|d| d.name == name)
    }

    /// Adds a binder's entries to `set`; `requests` collects (node, the sets whose scopes it
    /// sees beyond its syntax, whether its own scope is replaced).
    fn add_entries(
        &mut self,
        entries: impl Iterator<Item = ast::Entry>,
        set: usize,
        requests: &mut Vec<(SyntaxNode, Vec<usize>, bool)>,
    ) {
        for entry in entries {
            match entry {
                ast::Entry::Inherit(inherit) => {
                    for (name, range) in inherit.attrs().filter_map(|a| constant_name(&a)) {
                        if self.find(set, &name).is_none() {
                            self.sets[set].defs.push(ModelDef { name, range, set: None });
                        }
                    }
                }
                ast::Entry::AttrpathValue(binding) => self.add_binding(&binding, set, requests),
            }
        }
    }

    fn add_binding(
        &mut self,
        binding: &ast::AttrpathValue,
        container: usize,
        requests: &mut Vec<(SyntaxNode, Vec<usize>, bool)>,
    ) {
        let Some(value) = binding.value() else { return };
        let literal = set_literal(&value);
        let path: Vec<Option<(String, TextRange)>> = binding
            .attrpath()
            .map(|p| p.attrs().map(|a| constant_name(&a)).collect())
            .unwrap_or_default();
        let Some((last, init)) = path.split_last() else { return };
        // The sets the value lands in on its way, beyond the one its binding is written in.
        let mut through: Vec<usize> = Vec::new();
        let mut current = container;
        let mut lands = true;
        for step in init {
            let Some((name, range)) = step else {
                lands = false;
                break;
            };
            current = match self.find(current, name) {
                Some(i) => match self.sets[current].defs[i].set {
                    Some(inner) => inner,
                    None => {
                        lands = false;
                        break;
                    }
                },
                None => {
                    let inner = self.new_set(None);
                    self.sets[current].defs.push(ModelDef {
                        name: name.clone(),
                        range: *range,
                        set: Some(inner),
                    });
                    inner
                }
            };
            through.push(current);
        }
        let last = last.as_ref().filter(|_| lands);
        let existing = last.and_then(|(name, _)| self.find(current, name));
        match (literal, last, existing) {
            // A set literal merging into a set defined before: its names join that set, and
            // its values see that set's scope (if `rec`), never its own.
            (Some(literal), Some(_), Some(i)) if self.sets[current].defs[i].set.is_some() => {
                let Some(target) = self.sets[current].defs[i].set else {
                    return;
                };
                let staged = self.new_set(None);
                self.add_entries(literal.entries(), staged, requests);
                let defs = std::mem::take(&mut self.sets[staged].defs);
                for def in defs {
                    if self.find(target, &def.name).is_none() {
                        self.sets[target].defs.push(def);
                    }
                }
                through.push(target);
                requests.push((literal.syntax().clone(), through, true));
            }
            (Some(literal), last, _) => {
                let origin = literal.rec_token().is_some().then(|| literal.syntax().clone());
                let made = self.new_set(origin.clone());
                self.add_entries(literal.entries(), made, requests);
                if let (Some((name, range)), None) = (last, existing) {
                    self.sets[current].defs.push(ModelDef {
                        name: name.clone(),
                        range: *range,
                        set: Some(made),
                    });
                }
                if origin.is_some() {
                    through.push(made);
                }
                requests.push((literal.syntax().clone(), through, origin.is_some()));
            }
            (None, last, existing) => {
                if let (Some((name, range)), None) = (last, existing) {
                    self.sets[current].defs.push(ModelDef {
                        name: name.clone(),
                        range: *range,
                        set: None,
                    });
                }
                requests.push((value.syntax().clone(), through, false));
            }
        }
    }

    fn new_set(&mut self, rec_origin: Option<SyntaxNode>) -> usize {
        self.sets.push(ModelSet {
            rec_origin,
            defs: Vec::new(),
        });
        self.sets.len() - 1
    }
}

/// A set literal, through parentheses.
fn set_literal(expr: &ast::Expr) -> Option<ast::AttrSet> {
    let mut expr = expr.clone();
    while let ast::Expr::Paren(paren) = expr {
        expr = paren.expr()?;
    }
    match expr {
        ast::Expr::AttrSet(set) => Some(set),
        _ => None,
    }
}

/// The bindings of a set, `let … in` or legacy `let { }`.
fn binder_entries(node: &SyntaxNode) -> Option<rowan::ast::AstChildren<ast::Entry>> {
    match node.kind() {
        SyntaxKind::NODE_ATTR_SET => ast::AttrSet::cast(node.clone()).map(|s| s.entries()),
        SyntaxKind::NODE_LET_IN => ast::LetIn::cast(node.clone()).map(|l| l.entries()),
        SyntaxKind::NODE_LEGACY_LET => ast::LegacyLet::cast(node.clone()).map(|l| l.entries()),
        _ => None,
    }
}

/// Whether `node` is a set, `let` or legacy `let` whose bindings are merged on their own:
/// not a set that is (through parentheses) the value of a binding, which merges with its
/// siblings in the enclosing set.
pub fn is_merge_root(node: &SyntaxNode) -> bool {
    match node.kind() {
        SyntaxKind::NODE_LET_IN | SyntaxKind::NODE_LEGACY_LET => true,
        SyntaxKind::NODE_ATTR_SET => !is_binding_value(node),
        _ => false,
    }
}

/// Whether `node` is, through parentheses, the value of a binding in a set or `let`.
pub fn is_binding_value(node: &SyntaxNode) -> bool {
    let mut child = node.clone();
    let mut parent = node.parent();
    while let Some(p) = parent.as_ref().filter(|p| p.kind() == SyntaxKind::NODE_PAREN) {
        child = p.clone();
        parent = p.parent();
    }
    let Some(binding) = parent.filter(|p| p.kind() == SyntaxKind::NODE_ATTRPATH_VALUE) else {
        return false;
    };
    let is_value = ast::AttrpathValue::cast(binding.clone())
        .and_then(|b| b.value())
        .is_some_and(|v| *v.syntax() == child);
    is_value
        && binding.parent().is_some_and(|owner| {
            matches!(
                owner.kind(),
                SyntaxKind::NODE_ATTR_SET | SyntaxKind::NODE_LET_IN | SyntaxKind::NODE_LEGACY_LET
            )
        })
}

/// Whether an attribute set is `rec { … }`, read from the green tree: `ast::AttrSet::rec_token`
/// would visit (and allocate) every child of a plain set looking for a `rec` that is not there.
fn starts_with_rec(set: &SyntaxNode) -> bool {
    let green = set.green();
    let first = green
        .children()
        .filter_map(|c| c.into_token())
        .map(|t| t.kind().0)
        .find(|&k| k != SyntaxKind::TOKEN_WHITESPACE as u16 && k != SyntaxKind::TOKEN_COMMENT as u16);
    first == Some(SyntaxKind::TOKEN_REC as u16)
}

/// The names a list of entries binds (`a = …;`, `a.b = …;`, `inherit a;`, `inherit (x) a;`,
/// `"a" = …;`); dynamic names (`${x} = …;`) bind nothing that can be known.
fn entry_names(
    entries: impl Iterator<Item = ast::Entry>,
    kind: BindingKind,
    out: &mut Vec<(String, TextRange, BindingKind)>,
) {
    for entry in entries {
        match entry {
            ast::Entry::AttrpathValue(apv) => {
                if let Some((name, range)) = apv
                    .attrpath()
                    .and_then(|p| p.attrs().next())
                    .and_then(|a| constant_name(&a))
                {
                    out.push((name, range, kind));
                }
            }
            ast::Entry::Inherit(inherit) => {
                for attr in inherit.attrs() {
                    if let Some((name, range)) = constant_name(&attr) {
                        out.push((name, range, kind));
                    }
                }
            }
        }
    }
}

/// An attribute name known without evaluation: `a`, `"a"` (a string without interpolation).
/// The parts of a string, or `None` when the parser could not finish it: rnix's string
/// normalisation asserts on error nodes inside strings, and a broken file must not crash us.
pub fn string_parts(s: &ast::Str) -> Option<Vec<ast::InterpolPart<String>>> {
    if has_parse_error(s.syntax()) {
        return None;
    }
    Some(s.normalized_parts())
}

/// Whether the parser left an error node or token in or below `node`.
pub fn has_parse_error(node: &SyntaxNode) -> bool {
    node.descendants_with_tokens()
        .any(|e| matches!(e.kind(), SyntaxKind::NODE_ERROR | SyntaxKind::TOKEN_ERROR))
}

/// `expr` without the parentheses around it, however many.
pub fn strip_parens(expr: &ast::Expr) -> ast::Expr {
    let mut e = expr.clone();
    while let ast::Expr::Paren(p) = &e {
        match p.expr() {
            Some(inner) => e = inner,
            None => break,
        }
    }
    e
}

/// `static_name`, plus what Nix's parser also takes as a fixed name: `${"a"}` (an
/// interpolation holding nothing but a plain string, in parentheses or not) names `a`.
/// `"${"a"}"` stays dynamic, as it does for Nix.
pub fn constant_name(attr: &ast::Attr) -> Option<(String, TextRange)> {
    let ast::Attr::Dynamic(dynamic) = attr else {
        return static_name(attr);
    };
    let mut expr = dynamic.expr()?;
    while let ast::Expr::Paren(paren) = expr {
        expr = paren.expr()?;
    }
    let ast::Expr::Str(s) = expr else { return None };
    let mut text = String::new();
    for part in string_parts(&s)? {
        match part {
            ast::InterpolPart::Literal(l) => text.push_str(&l),
            ast::InterpolPart::Interpolation(_) => return None,
        }
    }
    Some((text, dynamic.syntax().text_range()))
}

pub fn static_name(attr: &ast::Attr) -> Option<(String, TextRange)> {
    match attr {
        ast::Attr::Ident(ident) => {
            let token = ident.ident_token()?;
            Some((token.text().to_string(), token.text_range()))
        }
        ast::Attr::Str(s) => {
            let mut text = String::new();
            for part in string_parts(s)? {
                match part {
                    ast::InterpolPart::Literal(l) => text.push_str(&l),
                    ast::InterpolPart::Interpolation(_) => return None,
                }
            }
            Some((text, s.syntax().text_range()))
        }
        ast::Attr::Dynamic(_) => None,
    }
}

/// Whether an identifier node reads a variable, and if so which binder's own names it must
/// not see: `Some(None)` for an ordinary read, `Some(Some(owner))` for `inherit x;` directly in
/// a let or rec set (it reads `x` from around `owner`), `None` for a name that is not a read
/// (an attribute name, a formal or argument being bound, `inherit (from) x;`).
fn reference_position(ident: &SyntaxNode) -> Option<Option<SyntaxNode>> {
    let parent = ident.parent()?;
    match parent.kind() {
        SyntaxKind::NODE_ATTRPATH | SyntaxKind::NODE_PAT_BIND | SyntaxKind::NODE_IDENT_PARAM => None,
        // `{ user ? name }`: `user` is bound, `name` (the default) is read.
        SyntaxKind::NODE_PAT_ENTRY => {
            let entry = ast::PatEntry::cast(parent.clone())?;
            let is_default = entry.default().is_some_and(|d| d.syntax() == ident);
            is_default.then_some(None)
        }
        SyntaxKind::NODE_INHERIT => {
            let inherit = ast::Inherit::cast(parent.clone())?;
            if inherit.from().is_some() {
                return None;
            }
            let owner = parent.parent()?;
            let binds_own_names = match owner.kind() {
                SyntaxKind::NODE_LET_IN | SyntaxKind::NODE_LEGACY_LET => true,
                SyntaxKind::NODE_ATTR_SET => ast::AttrSet::cast(owner.clone()).is_some_and(|s| s.rec_token().is_some()),
                _ => false,
            };
            Some(binds_own_names.then_some(owner))
        }
        _ => Some(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(text: &str) -> (NameResolution, String) {
        let root = rnix::Root::parse(text).syntax();
        (NameResolution::of(&root), text.to_string())
    }

    /// Each reference as `name@offset -> binder offset | with | free`.
    fn describe(text: &str) -> Vec<String> {
        let (r, _) = resolve(text);
        r.references
            .iter()
            .map(|x| {
                let to = match x.target {
                    Target::Binding(b) => format!("{}", u32::from(r.bindings[b].range.start())),
                    Target::With => "with".into(),
                    Target::Free => "free".into(),
                };
                format!("{}@{} -> {to}", x.name, u32::from(x.range.start()))
            })
            .collect()
    }

    #[test]
    fn free_references_are_globals_or_undefined() {
        let (r, _) = resolve("with x; [ map true __attrNames builtins pkgs attrNames y ]");
        let kinds: Vec<_> = r
            .references
            .iter()
            .map(|x| (x.name.as_str(), x.is_global(), x.is_undefined()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("x", false, true),
                ("map", true, false),
                ("true", true, false),
                ("__attrNames", true, false),
                ("builtins", true, false),
                ("pkgs", false, false),
                ("attrNames", false, false),
                ("y", false, false)
            ]
        );
        let (r, _) = resolve("map: [ map attrNames ]");
        let kinds: Vec<_> = r.references.iter().map(|x| (x.is_global(), x.is_undefined())).collect();
        assert_eq!(kinds, [(false, false), (false, true)]);
    }

    #[test]
    fn inherit_of_a_quoted_or_constant_name_reads_it() {
        assert_eq!(
            describe("x: y: let inherit \"x\" ${\"y\"}; in [ x y ]"),
            ["x@18 -> 0", "y@22 -> 3", "x@35 -> 18", "y@37 -> 22"]
        );
    }

    #[test]
    fn formal_defaults_see_the_let_and_the_other_formals() {
        assert_eq!(
            describe("let name = 1; f = { user ? name, g ? user }@a: a; in f"),
            ["name@27 -> 4", "user@37 -> 20", "a@47 -> 44", "f@53 -> 14"]
        );
    }

    #[test]
    fn lexical_bindings_win_over_with_and_inner_ones_over_outer() {
        assert_eq!(
            describe("x: with x; let y = 1; in [ y z (y: y) ]"),
            ["x@8 -> 0", "y@27 -> 15", "z@29 -> with", "y@35 -> 32"]
        );
        assert_eq!(describe("with a; b"), ["a@5 -> free", "b@8 -> with"]);
    }

    #[test]
    fn inherit_reads_around_its_own_let_and_rec_set() {
        assert_eq!(describe("x: let inherit x; in x"), ["x@15 -> 0", "x@21 -> 15"]);
        assert_eq!(describe("rec { inherit a; b = a; }"), ["a@14 -> free", "a@21 -> 14"]);
        assert_eq!(describe("let s = {}; inherit (s) t; in t"), ["s@21 -> 4", "t@30 -> 24"]);
        assert_eq!(describe("{ a = 1; b = a; }"), ["a@13 -> free"]);
        assert_eq!(
            describe("with p; let inherit x; in x"),
            ["p@5 -> free", "x@20 -> with", "x@26 -> 20"]
        );
        assert_eq!(describe("with p; rec { inherit x; }"), ["p@5 -> free", "x@22 -> with"]);
    }

    #[test]
    fn an_interpolated_plain_string_is_a_fixed_name_as_for_nix() {
        assert_eq!(describe("let ${\"a\"} = 1; in a"), ["a@19 -> 4"]);
        assert_eq!(describe("let ${(''b'')} = 1; in b"), ["b@23 -> 4"]);
        assert_eq!(describe("let \"${\"a\"}\" = 1; in a"), ["a@21 -> free"]);
    }

    #[test]
    fn merged_rec_sets_share_one_scope_as_nix_builds_them() {
        // The first `a` is `rec`: names merged in later join its scope, both ways.
        assert_eq!(
            describe("{ a = rec { b = c; d = 2; }; a.c = d; }"),
            ["c@16 -> 31", "d@35 -> 19"]
        );
        assert_eq!(describe("{ a = rec { b = 1; }; a = { c = b; }; }"), ["b@32 -> 12"]);
        assert_eq!(describe("{ x.a = rec { b = 1; }; x.a.c = b; }"), ["b@32 -> 14"]);
        // The first `a` is not `rec`: a `rec` set merged into it loses its own scope.
        assert_eq!(describe("{ a.b = 1; a = rec { c = d; d = 3; }; }"), ["d@25 -> free"]);
        assert_eq!(describe("{ a = { b = 1; }; a = rec { c = b; }; }"), ["b@32 -> free"]);
        // The same through `of_text`, which looks for the word `rec` first.
        let text = "{ a = rec { b = c; d = 2; }; a.c = d; }";
        let root = rnix::Root::parse(text).syntax();
        assert_eq!(
            NameResolution::of_text(&root, text).references[0].target,
            Target::Binding(2)
        );
        // Unmerged `rec` sets and lets are as before.
        assert_eq!(
            describe("let a = rec { b = 1; c = b; }; in a"),
            ["b@25 -> 14", "a@34 -> 4"]
        );
    }

    #[test]
    fn interpolations_dynamic_keys_and_or_defaults_are_reads() {
        assert_eq!(
            describe("let k = 1; in { ${k} = ./${k}.nix; \"${k}\" = a.b or k; c = a ? ${k}; }"),
            [
                "k@18 -> 4",
                "k@27 -> 4",
                "k@38 -> 4",
                "a@44 -> free",
                "k@51 -> 4",
                "a@58 -> free",
                "k@64 -> 4"
            ]
        );
    }
}
