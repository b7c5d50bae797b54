//! The functions the evaluator knows: Nix's pure builtins and the nixpkgs `lib` functions
//! module files use to build values (`mkIf`, `genAttrs`, `mapAttrs`, `optionals`, …),
//! recognised by name whether reached as globals, `builtins.x` or through `lib` from outside.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::expr::extend;
use super::{Attr, Attrs, Evaluator, Partial, Prop, Span, Spanned, ThunkId, ThunkState, Unknown, Value};

/// Where a function is reachable.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// `builtins.x` and `lib.x`.
    Both,
    Builtins,
    Lib,
}

/// `(name, arity, where)`.
const FUNCTIONS: &[(&str, u8, Reach)] = &[
    // The module system's wrappers.
    ("mkIf", 2, Reach::Lib),
    ("mkMerge", 1, Reach::Lib),
    ("mkOverride", 2, Reach::Lib),
    ("mkDefault", 1, Reach::Lib),
    ("mkForce", 1, Reach::Lib),
    ("mkImageMediaOverride", 1, Reach::Lib),
    ("mkVMOverride", 1, Reach::Lib),
    ("mkOptionDefault", 1, Reach::Lib),
    ("mkBefore", 1, Reach::Lib),
    ("mkAfter", 1, Reach::Lib),
    ("mkOrder", 2, Reach::Lib),
    // Sets.
    ("genAttrs", 2, Reach::Lib),
    ("mapAttrs", 2, Reach::Both),
    ("mapAttrs'", 2, Reach::Lib),
    ("filterAttrs", 2, Reach::Lib),
    ("optionalAttrs", 2, Reach::Lib),
    ("attrNames", 1, Reach::Both),
    ("attrValues", 1, Reach::Both),
    ("listToAttrs", 1, Reach::Both),
    ("nameValuePair", 2, Reach::Lib),
    ("hasAttr", 2, Reach::Both),
    ("getAttr", 2, Reach::Both),
    ("removeAttrs", 2, Reach::Both),
    ("recursiveUpdate", 2, Reach::Lib),
    ("catAttrs", 2, Reach::Both),
    ("intersectAttrs", 2, Reach::Both),
    ("attrByPath", 3, Reach::Lib),
    // Lists.
    ("optional", 2, Reach::Lib),
    ("optionals", 2, Reach::Lib),
    ("map", 2, Reach::Both),
    ("filter", 2, Reach::Both),
    ("foldl'", 3, Reach::Both),
    ("foldl", 3, Reach::Lib),
    ("foldr", 3, Reach::Lib),
    ("concatMap", 2, Reach::Both),
    ("concatLists", 1, Reach::Both),
    ("flatten", 1, Reach::Lib),
    ("length", 1, Reach::Both),
    ("elemAt", 2, Reach::Both),
    ("head", 1, Reach::Both),
    ("tail", 1, Reach::Both),
    ("last", 1, Reach::Lib),
    ("elem", 2, Reach::Both),
    ("genList", 2, Reach::Both),
    ("range", 2, Reach::Lib),
    ("replicate", 2, Reach::Lib),
    ("any", 2, Reach::Both),
    ("all", 2, Reach::Both),
    // Strings.
    ("toString", 1, Reach::Both),
    ("concatStringsSep", 2, Reach::Both),
    ("concatStrings", 1, Reach::Lib),
    ("concatMapStringsSep", 3, Reach::Lib),
    ("concatMapStrings", 2, Reach::Lib),
    ("optionalString", 2, Reach::Lib),
    ("stringLength", 1, Reach::Both),
    ("substring", 3, Reach::Both),
    ("hasPrefix", 2, Reach::Lib),
    ("hasSuffix", 2, Reach::Lib),
    ("toUpper", 1, Reach::Lib),
    ("toLower", 1, Reach::Lib),
    ("baseNameOf", 1, Reach::Builtins),
    ("dirOf", 1, Reach::Builtins),
    // Types and plumbing.
    ("isAttrs", 1, Reach::Both),
    ("isList", 1, Reach::Both),
    ("isString", 1, Reach::Both),
    ("isInt", 1, Reach::Both),
    ("isBool", 1, Reach::Both),
    ("isFloat", 1, Reach::Both),
    ("isFunction", 1, Reach::Both),
    ("isPath", 1, Reach::Both),
    ("isNull", 1, Reach::Builtins),
    ("typeOf", 1, Reach::Both),
    ("id", 1, Reach::Lib),
    ("const", 2, Reach::Lib),
    ("seq", 2, Reach::Both),
    ("deepSeq", 2, Reach::Both),
    ("trace", 2, Reach::Both),
    ("add", 2, Reach::Both),
    ("sub", 2, Reach::Both),
    ("mul", 2, Reach::Both),
    ("lessThan", 2, Reach::Both),
    ("import", 1, Reach::Builtins),
    ("throw", 1, Reach::Both),
    ("abort", 1, Reach::Builtins),
];

