//! Evaluation of each kind of expression: scopes, attribute sets (with nested paths, `rec`
//! and `inherit`), selection, function calls, operators, strings and paths.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use crate::scope::strip_parens;
use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::{
    Attr, Attrs, Closure, EnvId, EnvKind, Evaluator, FileId, Partial, Span, Spanned, ThunkId, ThunkState, Unknown,
    Value, ROOT_ENV,
};

/// An attribute set under construction: nested paths (`a.b = 1; a.c = 2;`) and literal
/// sets given to the same name are merged, as Nix does.
#[derive(Default)]
struct Builder {
    slots: BTreeMap<Rc<str>, Slot>,
    open: bool,
}

enum Slot {
    Value(ThunkId, Span),
    Nested(Builder, Span),
}

/// Scopes for the entries of a set or `let`: where values are evaluated, and where a plain
/// `inherit x;` reads `x` (the scope around a `rec` set or `let`).
#[derive(Clone, Copy)]
struct EntryScopes {
    values: EnvId,
    inherit: EnvId,
    file: FileId,
}

impl Evaluator<'_> {
    fn span(&self, file: FileId, node: &SyntaxNode) -> Span {
        Span {
            file,
            range: node.text_range(),
        }
    }

    pub(super) fn eval(&mut self, expr: &ast::Expr, env: EnvId, file: FileId) -> Spanned {
        let span = self.span(file, expr.syntax());
        if !self.tick() {
            return self.unknown(Unknown::Budget, span);
        }
        if self.depth >= self.limits.max_depth {
            return self.unknown(Unknown::Depth, span);
        }
        self.depth += 1;
        let value = self.eval_inner(expr, env, file, span);
        self.depth -= 1;
        value
    }

    fn eval_inner(&mut self, expr: &ast::Expr, env: EnvId, file: FileId, span: Span) -> Spanned {
        let v = |value| Spanned { value, span };
        match expr {
            ast::Expr::Paren(p) => match p.expr() {
                Some(inner) => self.eval(&inner, env, file),
                None => self.unknown(Unknown::Error("syntax error"), span),
            },
            ast::Expr::Root(r) => match r.expr() {
                Some(inner) => self.eval(&inner, env, file),
                None => self.unknown(Unknown::Error("syntax error"), span),
            },
            ast::Expr::Literal(l) => {
                let Some(token) = l.syntax().first_token() else {
                    return self.unknown(Unknown::Error("syntax error"), span);
                };
                match token.kind() {
                    SyntaxKind::TOKEN_INTEGER => match token.text().parse::<i64>() {
                        Ok(n) => v(Value::Int(n)),
                        Err(_) => self.unknown(Unknown::Error("integer too big"), span),
                    },
                    SyntaxKind::TOKEN_FLOAT => match token.text().parse::<f64>() {
                        Ok(f) => v(Value::Float(f)),
                        Err(_) => self.unknown(Unknown::Error("bad float"), span),
                    },
                    SyntaxKind::TOKEN_URI => v(Value::Str(token.text().into())),
                    _ => self.unknown(Unknown::Error("syntax error"), span),
                }
            }
            ast::Expr::Str(s) => self.eval_string(s, env, file, span),
            ast::Expr::PathRel(p) => {
                let interpolated = p.syntax().children().next().is_some();
                if interpolated {
                    return self.unknown(Unknown::Unsupported("interpolated path"), span);
                }
                let text = p.syntax().text().to_string();
                let from = self.file_path(file).to_string();
                match self.loader.resolve_path(&from, &text) {
                    Some(path) => v(Value::Path(path.into())),
                    None => self.unknown(Unknown::Unsupported("path outside the project"), span),
                }
            }
            ast::Expr::PathAbs(_) | ast::Expr::PathHome(_) => {
                self.unknown(Unknown::Unsupported("path outside the project"), span)
            }
            ast::Expr::PathSearch(_) => self.unknown(Unknown::Unsupported("search path"), span),
            ast::Expr::Ident(i) => match i.ident_token() {
                Some(t) => {
                    let name = t.text().to_string();
                    self.lookup(&name, env, span)
                }
                None => self.unknown(Unknown::Error("`or` as a name"), span),
            },
            ast::Expr::List(list) => {
                let mut items = Vec::new();
                for item in list.items() {
                    if items.len() >= self.limits.max_list {
                        return self.unknown(Unknown::Budget, span);
                    }
                    items.push(self.alloc(ThunkState::Pending { expr: item, env, file }));
                }
                v(Value::List(items.into()))
            }
            ast::Expr::AttrSet(set) => {
                let scopes = if set.rec_token().is_some() {
                    let rec = self.new_env(env, EnvKind::Vars(HashMap::new()));
                    EntryScopes {
                        values: rec,
                        inherit: env,
                        file,
                    }
                } else {
                    EntryScopes {
                        values: env,
                        inherit: env,
                        file,
                    }
                };
                let attrs = self.build_entries(set.entries(), scopes);
                if set.rec_token().is_some() {
                    self.bind_names(scopes.values, &attrs);
                }
                v(Value::Attrs(attrs))
            }
            ast::Expr::LetIn(let_in) => {
                let inner = self.bind_recursive(let_in.entries(), env, file);
                match let_in.body() {
                    Some(body) => self.eval(&body, inner, file),
                    None => self.unknown(Unknown::Error("syntax error"), span),
                }
            }
            ast::Expr::LegacyLet(legacy) => {
                let inner = self.new_env(env, EnvKind::Vars(HashMap::new()));
                let attrs = self.build_entries(
                    legacy.entries(),
                    EntryScopes {
                        values: inner,
                        inherit: env,
                        file,
                    },
                );
                self.bind_names(inner, &attrs);
                let set = Spanned {
                    value: Value::Attrs(attrs),
                    span,
                };
                self.select_name(set, "body", span)
            }
            ast::Expr::With(with) => {
                let (Some(namespace), Some(body)) = (with.namespace(), with.body()) else {
                    return self.unknown(Unknown::Error("syntax error"), span);
                };
                let ns = self.alloc(ThunkState::Pending {
                    expr: namespace,
                    env,
                    file,
                });
                let inner = self.new_env(env, EnvKind::With(ns));
                self.eval(&body, inner, file)
            }
            ast::Expr::Lambda(lambda) => v(Value::Lambda(Rc::new(Closure {
                lambda: lambda.clone(),
                env,
                file,
            }))),
            ast::Expr::Apply(apply) => {
                let (Some(function), Some(argument)) = (apply.lambda(), apply.argument()) else {
                    return self.unknown(Unknown::Error("syntax error"), span);
                };
                let f = self.eval(&function, env, file);
                let arg = self.alloc(ThunkState::Pending {
                    expr: argument,
                    env,
                    file,
                });
                self.apply(f, arg, span)
            }
            ast::Expr::IfElse(if_else) => {
                let Some(condition) = if_else.condition() else {
                    return self.unknown(Unknown::Error("syntax error"), span);
                };
                let c = self.eval(&condition, env, file);
                let branch = match c.value {
                    Value::Bool(true) => if_else.body(),
                    Value::Bool(false) => if_else.else_body(),
                    Value::Unknown(u) => return self.unknown(u, span),
                    _ => return self.unknown(Unknown::Error("`if` on a value that is not a bool"), span),
                };
                match branch {
                    Some(b) => self.eval(&b, env, file),
                    None => self.unknown(Unknown::Error("syntax error"), span),
                }
            }
            ast::Expr::Assert(assert) => {
                let Some(condition) = assert.condition() else {
                    return self.unknown(Unknown::Error("syntax error"), span);
                };
                match self.eval(&condition, env, file).value {
                    Value::Bool(true) => match assert.body() {
                        Some(b) => self.eval(&b, env, file),
                        None => self.unknown(Unknown::Error("syntax error"), span),
                    },
                    Value::Bool(false) => self.unknown(Unknown::Error("assertion failed"), span),
                    Value::Unknown(u) => self.unknown(u, span),
                    _ => self.unknown(Unknown::Error("assertion on a value that is not a bool"), span),
                }
            }
            ast::Expr::Select(select) => self.eval_select(select, env, file, span),
            ast::Expr::HasAttr(has) => {
                let (Some(base), Some(path)) = (has.expr(), has.attrpath()) else {
                    return self.unknown(Unknown::Error("syntax error"), span);
                };
                let mut current = self.eval(&base, env, file);
                let attrs: Vec<ast::Attr> = path.attrs().collect();
                for (i, attr) in attrs.iter().enumerate() {
                    let name = match self.attr_name(attr, env, file) {
                        Ok(Some(n)) => n,
                        Ok(None) => return v(Value::Bool(false)),
                        Err(u) => return self.unknown(u, span),
                    };
                    match &current.value {
                        Value::Attrs(a) => match a.entries.get(&*name) {
                            Some(attr) => {
                                if i + 1 < attrs.len() {
                                    current = self.force(attr.value);
                                }
                            }
                            None if a.open => return self.unknown(Unknown::Unsupported("partly known set"), span),
                            None => return v(Value::Bool(false)),
                        },
                        Value::Unknown(u) => return self.unknown(u.clone(), span),
                        _ => return v(Value::Bool(false)),
                    }
                }
                v(Value::Bool(true))
            }
            ast::Expr::UnaryOp(op) => {
                let Some(operand) = op.expr() else {
                    return self.unknown(Unknown::Error("syntax error"), span);
                };
                let x = self.eval(&operand, env, file);
                match (op.operator(), x.value) {
                    (Some(ast::UnaryOpKind::Invert), Value::Bool(b)) => v(Value::Bool(!b)),
                    (Some(ast::UnaryOpKind::Negate), Value::Int(n)) => match n.checked_neg() {
                        Some(n) => v(Value::Int(n)),
                        None => self.unknown(Unknown::Error("integer overflow"), span),
                    },
                    (Some(ast::UnaryOpKind::Negate), Value::Float(f)) => v(Value::Float(-f)),
                    (_, Value::Unknown(u)) => self.unknown(u, span),
                    _ => self.unknown(Unknown::Error("operator on the wrong type"), span),
                }
            }
            ast::Expr::BinOp(op) => self.eval_binop(op, env, file, span),
            ast::Expr::CurPos(_) => self.unknown(Unknown::Unsupported("__curPos"), span),
            ast::Expr::Error(_) => self.unknown(Unknown::Error("syntax error"), span),
        }
    }

    /// A variable: lexical scopes first, then the global builtins, then the `with`s from the
    /// innermost out.
    fn lookup(&mut self, name: &str, env: EnvId, span: Span) -> Spanned {
        let mut withs = Vec::new();
        let mut current = Some(env);
        while let Some(id) = current {
            let data = &self.envs[id as usize];
            match &data.kind {
                EnvKind::Vars(vars) => {
                    if let Some(&t) = vars.get(name) {
                        return self.force(t);
                    }
                }
                EnvKind::With(ns) => withs.push(*ns),
            }
            current = data.parent;
        }
        if let Some(global) = self.global(name, span) {
            return global;
        }
        for ns in withs {
            let set = self.force(ns);
            match &set.value {
                Value::Attrs(a) => match a.entries.get(name) {
                    Some(attr) => return self.force(attr.value),
                    None if a.open => return self.unknown(Unknown::Unsupported("partly known set"), span),
                    None => {}
                },
                Value::Unknown(Unknown::External(path)) => return self.unknown(extend(path, name), span),
                Value::Unknown(u) => return self.unknown(u.clone(), span),
                _ => return self.unknown(Unknown::Error("`with` on a value that is not a set"), span),
            }
        }
        self.unknown(Unknown::Error("undefined variable"), span)
    }

    fn eval_string(&mut self, s: &ast::Str, env: EnvId, file: FileId, span: Span) -> Spanned {
        let Some(parts) = crate::scope::string_parts(s) else {
            return self.unknown(Unknown::Error("syntax error"), span);
        };
        let mut out = String::new();
        for part in parts {
            match part {
                ast::InterpolPart::Literal(text) => out.push_str(&text),
                ast::InterpolPart::Interpolation(i) => {
                    let Some(e) = i.expr() else {
                        return self.unknown(Unknown::Error("syntax error"), span);
                    };
                    let value = self.eval(&e, env, file);
                    match self.coerce_to_string(value, false) {
                        Ok(text) => out.push_str(&text),
                        Err(u) => return self.unknown(u, span),
                    }
                }
            }
            if out.len() > self.limits.max_string {
                return self.unknown(Unknown::Budget, span);
            }
        }
        Spanned {
            value: Value::Str(out.into()),
            span,
        }
    }

    /// What `"${x}"` (or, with `to_string`, `toString x`) makes of a value.
    pub(super) fn coerce_to_string(&mut self, value: Spanned, to_string: bool) -> Result<Rc<str>, Unknown> {
        match value.value {
            Value::Str(s) => Ok(s),
            Value::Unknown(u) => Err(u),
            Value::Path(_) => Err(Unknown::Unsupported("a path copied to the store")),
            Value::Attrs(_) => Err(Unknown::Unsupported("a set coerced to a string")),
            Value::Int(n) if to_string => Ok(n.to_string().into()),
            Value::Bool(b) if to_string => Ok(if b { "1" } else { "" }.into()),
            Value::Null if to_string => Ok("".into()),
            Value::List(items) if to_string => {
                let mut out = String::new();
                for (i, item) in items.iter().enumerate() {
                    if !self.tick() {
                        return Err(Unknown::Budget);
                    }
                    let v = self.force(*item);
                    // Nix puts a space after every item but the last, except after an empty list.
                    let empty_list = matches!(&v.value, Value::List(l) if l.is_empty());
                    let text = self.coerce_to_string(v, true)?;
                    out.push_str(&text);
                    if i + 1 < items.len() && !empty_list {
                        out.push(' ');
                    }
                    if out.len() > self.limits.max_string {
                        return Err(Unknown::Budget);
                    }
                }
                Ok(out.into())
            }
            Value::Float(_) => Err(Unknown::Unsupported("a float as text")),
            _ => Err(Unknown::Error("cannot coerce to a string")),
        }
    }

    /// An attribute name: `a`, `"a${b}"`, `${e}`. `Ok(None)` for `${null}` (the entry is
    /// skipped, as in Nix).
    fn attr_name(&mut self, attr: &ast::Attr, env: EnvId, file: FileId) -> Result<Option<Rc<str>>, Unknown> {
        match attr {
            ast::Attr::Ident(i) => match i.ident_token() {
                Some(t) => Ok(Some(t.text().into())),
                None => Err(Unknown::Error("`or` as a name")),
            },
            ast::Attr::Str(s) => {
                let span = self.span(file, s.syntax());
                match self.eval_string(s, env, file, span).value {
                    Value::Str(s) => Ok(Some(s)),
                    Value::Unknown(u) => Err(u),
                    _ => Err(Unknown::Error("attribute name is not a string")),
                }
            }
            ast::Attr::Dynamic(d) => {
                let Some(e) = d.expr() else {
                    return Err(Unknown::Error("syntax error"));
                };
                match self.eval(&e, env, file).value {
                    Value::Str(s) => Ok(Some(s)),
                    Value::Null => Ok(None),
                    Value::Unknown(u) => Err(u),
                    _ => Err(Unknown::Error("attribute name is not a string")),
                }
            }
        }
    }

    fn eval_select(&mut self, select: &ast::Select, env: EnvId, file: FileId, span: Span) -> Spanned {
        let (Some(base), Some(path)) = (select.expr(), select.attrpath()) else {
            return self.unknown(Unknown::Error("syntax error"), span);
        };
        let mut current = self.eval(&base, env, file);
        for attr in path.attrs() {
            let name = match self.attr_name(&attr, env, file) {
                Ok(Some(n)) => n,
                Ok(None) => return self.missing(select, env, file, span),
                Err(u) => return self.unknown(u, span),
            };
            current = match &current.value {
                Value::Attrs(a) => match a.entries.get(&*name) {
                    Some(attr) => self.force(attr.value),
                    None if a.open => return self.unknown(Unknown::Unsupported("partly known set"), span),
                    None => return self.missing(select, env, file, span),
                },
                Value::Unknown(Unknown::External(p)) => self.unknown(extend(p, &name), span),
                Value::Unknown(u) => return self.unknown(u.clone(), span),
                _ if select.default_expr().is_some() => return self.missing(select, env, file, span),
                _ => return self.unknown(Unknown::Error("select on a value that is not a set"), span),
            };
        }
        current
    }

    /// The `or` default of a selection whose attribute is missing, or an error.
    fn missing(&mut self, select: &ast::Select, env: EnvId, file: FileId, span: Span) -> Spanned {
        match select.default_expr() {
            Some(default) => self.eval(&default, env, file),
            None => self.unknown(Unknown::Error("missing attribute"), span),
        }
    }

    /// `set.name`, for `inherit (set) name;` and `let { body = …; }`.
    pub(super) fn select_name(&mut self, set: Spanned, name: &str, span: Span) -> Spanned {
        match &set.value {
            Value::Attrs(a) => match a.entries.get(name) {
                Some(attr) => self.force(attr.value),
                None if a.open => self.unknown(Unknown::Unsupported("partly known set"), span),
                None => self.unknown(Unknown::Error("missing attribute"), span),
            },
            Value::Unknown(Unknown::External(p)) => self.unknown(extend(p, name), span),
            Value::Unknown(u) => self.unknown(u.clone(), span),
            _ => self.unknown(Unknown::Error("select on a value that is not a set"), span),
        }
    }

    /// A `let` (or the scope of a `rec` set in a context): a scope whose values see it.
    fn bind_recursive(&mut self, entries: impl Iterator<Item = ast::Entry>, env: EnvId, file: FileId) -> EnvId {
        let inner = self.new_env(env, EnvKind::Vars(HashMap::new()));
        let attrs = self.build_entries(
            entries,
            EntryScopes {
                values: inner,
                inherit: env,
                file,
            },
        );
        self.bind_names(inner, &attrs);
        inner
    }

    fn bind_names(&mut self, env: EnvId, attrs: &Attrs) {
        if let EnvKind::Vars(vars) = &mut self.envs[env as usize].kind {
            for (name, attr) in &attrs.entries {
                vars.insert(name.clone(), attr.value);
            }
        }
    }

    fn build_entries(&mut self, entries: impl Iterator<Item = ast::Entry>, scopes: EntryScopes) -> Rc<Attrs> {
        let mut builder = Builder::default();
        self.add_entries(&mut builder, entries, scopes);
        Rc::new(self.finish(builder))
    }

    fn add_entries(&mut self, builder: &mut Builder, entries: impl Iterator<Item = ast::Entry>, scopes: EntryScopes) {
        for entry in entries {
            if !self.tick() {
                builder.open = true;
                return;
            }
            match entry {
                ast::Entry::AttrpathValue(apv) => {
                    let (Some(path), Some(value)) = (apv.attrpath(), apv.value()) else {
                        continue;
                    };
                    let entry_span = self.span(scopes.file, apv.syntax());
                    let mut names = Vec::new();
                    let mut skip = false;
                    for attr in path.attrs() {
                        match self.attr_name(&attr, scopes.values, scopes.file) {
                            Ok(Some(n)) => names.push(n),
                            Ok(None) => skip = true,
                            Err(_) => {
                                builder.open = true;
                                skip = true;
                            }
                        }
                        if skip {
                            break;
                        }
                    }
                    if !skip && !names.is_empty() {
                        self.insert(builder, &names, value, entry_span, scopes);
                    }
                }
                ast::Entry::Inherit(inherit) => {
                    let from = inherit.from().and_then(|f| f.expr()).map(|e| {
                        self.alloc(ThunkState::Pending {
                            expr: e,
                            env: scopes.values,
                            file: scopes.file,
                        })
                    });
                    for attr in inherit.attrs() {
                        let name = match self.attr_name(&attr, scopes.values, scopes.file) {
                            Ok(Some(n)) => n,
                            _ => {
                                builder.open = true;
                                continue;
                            }
                        };
                        let span = self.span(scopes.file, attr.syntax());
                        let thunk = match (from, &attr) {
                            (Some(from), _) => self.alloc(ThunkState::Select {
                                from,
                                name: name.clone(),
                                span,
                            }),
                            (None, ast::Attr::Ident(ident)) => self.alloc(ThunkState::Pending {
                                expr: ast::Expr::Ident(ident.clone()),
                                env: scopes.inherit,
                                file: scopes.file,
                            }),
                            // `inherit "a";` reads the variable `a`.
                            (None, _) => {
                                let value = self.lookup(&name, scopes.inherit, span);
                                self.done(value)
                            }
                        };
                        let twice = builder.slots.contains_key(&name);
                        let value = if twice {
                            let error = self.unknown(Unknown::Error("attribute defined twice"), span);
                            self.done(error)
                        } else {
                            thunk
                        };
                        builder.slots.insert(name, Slot::Value(value, span));
                    }
                }
            }
        }
    }

    fn insert(&mut self, builder: &mut Builder, names: &[Rc<str>], value: ast::Expr, entry: Span, scopes: EntryScopes) {
        let Some((name, rest)) = names.split_first() else {
            return;
        };
        if rest.is_empty() {
            let literal_set = match strip_parens(&value) {
                ast::Expr::AttrSet(set) if set.rec_token().is_none() => Some(set),
                _ => None,
            };
            match (builder.slots.get_mut(name), literal_set) {
                (None, Some(set)) => {
                    let mut nested = Builder::default();
                    let inner = EntryScopes {
                        values: scopes.values,
                        inherit: scopes.values,
                        file: scopes.file,
                    };
                    self.add_entries(&mut nested, set.entries(), inner);
                    builder.slots.insert(name.clone(), Slot::Nested(nested, entry));
                }
                (Some(Slot::Nested(nested, _)), Some(set)) => {
                    let inner = EntryScopes {
                        values: scopes.values,
                        inherit: scopes.values,
                        file: scopes.file,
                    };
                    self.add_entries(nested, set.entries(), inner);
                }
                (None, None) => {
                    let thunk = self.alloc(ThunkState::Pending {
                        expr: value,
                        env: scopes.values,
                        file: scopes.file,
                    });
                    builder.slots.insert(name.clone(), Slot::Value(thunk, entry));
                }
                (Some(_), _) => self.conflict(builder, name, entry),
            }
            return;
        }
        match builder.slots.get_mut(name) {
            Some(Slot::Nested(nested, _)) => self.insert(nested, rest, value, entry, scopes),
            Some(Slot::Value(..)) => self.conflict(builder, name, entry),
            None => {
                let mut nested = Builder::default();
                self.insert(&mut nested, rest, value, entry, scopes);
                builder.slots.insert(name.clone(), Slot::Nested(nested, entry));
            }
        }
    }

    fn conflict(&mut self, builder: &mut Builder, name: &Rc<str>, entry: Span) {
        let error = self.unknown(Unknown::Error("attribute defined twice"), entry);
        let t = self.done(error);
        builder.slots.insert(name.clone(), Slot::Value(t, entry));
    }

    fn finish(&mut self, builder: Builder) -> Attrs {
        let mut attrs = Attrs {
            entries: BTreeMap::new(),
            open: builder.open,
        };
        if builder.slots.len() > self.limits.max_attrs {
            attrs.open = true;
            return attrs;
        }
        for (name, slot) in builder.slots {
            let attr = match slot {
                Slot::Value(value, entry) => Attr { value, entry },
                Slot::Nested(nested, entry) => {
                    let inner = self.finish(nested);
                    let value = self.done(Spanned {
                        value: Value::Attrs(Rc::new(inner)),
                        span: entry,
                    });
                    Attr { value, entry }
                }
            };
            attrs.entries.insert(name, attr);
        }
        attrs
    }

    /// Calls a function value with one (lazy) argument.
    pub(super) fn apply(&mut self, function: Spanned, arg: ThunkId, span: Span) -> Spanned {
        if !self.tick() {
            return self.unknown(Unknown::Budget, span);
        }
        if self.depth >= self.limits.max_depth {
            return self.unknown(Unknown::Depth, span);
        }
        self.depth += 1;
        let value = self.apply_inner(function, arg, span);
        self.depth -= 1;
        value
    }

    fn apply_inner(&mut self, function: Spanned, arg: ThunkId, span: Span) -> Spanned {
        match function.value {
            Value::Lambda(closure) => {
                let Some(env) = self.lambda_env(&closure, arg, span) else {
                    return self.unknown(Unknown::Error("function called with the wrong argument"), span);
                };
                match env {
                    Ok(env) => match closure.lambda.body() {
                        Some(body) => self.eval(&body, env, closure.file),
                        None => self.unknown(Unknown::Error("syntax error"), span),
                    },
                    Err(u) => self.unknown(u, span),
                }
            }
            Value::Function(partial) => {
                let mut args = partial.args.clone();
                args.push(arg);
                if args.len() < partial.arity as usize {
                    return Spanned {
                        value: Value::Function(Rc::new(Partial {
                            name: partial.name,
                            arity: partial.arity,
                            args,
                        })),
                        span,
                    };
                }
                self.call_builtin(partial.name, &args, span)
            }
            Value::Unknown(Unknown::External(path)) => match super::builtins::by_path(&path) {
                Some((name, arity)) => {
                    let f = Spanned {
                        value: Value::Function(Rc::new(Partial {
                            name,
                            arity,
                            args: Vec::new(),
                        })),
                        span: function.span,
                    };
                    self.apply_inner(f, arg, span)
                }
                None => self.unknown(Unknown::Unsupported("call of a function from outside"), span),
            },
            Value::Unknown(u) => self.unknown(u, span),
            Value::Attrs(a) => match a.entries.get("__functor") {
                Some(functor) => {
                    let functor = self.force(functor.value);
                    let this = self.done(Spanned {
                        value: Value::Attrs(a.clone()),
                        span: function.span,
                    });
                    let f = self.apply(functor, this, span);
                    self.apply(f, arg, span)
                }
                None => self.unknown(Unknown::Error("call of a value that is not a function"), span),
            },
            _ => self.unknown(Unknown::Error("call of a value that is not a function"), span),
        }
    }

    /// The scope of a lambda's body for an argument; `None` when Nix would reject the call.
    fn lambda_env(&mut self, closure: &Closure, arg: ThunkId, span: Span) -> Option<Result<EnvId, Unknown>> {
        let param = closure.lambda.param()?;
        let env = self.new_env(closure.env, EnvKind::Vars(HashMap::new()));
        let mut vars = HashMap::new();
        match param {
            ast::Param::IdentParam(p) => {
                let name = p.ident()?.ident_token()?;
                vars.insert(name.text().into(), arg);
            }
            ast::Param::Pattern(pattern) => {
                let given = self.force(arg);
                let formals: Vec<(Rc<str>, Option<ast::Expr>)> = pattern
                    .pat_entries()
                    .filter_map(|e| {
                        let name: Rc<str> = e.ident()?.ident_token()?.text().into();
                        Some((name, e.default()))
                    })
                    .collect();
                match &given.value {
                    Value::Attrs(a) => {
                        if pattern.ellipsis_token().is_none()
                            && a.entries.keys().any(|k| !formals.iter().any(|(f, _)| f == k))
                        {
                            return None;
                        }
                        for (name, default) in formals {
                            let thunk = match (a.entries.get(&name), default) {
                                (Some(attr), _) => attr.value,
                                (None, _) if a.open => {
                                    let u = self.unknown(Unknown::Unsupported("partly known set"), span);
                                    self.done(u)
                                }
                                (None, Some(d)) => self.alloc(ThunkState::Pending {
                                    expr: d,
                                    env,
                                    file: closure.file,
                                }),
                                (None, None) => return None,
                            };
                            vars.insert(name, thunk);
                        }
                    }
                    Value::Unknown(u) => {
                        for (name, _) in formals {
                            let why = match u {
                                Unknown::External(p) => extend(p, &name),
                                other => other.clone(),
                            };
                            let value = self.unknown(why, span);
                            let t = self.done(value);
                            vars.insert(name, t);
                        }
                    }
                    _ => return Some(Err(Unknown::Error("function expects a set"))),
                }
                if let Some(bind) = pattern.pat_bind().and_then(|b| b.ident()).and_then(|i| i.ident_token()) {
                    vars.insert(bind.text().into(), arg);
                }
            }
        }
        self.envs[env as usize].kind = EnvKind::Vars(vars);
        Some(Ok(env))
    }

    /// The scope of a lambda's body when it is not called: every argument is unknown
    /// (`External` by name for a file's top-level function, whose arguments come from outside).
    pub(super) fn lambda_env_unknown(
        &mut self,
        lambda: &ast::Lambda,
        parent: EnvId,
        external: bool,
        file: FileId,
    ) -> EnvId {
        let mut names: Vec<SyntaxNode> = Vec::new();
        match lambda.param() {
            Some(ast::Param::IdentParam(p)) => names.extend(p.ident().map(|i| i.syntax().clone())),
            Some(ast::Param::Pattern(pattern)) => {
                names.extend(
                    pattern
                        .pat_entries()
                        .filter_map(|e| e.ident())
                        .map(|i| i.syntax().clone()),
                );
                names.extend(pattern.pat_bind().and_then(|b| b.ident()).map(|i| i.syntax().clone()));
            }
            None => {}
        }
        let mut vars = HashMap::new();
        for node in names {
            let Some(token) = node.first_token() else { continue };
            let name: Rc<str> = token.text().into();
            let why = if external {
                Unknown::External(Rc::from(vec![name.clone()]))
            } else {
                Unknown::Argument
            };
            let span = self.span(file, &node);
            let t = self.done(Spanned {
                value: Value::Unknown(why),
                span,
            });
            vars.insert(name, t);
        }
        self.new_env(parent, EnvKind::Vars(vars))
    }

    /// The scope an expression is written in, built from its ancestors (and kept, so the
    /// expressions under one `let` share its thunks).
    pub(super) fn context_env(&mut self, file: FileId, node: &SyntaxNode) -> EnvId {
        let mut chain: Vec<SyntaxNode> = node.ancestors().collect();
        chain.reverse();
        let mut env = ROOT_ENV;
        for pair in chain.windows(2) {
            let (binder, child) = (&pair[0], &pair[1]);
            let key = (file, binder.text_range(), binder.kind());
            let kind = binder.kind();
            let binds = match kind {
                SyntaxKind::NODE_LAMBDA | SyntaxKind::NODE_LET_IN | SyntaxKind::NODE_LEGACY_LET => true,
                SyntaxKind::NODE_ATTR_SET => {
                    ast::AttrSet::cast(binder.clone()).is_some_and(|s| s.rec_token().is_some())
                }
                SyntaxKind::NODE_WITH => ast::With::cast(binder.clone())
                    .and_then(|w| w.body())
                    .is_some_and(|b| b.syntax() == child),
                _ => false,
            };
            if !binds {
                continue;
            }
            if let Some(&cached) = self.context_envs.get(&key) {
                env = cached;
                continue;
            }
            let new = match kind {
                SyntaxKind::NODE_LAMBDA => {
                    let Some(lambda) = ast::Lambda::cast(binder.clone()) else {
                        continue;
                    };
                    let top = binder
                        .ancestors()
                        .skip(1)
                        .find(|a| a.kind() != SyntaxKind::NODE_PAREN)
                        .is_none_or(|a| a.kind() == SyntaxKind::NODE_ROOT);
                    self.lambda_env_unknown(&lambda, env, top, file)
                }
                SyntaxKind::NODE_LET_IN => {
                    let Some(let_in) = ast::LetIn::cast(binder.clone()) else {
                        continue;
                    };
                    self.bind_recursive(let_in.entries(), env, file)
                }
                SyntaxKind::NODE_LEGACY_LET => {
                    let Some(legacy) = ast::LegacyLet::cast(binder.clone()) else {
                        continue;
                    };
                    self.bind_recursive(legacy.entries(), env, file)
                }
                SyntaxKind::NODE_ATTR_SET => {
                    let Some(set) = ast::AttrSet::cast(binder.clone()) else {
                        continue;
                    };
                    self.bind_recursive(set.entries(), env, file)
                }
                _ => {
                    let Some(ns) = ast::With::cast(binder.clone()).and_then(|w| w.namespace()) else {
                        continue;
                    };
                    let t = self.alloc(ThunkState::Pending { expr: ns, env, file });
                    self.new_env(env, EnvKind::With(t))
                }
            };
            self.context_envs.insert(key, new);
            env = new;
        }
        env
    }

    fn eval_binop(&mut self, op: &ast::BinOp, env: EnvId, file: FileId, span: Span) -> Spanned {
        let (Some(kind), Some(lhs), Some(rhs)) = (op.operator(), op.lhs(), op.rhs()) else {
            return self.unknown(Unknown::Error("syntax error"), span);
        };
        let v = |value| Spanned { value, span };
        use ast::BinOpKind as K;
        match kind {
            K::And | K::Or | K::Implication => {
                let l = self.eval(&lhs, env, file);
                let l = match l.value {
                    Value::Bool(b) => b,
                    Value::Unknown(u) => return self.unknown(u, span),
                    _ => return self.unknown(Unknown::Error("boolean operator on a value that is not a bool"), span),
                };
                let short = match kind {
                    K::And => (!l).then_some(false),
                    K::Or => l.then_some(true),
                    _ => (!l).then_some(true),
                };
                if let Some(result) = short {
                    return v(Value::Bool(result));
                }
                match self.eval(&rhs, env, file).value {
                    Value::Bool(b) => v(Value::Bool(b)),
                    Value::Unknown(u) => self.unknown(u, span),
                    _ => self.unknown(Unknown::Error("boolean operator on a value that is not a bool"), span),
                }
            }
            K::PipeRight | K::PipeLeft => {
                let (f, x) = if kind == K::PipeRight { (rhs, lhs) } else { (lhs, rhs) };
                let f = self.eval(&f, env, file);
                let x = self.alloc(ThunkState::Pending { expr: x, env, file });
                self.apply(f, x, span)
            }
            _ => {
                let l = self.eval(&lhs, env, file);
                let r = self.eval(&rhs, env, file);
                self.binary(kind, l, r, span)
            }
        }
    }

    /// A strict binary operator on two values.
    pub(super) fn binary(&mut self, kind: ast::BinOpKind, l: Spanned, r: Spanned, span: Span) -> Spanned {
        use ast::BinOpKind as K;
        let v = |value| Spanned { value, span };
        if matches!(kind, K::Equal | K::NotEqual) {
            if let (Value::Unknown(u), _) | (_, Value::Unknown(u)) = (&l.value, &r.value) {
                return self.unknown(u.clone(), span);
            }
            return match self.equal(&l, &r, 0) {
                Some(eq) => v(Value::Bool(eq == (kind == K::Equal))),
                None if self.exhausted => self.unknown(Unknown::Budget, span),
                None => self.unknown(Unknown::Unsupported("comparison with an unknown value"), span),
            };
        }
        match (&l.value, &r.value) {
            (Value::Unknown(u), _) | (_, Value::Unknown(u)) => return self.unknown(u.clone(), span),
            _ => {}
        }
        match (kind, l.value, r.value) {
            (K::Update, Value::Attrs(a), Value::Attrs(b)) => {
                if b.open {
                    return self.unknown(Unknown::Unsupported("update with a partly known set"), span);
                }
                if a.entries.len() + b.entries.len() > self.limits.max_attrs {
                    return self.unknown(Unknown::Budget, span);
                }
                let mut merged = (*a).clone();
                for (k, attr) in &b.entries {
                    merged.entries.insert(k.clone(), *attr);
                }
                v(Value::Attrs(Rc::new(merged)))
            }
            (K::Concat, Value::List(a), Value::List(b)) => {
                if a.len() + b.len() > self.limits.max_list {
                    return self.unknown(Unknown::Budget, span);
                }
                v(Value::List(a.iter().chain(b.iter()).copied().collect()))
            }
            (K::Add, Value::Str(a), Value::Str(b)) => {
                if a.len() + b.len() > self.limits.max_string {
                    return self.unknown(Unknown::Budget, span);
                }
                v(Value::Str(format!("{a}{b}").into()))
            }
            (K::Add, Value::Path(a), Value::Str(b)) => {
                if b.starts_with('/') && !b.split('/').any(|p| p == ".." || p == ".") && a.len() + b.len() <= 4096 {
                    v(Value::Path(format!("{a}{b}").into()))
                } else {
                    self.unknown(Unknown::Unsupported("path arithmetic"), span)
                }
            }
            (K::Add | K::Sub | K::Mul | K::Div, Value::Int(a), Value::Int(b)) => {
                let result = match kind {
                    K::Add => a.checked_add(b),
                    K::Sub => a.checked_sub(b),
                    K::Mul => a.checked_mul(b),
                    _ => a.checked_div(b),
                };
                match result {
                    Some(n) => v(Value::Int(n)),
                    None => self.unknown(Unknown::Error("integer overflow or division by zero"), span),
                }
            }
            (K::Add | K::Sub | K::Mul | K::Div, a, b) => match (number(&a), number(&b)) {
                (Some(a), Some(b)) => {
                    let result = match kind {
                        K::Add => a + b,
                        K::Sub => a - b,
                        K::Mul => a * b,
                        _ if b == 0.0 => return self.unknown(Unknown::Error("division by zero"), span),
                        _ => a / b,
                    };
                    v(Value::Float(result))
                }
                _ => self.unknown(Unknown::Error("arithmetic on the wrong types"), span),
            },
            (K::Less | K::LessOrEq | K::More | K::MoreOrEq, a, b) => {
                let ordering = match (&a, &b) {
                    (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
                    (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
                    _ => match (number(&a), number(&b)) {
                        (Some(x), Some(y)) => x.partial_cmp(&y),
                        _ => None,
                    },
                };
                let Some(ordering) = ordering else {
                    return self.unknown(Unknown::Error("comparison of the wrong types"), span);
                };
                let result = match kind {
                    K::Less => ordering.is_lt(),
                    K::LessOrEq => ordering.is_le(),
                    K::More => ordering.is_gt(),
                    _ => ordering.is_ge(),
                };
                v(Value::Bool(result))
            }
            _ => self.unknown(Unknown::Error("operator on the wrong types"), span),
        }
    }

    /// Nix's `==`: `None` when an unknown value decides it.
    pub(super) fn equal(&mut self, a: &Spanned, b: &Spanned, depth: u32) -> Option<bool> {
        if !self.tick() || depth > self.limits.max_depth {
            return None;
        }
        Some(match (&a.value, &b.value) {
            (Value::Unknown(_), _) | (_, Value::Unknown(_)) | (Value::Prop(_), _) | (_, Value::Prop(_)) => return None,
            (Value::Null, Value::Null) => true,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Str(x), Value::Str(y)) | (Value::Path(x), Value::Path(y)) => x == y,
            (Value::List(x), Value::List(y)) => {
                if x.len() != y.len() {
                    return Some(false);
                }
                for (p, q) in x.iter().zip(y.iter()) {
                    let p = self.force(*p);
                    let q = self.force(*q);
                    if !self.equal(&p, &q, depth + 1)? {
                        return Some(false);
                    }
                }
                true
            }
            (Value::Attrs(x), Value::Attrs(y)) => {
                if x.open || y.open {
                    return None;
                }
                if x.entries.len() != y.entries.len() || x.entries.keys().ne(y.entries.keys()) {
                    return Some(false);
                }
                for (p, q) in x.entries.values().zip(y.entries.values()) {
                    let p = self.force(p.value);
                    let q = self.force(q.value);
                    if !self.equal(&p, &q, depth + 1)? {
                        return Some(false);
                    }
                }
                true
            }
            (x, y) => match (number(x), number(y)) {
                (Some(p), Some(q)) => p == q,
                _ => false,
            },
        })
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(n) => Some(*n as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// `External(path)` with one more name selected.
pub(super) fn extend(path: &[Rc<str>], name: &str) -> Unknown {
    // Deep selections from outside are all alike to the rules; keep the path short.
    if path.len() >= 8 {
        return Unknown::External(path.into());
    }
    let mut p = path.to_vec();
    p.push(name.into());
    Unknown::External(p.into())
}
