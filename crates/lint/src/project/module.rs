//! One NixOS module file read statically: its arguments, its `imports` (resolved to files,
//! blueprint modules or other flakes' modules) and the option definitions it makes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use nixpilot_semantics::eval::{self, Evaluator, FileId, Limits, Loader, Prop, Spanned};
use rnix::ast::{self, HasEntry};
use rnix::SyntaxNode;
use rowan::ast::AstNode;
use rowan::TextRange;

use super::host::{Definition, Priority, Value};
use super::nix::{self, attr_name, select_path, strip_parens};
use super::source::{self, EntryKind, FileSource};
use super::ParsedFile;
use crate::diagnostic::FilePath;

/// Definitions at longer option paths are not followed (the module is marked `unknown`).
pub const MAX_OPTION_PATH: usize = 64;

/// Definitions one evaluated value may make; past that, the rest of it is `computed`.
pub const MAX_SPREAD: usize = 4096;

/// What an `imports` entry refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportTarget {
    /// A file of the project that exists.
    File(FilePath),
    /// A path of the project that does not exist (or a directory without `default.nix`).
    Missing(String),
    /// `flake.nixosModules.<name>` / `flake.modules.<class>.<name>`; `file` is `None` when
    /// blueprint has no such module.
    FlakeModule {
        class: String,
        name: String,
        file: Option<FilePath>,
    },
    /// `inputs.<input>.nixosModules.<name>` / `inputs.<input>.modules.<class>.<name>`.
    External { input: String, class: String, name: String },
    /// Anything that needs evaluation.
    Unknown,
}

/// One entry of an `imports` list.
#[derive(Debug, Clone)]
pub struct Import {
    pub range: TextRange,
    pub target: ImportTarget,
}

/// What a module file declares.
#[derive(Debug, Clone, Default)]
pub struct ModuleSummary {
    pub file: FilePath,
    /// Formal arguments (`{ config, lib, ... }:`) with ranges, when the module is a function
    /// with a pattern; and whether it has `...`.
    pub formals: Option<(Vec<(String, TextRange)>, bool)>,
    pub imports: Vec<Import>,
    pub definitions: Vec<Definition>,
    /// Some part of the module (body or imports) could not be read statically.
    pub unknown: bool,
    /// Where new definitions can be inserted: the module body's (or `config`'s) `{`.
    pub body: Option<BodyInsertion>,
}

/// The opening brace of the set that holds a module's definitions, and the indentation its
/// entries use, so fixes can add a definition in the file's own style.
#[derive(Debug, Clone)]
pub struct BodyInsertion {
    pub open_brace: TextRange,
    /// After the last entry (or the `{` of an empty set): new lines go at the end.
    pub insert_at: rowan::TextSize,
    pub indent: String,
}

fn body_insertion(set: &ast::AttrSet) -> Option<BodyInsertion> {
    let open_brace = set.l_curly_token()?.text_range();
    let indent = set
        .entries()
        .next()
        .and_then(|e| e.syntax().prev_sibling_or_token())
        .filter(|t| t.kind() == rnix::SyntaxKind::TOKEN_WHITESPACE)
        .and_then(|t| {
            t.as_token()
                .map(|t| t.text().rsplit('\n').next().unwrap_or("").to_string())
        })
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| "  ".to_string());
    let insert_at = set
        .entries()
        .last()
        .map_or(open_brace.end(), |e| e.syntax().text_range().end());
    Some(BodyInsertion {
        open_brace,
        insert_at,
        indent,
    })
}

/// Attribute names of a module that are not option definitions in its short form.
const SPECIAL_KEYS: &[&str] = &[
    "imports",
    "options",
    "config",
    "_file",
    "key",
    "disabledModules",
    "freeformType",
];

/// `class` names used in `modules.<class>` and the `nixosModules`-style aliases.
fn class_of_alias(alias: &str) -> Option<&'static str> {
    match alias {
        "nixosModules" => Some("nixos"),
        "darwinModules" => Some("darwin"),
        "homeModules" | "homeManagerModules" => Some("home"),
        _ => None,
    }
}