/// `lib`'s sub-libraries that hold the same functions (`lib.attrsets.genAttrs`).
const LIB_PARTS: &[&str] = &["attrsets", "lists", "strings", "modules", "trivial"];

/// Names that are globals in Nix (without `builtins.`) and that the evaluator models.
const GLOBAL_FUNCTIONS: &[&str] = &[
    "map",
    "toString",
    "import",
    "baseNameOf",
    "dirOf",
    "isNull",
    "removeAttrs",
    "throw",
    "abort",
];

/// Globals Nix has that the evaluator does not model: unknown, never "undefined".
const OTHER_GLOBALS: &[&str] = &[
    "derivation",
    "derivationStrict",
    "fetchGit",
    "fetchMercurial",
    "fetchTarball",
    "fetchTree",
    "fromTOML",
    "placeholder",
    "scopedImport",
    "break",
    "__nixPath",
    "__currentSystem",
    "__currentTime",
    "__storeDir",
    "__nixVersion",
    "__langVersion",
];

fn function(name: &str, lib: bool) -> Option<(&'static str, u8)> {
    FUNCTIONS
        .iter()
        .find(|(n, _, reach)| *n == name && (*reach == Reach::Both || (*reach == Reach::Lib) == lib))
        .map(|(n, arity, _)| (*n, *arity))
}

/// The known function an outside value names: `builtins.x`, or `x` of anything called `lib`
/// (`lib.x`, `pkgs.lib.x`, `inputs.nixpkgs.lib.x`, `lib.attrsets.x`).
pub(super) fn by_path(path: &[Rc<str>]) -> Option<(&'static str, u8)> {
    match path {
        [b, name] if &**b == "builtins" => function(name, false),
        [.., l, name] if &**l == "lib" => function(name, true),
        [.., l, part, name] if &**l == "lib" && LIB_PARTS.contains(&&**part) => function(name, true),
        _ => None,
    }
}