/// Lets the evaluator follow `import ./x.nix` through the project's files (never outside the
/// project, never a file with syntax errors).
pub struct ProjectLoader<'a> {
    pub source: &'a dyn FileSource,
    /// The project's files already parsed, used before the source.
    pub files: &'a BTreeMap<FilePath, Arc<ParsedFile>>,
}

impl Loader for ProjectLoader<'_> {
    fn resolve_path(&self, from_file: &str, literal: &str) -> Option<String> {
        source::join(source::parent(from_file), literal)
    }

    fn load(&self, path: &str) -> Option<(String, SyntaxNode)> {
        let file = match self.source.kind(path)? {
            EntryKind::File => path.to_string(),
            EntryKind::Dir => format!("{path}/default.nix"),
        };
        let parsed = match self.files.get(file.as_str()) {
            Some(p) => p.clone(),
            None => self.source.parsed(&file)?,
        };
        if parsed.has_errors() {
            return None;
        }
        Some((file, parsed.syntax()))
    }
}

struct Reader<'a> {
    file: &'a FilePath,
    dir: &'a str,
    source: &'a dyn FileSource,
    layout: &'a super::Layout,
    /// Top-level `let` bindings, to resolve `networking.hostName = name;`.
    env: HashMap<String, ast::Expr>,
    summary: ModuleSummary,
    loader: &'a ProjectLoader<'a>,
    root: SyntaxNode,
    /// Made on the first definition whose value is not a literal.
    evaluator: Option<(Evaluator<'a>, FileId)>,
    /// Definitions one evaluated value may still make: a set that holds a large set under
    /// each of many names must not multiply into millions of definitions.
    spread_left: usize,
}

impl ModuleSummary {
    /// Reads one module file; `files` are the project's files already parsed (for what the
    /// evaluator imports).
    pub fn read(
        parsed: &ParsedFile,
        source: &dyn FileSource,
        layout: &super::Layout,
        files: &BTreeMap<FilePath, Arc<ParsedFile>>,
    ) -> ModuleSummary {
        let file = parsed.path().clone();
        let dir = source::parent(&file).to_string();
        let loader = ProjectLoader { source, files };
        let mut reader = Reader {
            file: &file,
            dir: &dir,
            source,
            layout,
            env: HashMap::new(),
            summary: ModuleSummary {
                file: file.clone(),
                ..ModuleSummary::default()
            },
            loader: &loader,
            root: parsed.syntax(),
            evaluator: None,
            spread_left: 0,
        };
        if parsed.has_errors() {
            reader.summary.unknown = true;
        }
        match nix::root_expr(&reader.root.clone()) {
            Some(expr) => reader.module(&expr),
            None => reader.summary.unknown = true,
        }
        reader.summary
    }
}

impl Reader<'_> {
    fn module(&mut self, expr: &ast::Expr) {
        let mut body = strip_parens(expr);
        if let ast::Expr::Lambda(lambda) = &body {
            self.summary.formals = nix::lambda_formals(lambda);
            match lambda.body() {
                Some(b) => body = strip_parens(&b),
                None => return,
            }
        }
        // `let … in { … }` and `with lib; { … }` around the module body.
        loop {
            match &body {
                ast::Expr::LetIn(let_in) => {
                    for entry in let_in.attrpath_values() {
                        let names = entry.attrpath().and_then(|p| nix::attrpath_names(&p));
                        if let (Some(names), Some(value)) = (names, entry.value()) {
                            if names.len() == 1 {
                                self.env.insert(names[0].clone(), value);
                            }
                        }
                    }
                    match let_in.body() {
                        Some(b) => body = strip_parens(&b),
                        None => return,
                    }
                }
                ast::Expr::With(with) => match with.body() {
                    Some(b) => body = strip_parens(&b),
                    None => return,
                },
                _ => break,
            }
        }
        let ast::Expr::AttrSet(set) = &body else {
            self.computed_body(&body);
            return;
        };
        let top_names: Vec<Option<String>> = set
            .attrpath_values()
            .map(|e| e.attrpath().and_then(|p| p.attrs().next()).and_then(|a| attr_name(&a)))
            .collect();
        let full_form = top_names
            .iter()
            .any(|n| matches!(n.as_deref(), Some("config" | "options")));
        self.summary.body = if full_form {
            set.attrpath_values()
                .find(|e| {
                    e.attrpath()
                        .and_then(|p| nix::attrpath_names(&p))
                        .is_some_and(|n| n == ["config"])
                })
                .and_then(|e| e.value())
                .and_then(|v| match strip_parens(&v) {
                    ast::Expr::AttrSet(c) => body_insertion(&c),
                    _ => None,
                })
        } else {
            body_insertion(set)
        };
        for entry in set.entries() {
            match entry {
                ast::Entry::AttrpathValue(apv) => {
                    let Some(path) = apv.attrpath() else { continue };
                    let names: Vec<Option<String>> = path.attrs().map(|a| attr_name(&a)).collect();
                    let Some(value) = apv.value() else { continue };
                    match names.first().cloned().flatten().as_deref() {
                        Some("imports") if names.len() == 1 => self.imports(&value),
                        Some("config") if full_form => {
                            let rest = names[1..].to_vec();
                            self.definitions(rest, &value, apv.syntax().text_range(), Priority::Normal, false);
                        }
                        Some(key) if SPECIAL_KEYS.contains(&key) => {}
                        _ if full_form => {}
                        _ => self.definitions(names, &value, apv.syntax().text_range(), Priority::Normal, false),
                    }
                }
                ast::Entry::Inherit(inherit) => {
                    if !full_form {
                        for attr in inherit.attrs() {
                            if let Some(name) = attr_name(&attr) {
                                self.push(
                                    vec![Some(name)],
                                    Value::Other,
                                    inherit.syntax().text_range(),
                                    attr.syntax().text_range(),
                                    Priority::Normal,
                                    false,
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    /// A module body that is not a set literal (`{ … }: import ./disko-config.nix { … }`):
    /// when the evaluator makes it a set of plain definitions (no `imports`, `options`,
    /// `config` or other special key, no name it cannot compute), those are the module's
    /// definitions; anything else leaves the module unknown.
    fn computed_body(&mut self, body: &ast::Expr) {
        let range = body.syntax().text_range();
        let (evaluator, file) = self.evaluator.get_or_insert_with(|| {
            let mut evaluator = Evaluator::new(self.loader, Limits::default());
            let file = evaluator.add_file(self.file, self.root.clone());
            (evaluator, file)
        });
        let file = *file;
        let value = evaluator.eval_at(file, body);
        self.spread_left = MAX_SPREAD;
        let plain = match &value.value {
            eval::Value::Attrs(a) => !a.open && a.entries.keys().all(|k| !SPECIAL_KEYS.contains(&&**k)),
            _ => false,
        };
        if !plain {
            self.summary.unknown = true;
            return;
        }
        if matches!(&value.value, eval::Value::Attrs(a) if a.entries.is_empty()) {
            return;
        }
        let site = Site {
            file,
            call: range,
            entry: range,
            value: range,
        };
        self.spread(Vec::new(), value, site, Priority::Normal, false, 0);
    }

    fn push(
        &mut self,
        path: Vec<Option<String>>,
        value: Value,
        range: TextRange,
        value_range: TextRange,
        priority: Priority,
        conditional: bool,
    ) {
        self.summary.definitions.push(Definition {
            path,
            value,
            file: self.file.clone(),
            range,
            value_range,
            priority,
            conditional,
            via: None,
        });
    }

    /// Walks a definition's value: nested sets extend the path; `mkIf`, `mkDefault`,
    /// `mkForce`, `mkOverride`, `mkMerge` are seen through.
    fn definitions(
        &mut self,
        path: Vec<Option<String>>,
        value: &ast::Expr,
        range: TextRange,
        priority: Priority,
        conditional: bool,
    ) {
        // Option paths are a dozen names long; a hostile `a.a.a…` must not drive the
        // recursive walks over paths (here, in disko) arbitrarily deep.
        if path.len() > MAX_OPTION_PATH {
            self.summary.unknown = true;
            return;
        }
        let value = strip_parens(value);
        match &value {
            ast::Expr::AttrSet(set) if set.rec_token().is_none() => {
                let mut any = false;
                for entry in set.entries() {
                    any = true;
                    match entry {
                        ast::Entry::AttrpathValue(apv) => {
                            let (Some(p), Some(v)) = (apv.attrpath(), apv.value()) else {
                                continue;
                            };
                            let mut sub = path.clone();
                            sub.extend(p.attrs().map(|a| attr_name(&a)));
                            self.definitions(sub, &v, apv.syntax().text_range(), priority, conditional);
                        }
                        ast::Entry::Inherit(inherit) => {
                            for attr in inherit.attrs() {
                                let mut sub = path.clone();
                                sub.push(attr_name(&attr));
                                let v = match (&inherit.from(), attr_name(&attr)) {
                                    (None, Some(name)) => {
                                        self.env.get(&name).cloned().map_or(Value::Other, |e| self.value(&e, 0))
                                    }
                                    _ => Value::Other,
                                };
                                self.push(
                                    sub,
                                    v,
                                    inherit.syntax().text_range(),
                                    attr.syntax().text_range(),
                                    priority,
                                    conditional,
                                );
                            }
                        }
                    }
                }
                if !any {
                    self.push(
                        path,
                        Value::Other,
                        range,
                        value.syntax().text_range(),
                        priority,
                        conditional,
                    );
                }
            }
            ast::Expr::Apply(_) => {
                let (function, args) = flatten_apply(&value);
                let name = function.as_ref().and_then(select_path).and_then(|p| {
                    let last = p.last()?.clone();
                    (p.len() == 1
                        || (p.len() == 2 && p[0] == "lib")
                        || (p.len() == 3 && p[0] == "pkgs" && p[1] == "lib"))
                        .then_some(last)
                });
                match (name.as_deref(), args.as_slice()) {
                    (Some("mkIf"), [_, body]) => self.definitions(path, body, range, priority, true),
                    (Some("mkDefault"), [body]) => self.definitions(path, body, range, Priority::Default, conditional),
                    (Some("mkForce"), [body]) => self.definitions(path, body, range, Priority::Force, conditional),
                    (Some("mkOverride"), [n, body]) => {
                        let n = match strip_parens(n) {
                            ast::Expr::Literal(l) => l.syntax().text().to_string().parse().unwrap_or(100),
                            _ => 100,
                        };
                        self.definitions(path, body, range, Priority::Override(n), conditional)
                    }
                    (Some("mkBefore" | "mkAfter"), [body]) | (Some("mkOrder"), [_, body]) => {
                        self.definitions(path, body, range, priority, conditional)
                    }
                    (Some("mkMerge"), [list]) => match strip_parens(list) {
                        ast::Expr::List(items) => {
                            for item in items.items() {
                                self.definitions(path.clone(), &item, range, priority, conditional);
                            }
                        }
                        _ => self.computed(path, &value, range, priority, conditional),
                    },
                    _ => self.computed(path, &value, range, priority, conditional),
                }
            }
            _ => self.computed(path, &value, range, priority, conditional),
        }
    }

    /// A definition whose value is not a set literal: a literal is kept as it is; anything
    /// else goes to the evaluator, whose result is spread into definitions like a literal
    /// set would be (`x = mirrorBoot "0";` defines `x.device`, `x.content.type`, …).
    fn computed(
        &mut self,
        path: Vec<Option<String>>,
        value: &ast::Expr,
        range: TextRange,
        priority: Priority,
        conditional: bool,
    ) {
        let literal = self.value(value, 0);
        let value_range = value.syntax().text_range();
        if literal != Value::Other || !self.worth_evaluating(value) {
            self.push(path, literal, range, value_range, priority, conditional);
            return;
        }
        let (evaluator, file) = self.evaluator.get_or_insert_with(|| {
            let mut evaluator = Evaluator::new(self.loader, Limits::default());
            let file = evaluator.add_file(self.file, self.root.clone());
            (evaluator, file)
        });
        let file = *file;
        let result = evaluator.eval_at(file, value);
        self.spread_left = MAX_SPREAD;
        let site = Site {
            file,
            call: range,
            entry: range,
            value: value_range,
        };
        self.spread(path, result, site, priority, conditional, 0);
    }

    /// Whether the evaluator may know more than "computed": not for `config.x`, `pkgs.hello`
    /// or a lone name the module does not bind at its top (they come from outside or from a
    /// `with`), which are most computed definitions and would only cost time.
    fn worth_evaluating(&self, value: &ast::Expr) -> bool {
        let mut current = strip_parens(value);
        loop {
            match current {
                ast::Expr::Select(s) => match s.expr() {
                    Some(base) if s.default_expr().is_none() => current = strip_parens(&base),
                    _ => return true,
                },
                ast::Expr::Ident(i) => {
                    return i.ident_token().is_some_and(|t| self.env.contains_key(t.text()));
                }
                _ => return true,
            }
        }
    }

    /// Turns an evaluated value into definitions: sets extend the path, the module system's
    /// wrappers set `conditional` and `priority`, everything else is a leaf.
    fn spread(
        &mut self,
        path: Vec<Option<String>>,
        value: Spanned,
        site: Site,
        priority: Priority,
        conditional: bool,
        depth: usize,
    ) {
        let Some((evaluator, _)) = self.evaluator.as_mut() else {
            return;
        };
        if path.len() > MAX_OPTION_PATH || depth > MAX_OPTION_PATH {
            self.summary.unknown = true;
            return;
        }
        let here = site.here(&value);
        if self.spread_left == 0 {
            self.push_via(path, Value::Other, site.entry, here, priority, conditional, site.call);
            return;
        }
        self.spread_left -= 1;
        match &value.value {
            eval::Value::Attrs(attrs) if !attrs.entries.is_empty() || attrs.open => {
                let entries: Vec<(String, eval::Attr)> =
                    attrs.entries.iter().map(|(k, a)| (k.to_string(), *a)).collect();
                for (name, attr) in entries {
                    let Some((evaluator, _)) = self.evaluator.as_mut() else {
                        return;
                    };
                    let child = evaluator.force(attr.value);
                    let mut sub = path.clone();
                    sub.push(Some(name));
                    let entry = if attr.entry.file == site.file {
                        attr.entry.range
                    } else {
                        site.entry
                    };
                    self.spread(sub, child, Site { entry, ..site }, priority, conditional, depth + 1);
                }
                if attrs.open {
                    let mut sub = path;
                    sub.push(None);
                    self.push_via(sub, Value::Other, site.entry, here, priority, conditional, site.call);
                }
            }
            eval::Value::Prop(prop) => match &**prop {
                Prop::If { condition, content } => {
                    let condition = evaluator.force(*condition);
                    let content = evaluator.force(*content);
                    match condition.value {
                        eval::Value::Bool(false) => {}
                        eval::Value::Bool(true) => self.spread(path, content, site, priority, conditional, depth + 1),
                        _ => self.spread(path, content, site, priority, true, depth + 1),
                    }
                }
                Prop::Override { priority: p, content } => {
                    let content = evaluator.force(*content);
                    let priority = match *p {
                        50 => Priority::Force,
                        100 => Priority::Normal,
                        1000 => Priority::Default,
                        n => Priority::Override(n),
                    };
                    self.spread(path, content, site, priority, conditional, depth + 1)
                }
                Prop::Order { content, .. } => {
                    let content = evaluator.force(*content);
                    self.spread(path, content, site, priority, conditional, depth + 1)
                }
                Prop::Merge(items) => {
                    for item in items.iter() {
                        let Some((evaluator, _)) = self.evaluator.as_mut() else {
                            return;
                        };
                        let item = evaluator.force(*item);
                        self.spread(path.clone(), item, site, priority, conditional, depth + 1);
                    }
                }
            },
            _ => {
                let leaf = leaf_value(evaluator, &value, site, 0);
                self.push_via(path, leaf, site.entry, here, priority, conditional, site.call);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push_via(
        &mut self,
        path: Vec<Option<String>>,
        value: Value,
        range: TextRange,
        value_range: TextRange,
        priority: Priority,
        conditional: bool,
        call: TextRange,
    ) {
        // A value the evaluator could not see through points where it was written, as before.
        let via = (range != call).then_some(call);
        self.summary.definitions.push(Definition {
            path,
            value,
            file: self.file.clone(),
            range,
            value_range,
            priority,
            conditional,
            via,
        });
    }

    /// A value when it is a literal (or a `let` binding of one), else `Value::Other`.
    fn value(&self, expr: &ast::Expr, depth: usize) -> Value {
        let expr = strip_parens(expr);
        match &expr {
            ast::Expr::Str(s) => match nix::str_value(s) {
                Some(v) => Value::Str(v),
                None => self.flake_path(s).map_or(Value::Other, |p| Value::Path(Some(p))),
            },
            ast::Expr::Literal(l) => l.syntax().text().to_string().parse().map_or(Value::Other, Value::Int),
            ast::Expr::Ident(i) => match i.ident_token().as_ref().map(|t| t.text()) {
                Some("true") => Value::Bool(true),
                Some("false") => Value::Bool(false),
                Some("null") => Value::Null,
                Some(name) if depth < 4 => self.env.get(name).map_or(Value::Other, |e| self.value(e, depth + 1)),
                _ => Value::Other,
            },
            ast::Expr::PathRel(p) => Value::Path(source::join(self.dir, &p.syntax().text().to_string())),
            ast::Expr::List(list) => Value::List(
                list.items()
                    .map(|i| (self.value(&i, depth), i.syntax().text_range()))
                    .collect(),
            ),
            _ => Value::Other,
        }
    }

    /// `"${flake}/users/x"`, `"${inputs.self}/x"`, `"${self}/x"` as a project path.
    fn flake_path(&self, s: &ast::Str) -> Option<String> {
        let parts = nix::string_parts(s)?;
        let [ast::InterpolPart::Interpolation(i), ast::InterpolPart::Literal(rest)] = parts.as_slice() else {
            return None;
        };
        let base = select_path(&i.expr()?)?;
        let is_root = matches!(
            base.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
            ["flake"] | ["self"] | ["inputs", "self"]
        );
        if !is_root {
            return None;
        }
        source::join("", rest.trim_start_matches('/'))
    }

    fn imports(&mut self, value: &ast::Expr) {
        match strip_parens(value) {
            ast::Expr::List(list) => {
                for item in list.items() {
                    let target = self.import_target(&item);
                    if target == ImportTarget::Unknown {
                        self.summary.unknown = true;
                    }
                    self.summary.imports.push(Import {
                        range: item.syntax().text_range(),
                        target,
                    });
                }
            }
            ast::Expr::BinOp(op) if op.operator() == Some(ast::BinOpKind::Concat) => {
                if let Some(lhs) = op.lhs() {
                    self.imports(&lhs);
                }
                if let Some(rhs) = op.rhs() {
                    self.imports(&rhs);
                }
            }
            _ => self.summary.unknown = true,
        }
    }

    fn import_target(&self, item: &ast::Expr) -> ImportTarget {
        let item = strip_parens(item);
        let path = match &item {
            ast::Expr::PathRel(p) => source::join(self.dir, &p.syntax().text().to_string()),
            ast::Expr::Str(s) => self.flake_path(s),
            _ => None,
        };
        if let Some(path) = path {
            return match self.source.kind(&path) {
                Some(EntryKind::File) => ImportTarget::File(path.as_str().into()),
                Some(EntryKind::Dir) => {
                    let default = format!("{path}/default.nix");
                    if self.source.kind(&default) == Some(EntryKind::File) {
                        ImportTarget::File(default.as_str().into())
                    } else {
                        ImportTarget::Missing(default)
                    }
                }
                None => ImportTarget::Missing(path),
            };
        }
        let Some(segments) = select_path(&item) else {
            return ImportTarget::Unknown;
        };
        let s: Vec<&str> = segments.iter().map(String::as_str).collect();
        let (base, rest): (&[&str], &[&str]) = match s.as_slice() {
            ["flake", rest @ ..] | ["self", rest @ ..] | ["inputs", "self", rest @ ..] => (&["self"], rest),
            ["inputs", input, rest @ ..] => (std::slice::from_ref(input), rest),
            _ => return ImportTarget::Unknown,
        };
        let (class, name) = match rest {
            [alias, name] => match class_of_alias(alias) {
                Some(class) => (class.to_string(), name.to_string()),
                None => return ImportTarget::Unknown,
            },
            ["modules", class, name] => (class.to_string(), name.to_string()),
            _ => return ImportTarget::Unknown,
        };
        if base == ["self"] {
            let file = self.layout.module(&class, &name).and_then(|m| m.file.clone());
            let exists = self.layout.module(&class, &name).is_some();
            if !exists || file.is_some() {
                return ImportTarget::FlakeModule { class, name, file };
            }
            // A module directory without default.nix: importing it fails like a missing path.
            return ImportTarget::Missing(format!(
                "{}/default.nix",
                self.layout
                    .module(&class, &name)
                    .map_or(String::new(), |m| m.path.clone())
            ));
        }
        ImportTarget::External {
            input: base[0].to_string(),
            class,
            name,
        }
    }
}

/// Where an evaluated definition comes from: the definition the model evaluated (`call`, its
/// value at `value`) and the innermost `name = …;` entry of this file that made the part at
/// hand (`entry`; the call itself when the part was written in another file).
#[derive(Clone, Copy)]
struct Site {
    file: FileId,
    call: TextRange,
    entry: TextRange,
    value: TextRange,
}

impl Site {
    /// Where a value was written, if in this file; else the evaluated expression.
    fn here(&self, value: &Spanned) -> TextRange {
        if value.span.file == self.file && !value.span.range.is_empty() {
            value.span.range
        } else {
            self.value
        }
    }
}

/// A leaf of an evaluated definition as the model's `Value` (lists of leaves included);
/// anything not fully known is `Other`.
fn leaf_value(evaluator: &mut Evaluator, value: &Spanned, site: Site, depth: usize) -> Value {
    match &value.value {
        eval::Value::Str(s) => Value::Str(s.to_string()),
        eval::Value::Int(n) => Value::Int(*n),
        eval::Value::Bool(b) => Value::Bool(*b),
        eval::Value::Null => Value::Null,
        eval::Value::Path(p) => Value::Path(Some(p.to_string())),
        eval::Value::List(items) if depth < 4 => Value::List(
            items
                .iter()
                .map(|t| {
                    let item = evaluator.force(*t);
                    (leaf_value(evaluator, &item, site, depth + 1), site.here(&item))
                })
                .collect(),
        ),
        _ => Value::Other,
    }
}

/// `f a b` as `(f, [a, b])`.
fn flatten_apply(expr: &ast::Expr) -> (Option<ast::Expr>, Vec<ast::Expr>) {
    let mut args = Vec::new();
    let mut current = strip_parens(expr);
    while let ast::Expr::Apply(apply) = &current {
        if let Some(arg) = apply.argument() {
            args.push(arg);
        }
        match apply.lambda() {
            Some(f) => current = strip_parens(&f),
            None => return (None, args),
        }
    }
    args.reverse();
    (Some(current), args)
}