impl Evaluator<'_> {
    /// A name no lexical scope binds: `true`, `null`, `builtins`, `map`, …
    pub(super) fn global(&mut self, name: &str, span: Span) -> Option<Spanned> {
        let value = match name {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            "builtins" => Value::Unknown(Unknown::External(Rc::from(vec![Rc::from("builtins")]))),
            _ if GLOBAL_FUNCTIONS.contains(&name) => {
                let (name, arity) = function(name, false)?;
                Value::Function(Rc::new(Partial {
                    name,
                    arity,
                    args: Vec::new(),
                }))
            }
            _ if OTHER_GLOBALS.contains(&name) => Value::Unknown(Unknown::Unsupported("builtin not modelled")),
            _ => return None,
        };
        Some(Spanned { value, span })
    }

    fn list(&mut self, thunk: ThunkId) -> Result<Rc<[ThunkId]>, Unknown> {
        match self.force(thunk).value {
            Value::List(items) => Ok(items),
            Value::Unknown(u) => Err(u),
            _ => Err(Unknown::Error("expected a list")),
        }
    }

    fn attrs(&mut self, thunk: ThunkId) -> Result<Rc<Attrs>, Unknown> {
        match self.force(thunk).value {
            Value::Attrs(a) => Ok(a),
            Value::Unknown(u) => Err(u),
            _ => Err(Unknown::Error("expected a set")),
        }
    }

    fn string(&mut self, thunk: ThunkId) -> Result<Rc<str>, Unknown> {
        match self.force(thunk).value {
            Value::Str(s) => Ok(s),
            Value::Unknown(u) => Err(u),
            _ => Err(Unknown::Error("expected a string")),
        }
    }

    fn int(&mut self, thunk: ThunkId) -> Result<i64, Unknown> {
        match self.force(thunk).value {
            Value::Int(n) => Ok(n),
            Value::Unknown(u) => Err(u),
            _ => Err(Unknown::Error("expected an integer")),
        }
    }

    fn bool(&mut self, thunk: ThunkId) -> Result<bool, Unknown> {
        match self.force(thunk).value {
            Value::Bool(b) => Ok(b),
            Value::Unknown(u) => Err(u),
            _ => Err(Unknown::Error("expected a bool")),
        }
    }

    /// `f a b …`, evaluated now.
    fn call(&mut self, f: ThunkId, args: &[ThunkId], span: Span) -> Spanned {
        let mut value = self.force(f);
        for arg in args {
            value = self.apply(value, *arg, span);
        }
        value
    }

    /// `f a b …`, evaluated when forced.
    fn call_later(&mut self, f: ThunkId, args: Vec<ThunkId>, span: Span) -> ThunkId {
        let function = self.force(f);
        self.alloc(ThunkState::Apply { function, args, span })
    }

    fn str_thunk(&mut self, s: Rc<str>, span: Span) -> ThunkId {
        self.done(Spanned {
            value: Value::Str(s),
            span,
        })
    }

    fn check_list(&self, n: usize) -> Result<(), Unknown> {
        if n > self.limits.max_list {
            Err(Unknown::Budget)
        } else {
            Ok(())
        }
    }

    /// Runs a known function once all its arguments are there.
    pub(super) fn call_builtin(&mut self, name: &'static str, args: &[ThunkId], span: Span) -> Spanned {
        match self.builtin(name, args, span) {
            Ok(value) => Spanned { value, span },
            Err(why) => self.unknown(why, span),
        }
    }

    fn builtin(&mut self, name: &'static str, a: &[ThunkId], span: Span) -> Result<Value, Unknown> {
        let prop = |p: Prop| Ok(Value::Prop(Rc::new(p)));
        let over = |priority: i64, content: ThunkId| Ok(Value::Prop(Rc::new(Prop::Override { priority, content })));
        match name {
            "mkIf" => prop(Prop::If {
                condition: a[0],
                content: a[1],
            }),
            "mkMerge" => {
                let items = self.list(a[0])?;
                prop(Prop::Merge(items))
            }
            "mkOverride" => {
                let priority = self.int(a[0])?;
                over(priority, a[1])
            }
            "mkDefault" => over(1000, a[0]),
            "mkForce" => over(50, a[0]),
            "mkImageMediaOverride" => over(60, a[0]),
            "mkVMOverride" => over(10, a[0]),
            "mkOptionDefault" => over(1500, a[0]),
            "mkBefore" => prop(Prop::Order {
                priority: 500,
                content: a[0],
            }),
            "mkAfter" => prop(Prop::Order {
                priority: 1500,
                content: a[0],
            }),
            "mkOrder" => {
                let priority = self.int(a[0])?;
                prop(Prop::Order {
                    priority,
                    content: a[1],
                })
            }
            "genAttrs" => {
                let names = self.list(a[0])?;
                self.check_list(names.len())?;
                let mut entries = BTreeMap::new();
                for item in names.iter() {
                    if !self.tick() {
                        return Err(Unknown::Budget);
                    }
                    let name = self.string(*item)?;
                    let entry = self.force(*item).span;
                    let value = self.call_later(a[1], vec![*item], span);
                    entries.entry(name).or_insert(Attr { value, entry });
                }
                Ok(attrs(entries, false))
            }
            "mapAttrs" => {
                let set = self.attrs(a[1])?;
                let mut entries = BTreeMap::new();
                for (name, attr) in &set.entries {
                    if !self.tick() {
                        return Err(Unknown::Budget);
                    }
                    let n = self.str_thunk(name.clone(), attr.entry);
                    let value = self.call_later(a[0], vec![n, attr.value], span);
                    entries.insert(
                        name.clone(),
                        Attr {
                            value,
                            entry: attr.entry,
                        },
                    );
                }
                Ok(attrs(entries, set.open))
            }
            "mapAttrs'" => {
                let set = self.attrs(a[1])?;
                if set.open {
                    return Err(Unknown::Unsupported("partly known set"));
                }
                let mut entries = BTreeMap::new();
                for (name, attr) in &set.entries {
                    if !self.tick() {
                        return Err(Unknown::Budget);
                    }
                    let n = self.str_thunk(name.clone(), attr.entry);
                    let pair = self.call(a[0], &[n, attr.value], span);
                    let (name, value, entry) = self.name_value(pair)?;
                    entries.entry(name).or_insert(Attr { value, entry });
                }
                Ok(attrs(entries, false))
            }
            "filterAttrs" => {
                let set = self.attrs(a[1])?;
                if set.open {
                    return Err(Unknown::Unsupported("partly known set"));
                }
                let mut entries = BTreeMap::new();
                for (name, attr) in &set.entries {
                    if !self.tick() {
                        return Err(Unknown::Budget);
                    }
                    let n = self.str_thunk(name.clone(), attr.entry);
                    let keep = self.call(a[0], &[n, attr.value], span);
                    if self.truth(keep)? {
                        entries.insert(name.clone(), *attr);
                    }
                }
                Ok(attrs(entries, false))
            }
            "optionalAttrs" => {
                if self.bool(a[0])? {
                    Ok(Value::Attrs(self.attrs(a[1])?))
                } else {
                    Ok(attrs(BTreeMap::new(), false))
                }
            }
            "attrNames" | "attrValues" => {
                let set = self.attrs(a[0])?;
                if set.open {
                    return Err(Unknown::Unsupported("partly known set"));
                }
                let entries: Vec<(Rc<str>, Attr)> = set.entries.iter().map(|(n, a)| (n.clone(), *a)).collect();
                let mut items = Vec::with_capacity(entries.len());
                for (key, attr) in entries {
                    items.push(if name == "attrNames" {
                        self.str_thunk(key, attr.entry)
                    } else {
                        attr.value
                    });
                }
                Ok(Value::List(items.into()))
            }
            "listToAttrs" => {
                let items = self.list(a[0])?;
                let mut entries = BTreeMap::new();
                for item in items.iter() {
                    if !self.tick() {
                        return Err(Unknown::Budget);
                    }
                    let pair = self.force(*item);
                    let (name, value, entry) = self.name_value(pair)?;
                    entries.entry(name).or_insert(Attr { value, entry });
                }
                if entries.len() > self.limits.max_attrs {
                    return Err(Unknown::Budget);
                }
                Ok(attrs(entries, false))
            }
            "nameValuePair" => {
                let mut entries = BTreeMap::new();
                entries.insert(
                    Rc::from("name"),
                    Attr {
                        value: a[0],
                        entry: span,
                    },
                );
                entries.insert(
                    Rc::from("value"),
                    Attr {
                        value: a[1],
                        entry: span,
                    },
                );
                Ok(attrs(entries, false))
            }
            "hasAttr" | "getAttr" => {
                let key = self.string(a[0])?;
                let set = self.attrs(a[1])?;
                match (set.entries.get(&key), name) {
                    (Some(_), "hasAttr") => Ok(Value::Bool(true)),
                    (Some(attr), _) => Ok(self.force(attr.value).value),
                    (None, _) if set.open => Err(Unknown::Unsupported("partly known set")),
                    (None, "hasAttr") => Ok(Value::Bool(false)),
                    (None, _) => Err(Unknown::Error("missing attribute")),
                }
            }
            "removeAttrs" => {
                let set = self.attrs(a[0])?;
                let names = self.list(a[1])?;
                let mut out = (*set).clone();
                for n in names.iter() {
                    if !self.tick() {
                        return Err(Unknown::Budget);
                    }
                    let n = self.string(*n)?;
                    out.entries.remove(&n);
                }
                Ok(Value::Attrs(Rc::new(out)))
            }
            "recursiveUpdate" => {
                let left = self.force(a[0]);
                let right = self.force(a[1]);
                self.recursive_update(left, right, 0)
            }
            "catAttrs" => {
                let key = self.string(a[0])?;
                let items = self.list(a[1])?;
                let mut out = Vec::new();
                for item in items.iter() {
                    if !self.tick() {
                        return Err(Unknown::Budget);
                    }
                    let set = self.attrs(*item)?;
                    match set.entries.get(&key) {
                        Some(attr) => out.push(attr.value),
                        None if set.open => return Err(Unknown::Unsupported("partly known set")),
                        None => {}
                    }
                }
                Ok(Value::List(out.into()))
            }
            "intersectAttrs" => {
                let left = self.attrs(a[0])?;
                let right = self.attrs(a[1])?;
                if left.open || right.open {
                    return Err(Unknown::Unsupported("partly known set"));
                }
                let entries = right
                    .entries
                    .iter()
                    .filter(|(k, _)| left.entries.contains_key(*k))
                    .map(|(k, v)| (k.clone(), *v))
                    .collect();
                Ok(attrs(entries, false))
            }
            "attrByPath" => {
                let path = self.list(a[0])?;
                let mut current = self.force(a[2]);
                for step in path.iter() {
                    let key = self.string(*step)?;
                    current = match &current.value {
                        Value::Attrs(set) => match set.entries.get(&key) {
                            Some(attr) => self.force(attr.value),
                            None if set.open => return Err(Unknown::Unsupported("partly known set")),
                            None => return Ok(self.force(a[1]).value),
                        },
                        Value::Unknown(Unknown::External(p)) => self.unknown(extend(p, &key), span),
                        Value::Unknown(u) => return Err(u.clone()),
                        _ => return Ok(self.force(a[1]).value),
                    };
                }
                Ok(current.value)
            }
            "optional" => {
                if self.bool(a[0])? {
                    Ok(Value::List(Rc::from(vec![a[1]])))
                } else {
                    Ok(Value::List(Rc::from(Vec::new())))
                }
            }
            "optionals" => {
                if self.bool(a[0])? {
                    Ok(Value::List(self.list(a[1])?))
                } else {
                    Ok(Value::List(Rc::from(Vec::new())))
                }
            }
            "map" => {
                let items = self.list(a[1])?;
                let mut out = Vec::with_capacity(items.len());
                for item in items.iter() {
                    if !self.tick() {
                        return Err(Unknown::Budget);
                    }
                    out.push(self.call_later(a[0], vec![*item], span));
                }
                Ok(Value::List(out.into()))
            }
            "filter" | "any" | "all" => {
                let items = self.list(a[1])?;
                let mut out = Vec::new();
                for item in items.iter() {
                    if !self.tick() {
                        return Err(Unknown::Budget);
                    }
                    let keep = self.call(a[0], &[*item], span);
                    let keep = self.truth(keep)?;
                    match (name, keep) {
                        ("any", true) => return Ok(Value::Bool(true)),
                        ("all", false) => return Ok(Value::Bool(false)),
                        ("filter", true) => out.push(*item),
                        _ => {}
                    }
                }
                match name {
                    "any" => Ok(Value::Bool(false)),
                    "all" => Ok(Value::Bool(true)),
                    _ => Ok(Value::List(out.into())),
                }
            }
            "foldl'" | "foldl" => {
                let items = self.list(a[2])?;
                let mut acc = self.force(a[1]);
                for item in items.iter() {
                    if !self.tick() {
                        return Err(Unknown::Budget);
                    }
                    let previous = self.done(acc);
                    acc = self.call(a[0], &[previous, *item], span);
                    if let Value::Unknown(u) = acc.value {
                        return Err(u);
                    }
                }
                Ok(acc.value)
            }
            "foldr" => {
                let items = self.list(a[2])?;
                let mut acc = self.force(a[1]);
                for item in items.iter().rev() {
                    if !self.tick() {
                        return Err(Unknown::Budget);
                    }
                    let previous = self.done(acc);
                    acc = self.call(a[0], &[*item, previous], span);
                    if let Value::Unknown(u) = acc.value {
                        return Err(u);
                    }
                }
                Ok(acc.value)
            }
            "concatMap" | "concatLists" => {
                let items = if name == "concatMap" {
                    let items = self.list(a[1])?;
                    let mut mapped = Vec::with_capacity(items.len());
                    for item in items.iter() {
                        mapped.push(self.call_later(a[0], vec![*item], span));
                    }
                    mapped
                } else {
                    self.list(a[0])?.to_vec()
                };
                let mut out = Vec::new();
                for item in items {
                    if !self.tick() {
                        return Err(Unknown::Budget);
                    }
                    let inner = self.list(item)?;
                    self.check_list(out.len() + inner.len())?;
                    out.extend(inner.iter().copied());
                }
                Ok(Value::List(out.into()))
            }
            "flatten" => {
                let mut out = Vec::new();
                self.flatten(a[0], &mut out, 0)?;
                Ok(Value::List(out.into()))
            }
            "length" => Ok(Value::Int(self.list(a[0])?.len() as i64)),
            "elemAt" => {
                let items = self.list(a[0])?;
                let n = self.int(a[1])?;
                match usize::try_from(n).ok().and_then(|n| items.get(n)) {
                    Some(t) => Ok(self.force(*t).value),
                    None => Err(Unknown::Error("list index out of bounds")),
                }
            }
            "head" | "last" => {
                let items = self.list(a[0])?;
                let item = if name == "head" { items.first() } else { items.last() };
                match item {
                    Some(t) => Ok(self.force(*t).value),
                    None => Err(Unknown::Error("empty list")),
                }
            }
            "tail" => {
                let items = self.list(a[0])?;
                match items.split_first() {
                    Some((_, rest)) => Ok(Value::List(rest.into())),
                    None => Err(Unknown::Error("empty list")),
                }
            }
            "elem" => {
                let needle = self.force(a[0]);
                let items = self.list(a[1])?;
                let mut unknown = false;
                for item in items.iter() {
                    let item = self.force(*item);
                    match self.equal(&needle, &item, 0) {
                        Some(true) => return Ok(Value::Bool(true)),
                        Some(false) => {}
                        None => unknown = true,
                    }
                }
                if unknown {
                    Err(Unknown::Unsupported("comparison with an unknown value"))
                } else {
                    Ok(Value::Bool(false))
                }
            }
            "genList" => {
                let n = self.int(a[1])?;
                let n = usize::try_from(n).map_err(|_| Unknown::Error("negative length"))?;
                self.check_list(n)?;
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    if !self.tick() {
                        return Err(Unknown::Budget);
                    }
                    let index = self.done(Spanned {
                        value: Value::Int(i as i64),
                        span,
                    });
                    out.push(self.call_later(a[0], vec![index], span));
                }
                Ok(Value::List(out.into()))
            }
            "range" => {
                let first = self.int(a[0])?;
                let last = self.int(a[1])?;
                let n = last.saturating_sub(first).saturating_add(1).max(0);
                self.check_list(usize::try_from(n).unwrap_or(usize::MAX))?;
                let mut out = Vec::new();
                for i in first..=last {
                    if !self.tick() {
                        return Err(Unknown::Budget);
                    }
                    out.push(self.done(Spanned {
                        value: Value::Int(i),
                        span,
                    }));
                }
                Ok(Value::List(out.into()))
            }
            "replicate" => {
                let n = self.int(a[0])?;
                let n = usize::try_from(n).map_err(|_| Unknown::Error("negative length"))?;
                self.check_list(n)?;
                if !self.tick() {
                    return Err(Unknown::Budget);
                }
                Ok(Value::List(vec![a[1]; n].into()))
            }
            "toString" => {
                let v = self.force(a[0]);
                Ok(Value::Str(self.coerce_to_string(v, true)?))
            }
            "concatStringsSep" | "concatStrings" => {
                let (sep, list) = if name == "concatStrings" {
                    (Rc::from(""), a[0])
                } else {
                    (self.string(a[0])?, a[1])
                };
                let items = self.list(list)?;
                self.join(&sep, &items)
            }
            "concatMapStringsSep" | "concatMapStrings" => {
                let (sep, f, list) = if name == "concatMapStrings" {
                    (Rc::from(""), a[0], a[1])
                } else {
                    (self.string(a[0])?, a[1], a[2])
                };
                let items = self.list(list)?;
                let mut mapped = Vec::with_capacity(items.len());
                for item in items.iter() {
                    mapped.push(self.call_later(f, vec![*item], span));
                }
                self.join(&sep, &mapped)
            }
            "optionalString" => {
                if self.bool(a[0])? {
                    Ok(Value::Str(self.string(a[1])?))
                } else {
                    Ok(Value::Str("".into()))
                }
            }
            "stringLength" => Ok(Value::Int(self.string(a[0])?.len() as i64)),
            "substring" => {
                let start = self.int(a[0])?;
                let len = self.int(a[1])?;
                let s = self.string(a[2])?;
                let start = usize::try_from(start).map_err(|_| Unknown::Error("negative start"))?;
                let bytes = s.as_bytes();
                let start = start.min(bytes.len());
                let end = if len < 0 {
                    bytes.len()
                } else {
                    start.saturating_add(len as usize).min(bytes.len())
                };
                match std::str::from_utf8(&bytes[start..end]) {
                    Ok(sub) => Ok(Value::Str(sub.into())),
                    Err(_) => Err(Unsupported("a substring that splits a character")),
                }
            }
            "hasPrefix" | "hasSuffix" => {
                let affix = self.string(a[0])?;
                let s = self.string(a[1])?;
                Ok(Value::Bool(if name == "hasPrefix" {
                    s.starts_with(&*affix)
                } else {
                    s.ends_with(&*affix)
                }))
            }
            "toUpper" => Ok(Value::Str(self.string(a[0])?.to_ascii_uppercase().into())),
            "toLower" => Ok(Value::Str(self.string(a[0])?.to_ascii_lowercase().into())),
            "baseNameOf" | "dirOf" => {
                let s = self.string(a[0])?;
                let trimmed = s.trim_end_matches('/');
                Ok(Value::Str(match (name, trimmed.rsplit_once('/')) {
                    ("baseNameOf", Some((_, base))) => base.into(),
                    ("baseNameOf", None) => trimmed.into(),
                    (_, Some(("", _))) => "/".into(),
                    (_, Some((dir, _))) => dir.into(),
                    (_, None) => ".".into(),
                }))
            }
            "isAttrs" | "isList" | "isString" | "isInt" | "isBool" | "isFloat" | "isFunction" | "isPath" | "isNull"
            | "typeOf" => {
                let v = self.force(a[0]).value;
                if let Value::Unknown(u) = v {
                    return Err(u);
                }
                let t = v.type_name();
                Ok(match name {
                    "typeOf" => Value::Str(t.into()),
                    "isAttrs" => Value::Bool(t == "set"),
                    "isList" => Value::Bool(t == "list"),
                    "isString" => Value::Bool(t == "string"),
                    "isInt" => Value::Bool(t == "int"),
                    "isBool" => Value::Bool(t == "bool"),
                    "isFloat" => Value::Bool(t == "float"),
                    "isFunction" => Value::Bool(t == "lambda"),
                    "isPath" => Value::Bool(t == "path"),
                    _ => Value::Bool(t == "null"),
                })
            }
            "id" => Ok(self.force(a[0]).value),
            "const" => Ok(self.force(a[0]).value),
            "seq" | "deepSeq" => match self.force(a[0]).value {
                Value::Unknown(Unknown::Error(e)) => Err(Unknown::Error(e)),
                _ => Ok(self.force(a[1]).value),
            },
            "trace" => Ok(self.force(a[1]).value),
            "add" | "sub" | "mul" | "lessThan" => {
                let kind = match name {
                    "add" => rnix::ast::BinOpKind::Add,
                    "sub" => rnix::ast::BinOpKind::Sub,
                    "mul" => rnix::ast::BinOpKind::Mul,
                    _ => rnix::ast::BinOpKind::Less,
                };
                let l = self.force(a[0]);
                let r = self.force(a[1]);
                Ok(self.binary(kind, l, r, span).value)
            }
            "import" => self.import(a[0], span),
            "throw" | "abort" => Err(Unknown::Error("throw")),
            _ => Err(Unknown::Unsupported("builtin not modelled")),
        }
    }

    fn truth(&mut self, v: Spanned) -> Result<bool, Unknown> {
        match v.value {
            Value::Bool(b) => Ok(b),
            Value::Unknown(u) => Err(u),
            _ => Err(Unknown::Error("expected a bool")),
        }
    }

    /// `{ name = …; value = …; }` as `(name, value, where)`.
    fn name_value(&mut self, pair: Spanned) -> Result<(Rc<str>, ThunkId, Span), Unknown> {
        let set = match pair.value {
            Value::Attrs(a) => a,
            Value::Unknown(u) => return Err(u),
            _ => return Err(Unknown::Error("expected a set")),
        };
        let (Some(name), Some(value)) = (set.entries.get("name"), set.entries.get("value")) else {
            return Err(if set.open {
                Unknown::Unsupported("partly known set")
            } else {
                Unknown::Error("expected `name` and `value`")
            });
        };
        let n = self.string(name.value)?;
        Ok((n, value.value, pair.span))
    }

    fn join(&mut self, sep: &str, items: &[ThunkId]) -> Result<Value, Unknown> {
        let mut out = String::new();
        for (i, item) in items.iter().enumerate() {
            if !self.tick() {
                return Err(Unknown::Budget);
            }
            let v = self.force(*item);
            let text = self.coerce_to_string(v, false)?;
            if i > 0 {
                out.push_str(sep);
            }
            out.push_str(&text);
            if out.len() > self.limits.max_string {
                return Err(Unknown::Budget);
            }
        }
        Ok(Value::Str(out.into()))
    }

    fn flatten(&mut self, item: ThunkId, out: &mut Vec<ThunkId>, depth: u32) -> Result<(), Unknown> {
        if !self.tick() || depth > self.limits.max_depth {
            return Err(Unknown::Budget);
        }
        match self.force(item).value {
            Value::List(items) => {
                for i in items.iter() {
                    self.flatten(*i, out, depth + 1)?;
                }
            }
            Value::Unknown(u) => return Err(u),
            _ => {
                self.check_list(out.len() + 1)?;
                out.push(item);
            }
        }
        Ok(())
    }

    fn recursive_update(&mut self, left: Spanned, right: Spanned, depth: u32) -> Result<Value, Unknown> {
        if !self.tick() || depth > self.limits.max_depth {
            return Err(Unknown::Budget);
        }
        let (l, r) = match (left.value, right.value) {
            (Value::Attrs(l), Value::Attrs(r)) => (l, r),
            (_, Value::Unknown(u)) | (Value::Unknown(u), _) => return Err(u),
            _ => return Err(Unknown::Error("expected a set")),
        };
        if r.open {
            return Err(Unknown::Unsupported("partly known set"));
        }
        let mut out = (*l).clone();
        for (name, attr) in &r.entries {
            let merged = match l.entries.get(name) {
                Some(old) => {
                    let a = self.force(old.value);
                    let b = self.force(attr.value);
                    match (&a.value, &b.value) {
                        (Value::Attrs(_), Value::Attrs(_)) => {
                            let value = self.recursive_update(a, b.clone(), depth + 1)?;
                            let t = self.done(Spanned { value, span: b.span });
                            Attr {
                                value: t,
                                entry: attr.entry,
                            }
                        }
                        (Value::Attrs(_), Value::Unknown(u)) | (Value::Unknown(u), Value::Attrs(_)) => {
                            return Err(u.clone())
                        }
                        _ => *attr,
                    }
                }
                None => *attr,
            };
            out.entries.insert(name.clone(), merged);
        }
        Ok(Value::Attrs(Rc::new(out)))
    }

    /// `import path`: the file's root value, evaluated once per evaluator.
    fn import(&mut self, path: ThunkId, span: Span) -> Result<Value, Unknown> {
        let path = match self.force(path).value {
            Value::Path(p) => p,
            Value::Unknown(u) => return Err(u),
            _ => return Err(Unknown::Unsupported("import of something that is not a project path")),
        };
        let Some((real, root)) = self.loader.load(&path) else {
            return Err(Unknown::Unsupported("import of a file that cannot be read"));
        };
        let file = self.add_file(&real, root.clone());
        if let Some(t) = self.imports.get(&file) {
            let t = *t;
            return Ok(self.force(t).value);
        }
        let Some(expr) = rowan::ast::AstNode::cast(root).and_then(|r: rnix::ast::Root| r.expr()) else {
            return Err(Unknown::Error("empty file"));
        };
        let t = self.alloc(ThunkState::Pending {
            expr,
            env: super::ROOT_ENV,
            file,
        });
        self.imports.insert(file, t);
        let _ = span;
        Ok(self.force(t).value)
    }
}

use Unknown::Unsupported;

fn attrs(entries: BTreeMap<Rc<str>, Attr>, open: bool) -> Value {
    Value::Attrs(Rc::new(Attrs { entries, open }))
}
