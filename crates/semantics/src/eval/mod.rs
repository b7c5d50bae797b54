//! A bounded static evaluator: what a Nix expression is worth when everything it needs is in
//! the project's own files, and an explicit `Unknown` (never a guess) for everything else.
//!
//! Evaluation is lazy like Nix's (attribute values, list items and arguments are thunks, forced
//! on demand), so unused parts cost nothing and `rec` sets can refer to themselves. Thunks and
//! scopes live in arenas owned by the [`Evaluator`] and are named by index, so no reference
//! cycle can leak. Every evaluation has a step budget and a depth budget, and values have size
//! caps: a hostile file gets `Unknown` back, never a hang, an explosion or a stack overflow.
//! Files are read through a [`Loader`] the caller implements; this module reads nothing.

mod builtins;
mod expr;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use rnix::ast;
use rnix::SyntaxNode;
use rowan::TextRange;

/// The budgets of one evaluation (and of an evaluator's whole life).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Expressions evaluated, thunks forced and builtin iterations, per evaluation.
    pub max_steps: u32,
    /// Nested evaluations (calls, forced thunks) at once.
    pub max_depth: u32,
    /// Steps over all evaluations of one evaluator.
    pub max_total_steps: u64,
    pub max_list: usize,
    pub max_string: usize,
    pub max_attrs: usize,
    /// Thunks an evaluator may hold at once.
    pub max_thunks: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_steps: 20_000,
            max_depth: 96,
            max_total_steps: 100_000,
            max_list: 10_000,
            max_string: 64 * 1024,
            max_attrs: 10_000,
            max_thunks: 200_000,
        }
    }
}

/// How the evaluator reaches other files: the caller decides what a path means and supplies
/// parsed trees.
pub trait Loader {
    /// The project path a path literal (`./disko.nix`, `../lib`) written in `from_file` names;
    /// `None` when it leaves the project or cannot be known.
    fn resolve_path(&self, from_file: &str, literal: &str) -> Option<String>;
    /// The file `import path` reads (a directory means its `default.nix`): its own path and
    /// its syntax tree; `None` when it is not a readable Nix file.
    fn load(&self, path: &str) -> Option<(String, SyntaxNode)>;
}

/// A loader for code that stands alone: no path resolves, no import is read.
pub struct NoFiles;

impl Loader for NoFiles {
    fn resolve_path(&self, _: &str, _: &str) -> Option<String> {
        None
    }
    fn load(&self, _: &str) -> Option<(String, SyntaxNode)> {
        None
    }
}

/// A file known to an evaluator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(u32);

/// Where a value was written: the literal (or the call, for what a builtin made).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub file: FileId,
    pub range: TextRange,
}

/// A lazily evaluated value, owned by its evaluator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ThunkId(u32);

type EnvId = u32;

/// Why a value is not known.
#[derive(Debug, Clone, PartialEq)]
pub enum Unknown {
    /// Supplied from outside the evaluation (a module argument such as `config` or `lib`),
    /// with what was selected from it: `["lib", "mkIf"]`. Known functions of `lib` and
    /// `builtins` are recognised by this path.
    External(Rc<[Rc<str>]>),
    /// The argument of a function evaluated without being called.
    Argument,
    /// The step budget (or the thunk cap) ran out.
    Budget,
    /// Too many nested evaluations.
    Depth,
    /// A value that needs itself (`let x = x; in x`).
    Recursion,
    /// Nix would fail here (undefined name, missing attribute, type error, `throw`).
    Error(&'static str),
    /// Nix knows, the evaluator does not model it (store paths, floats as text, …).
    Unsupported(&'static str),
}

/// A value with where it was written.
#[derive(Debug, Clone)]
pub struct Spanned {
    pub value: Value,
    pub span: Span,
}

/// A Nix value, its parts still lazy.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string (without Nix's string context: anything with a store path is `Unknown`).
    Str(Rc<str>),
    /// A path inside the project, as the loader resolved it.
    Path(Rc<str>),
    List(Rc<[ThunkId]>),
    Attrs(Rc<Attrs>),
    Lambda(Rc<Closure>),
    /// A known builtin or `lib` function, possibly partly applied.
    Function(Rc<Partial>),
    /// What `lib.mkIf`, `mkMerge`, `mkOverride` (and its aliases) and `mkOrder` make: the
    /// module system's wrappers, kept so a model can see "conditional" and "priority".
    Prop(Rc<Prop>),
    Unknown(Unknown),
}

/// An attribute set.
#[derive(Debug, Clone, Default)]
pub struct Attrs {
    pub entries: BTreeMap<Rc<str>, Attr>,
    /// Some names could not be computed (`${unknown} = …`): the set may have more entries, and
    /// a missing name proves nothing.
    pub open: bool,
}

/// One attribute: its lazy value and the `name = value;` entry (or `inherit`ed name) that
/// made it.
#[derive(Debug, Clone, Copy)]
pub struct Attr {
    pub value: ThunkId,
    pub entry: Span,
}

/// A lambda with the scope it closes over.
#[derive(Debug, Clone)]
pub struct Closure {
    lambda: ast::Lambda,
    env: EnvId,
    file: FileId,
}

/// A known function waiting for more arguments.
#[derive(Debug, Clone)]
pub struct Partial {
    name: &'static str,
    arity: u8,
    args: Vec<ThunkId>,
}

impl Partial {
    /// The function's name (`mapAttrs`, `mkIf`, …).
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// The module system's wrappers.
#[derive(Debug, Clone)]
pub enum Prop {
    /// `mkIf condition content`.
    If { condition: ThunkId, content: ThunkId },
    /// `mkMerge [ … ]`.
    Merge(Rc<[ThunkId]>),
    /// `mkOverride priority content` (`mkDefault` is 1000, `mkForce` 50, plain 100).
    Override { priority: i64, content: ThunkId },
    /// `mkOrder priority content` (`mkBefore` is 500, `mkAfter` 1500).
    Order { priority: i64, content: ThunkId },
}

impl Value {
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// Nix's name for the type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Path(_) => "path",
            Value::List(_) => "list",
            Value::Attrs(_) | Value::Prop(_) => "set",
            Value::Lambda(_) | Value::Function(_) => "lambda",
            Value::Unknown(_) => "unknown",
        }
    }
}

enum ThunkState {
    Pending {
        expr: ast::Expr,
        env: EnvId,
        file: FileId,
    },
    /// `f a b …`, applied when forced (what `map`, `mapAttrs`, `genAttrs` make).
    Apply {
        function: Spanned,
        args: Vec<ThunkId>,
        span: Span,
    },
    /// `inherit (from) name;`.
    Select {
        from: ThunkId,
        name: Rc<str>,
        span: Span,
    },
    Forcing(Span),
    Done(Spanned),
}

struct EnvData {
    parent: Option<EnvId>,
    kind: EnvKind,
}

enum EnvKind {
    Vars(HashMap<Rc<str>, ThunkId>),
    /// The namespace of a `with`.
    With(ThunkId),
}

/// The evaluator: arenas of thunks and scopes over a set of files. One per analysis of a
/// file (or a project); it is cheap to create.
pub struct Evaluator<'l> {
    loader: &'l dyn Loader,
    limits: Limits,
    files: Vec<(Rc<str>, SyntaxNode)>,
    file_ids: HashMap<Rc<str>, FileId>,
    /// `import` of a file: its root, evaluated once.
    imports: HashMap<FileId, ThunkId>,
    thunks: Vec<ThunkState>,
    envs: Vec<EnvData>,
    /// Scopes built for [`Evaluator::eval_at`], by the binder node they belong to.
    context_envs: HashMap<(FileId, TextRange, rnix::SyntaxKind), EnvId>,
    steps: u32,
    total_steps: u64,
    depth: u32,
    exhausted: bool,
}

/// The thunk every allocation past the cap gets: the budget ran out.
const BUDGET_THUNK: ThunkId = ThunkId(0);
const ROOT_ENV: EnvId = 0;

impl<'l> Evaluator<'l> {
    pub fn new(loader: &'l dyn Loader, limits: Limits) -> Evaluator<'l> {
        let nowhere = Span {
            file: FileId(0),
            range: TextRange::default(),
        };
        Evaluator {
            loader,
            limits,
            files: Vec::new(),
            file_ids: HashMap::new(),
            imports: HashMap::new(),
            thunks: vec![ThunkState::Done(Spanned {
                value: Value::Unknown(Unknown::Budget),
                span: nowhere,
            })],
            envs: vec![EnvData {
                parent: None,
                kind: EnvKind::Vars(HashMap::new()),
            }],
            context_envs: HashMap::new(),
            steps: 0,
            total_steps: 0,
            depth: 0,
            exhausted: false,
        }
    }

    /// Registers a file whose expressions will be evaluated (its root node, and its project
    /// path for resolving relative paths and imports).
    pub fn add_file(&mut self, path: &str, root: SyntaxNode) -> FileId {
        if let Some(id) = self.file_ids.get(path) {
            return *id;
        }
        let id = FileId(self.files.len() as u32);
        let path: Rc<str> = path.into();
        self.files.push((path.clone(), root));
        self.file_ids.insert(path, id);
        id
    }

    /// The project path of a file.
    pub fn file_path(&self, file: FileId) -> &str {
        self.files.get(file.0 as usize).map_or("", |(p, _)| p)
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Steps taken by the current evaluation (never more than `max_steps`).
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// Evaluates `expr`, an expression of `file`, in the scope it is written in: the names
    /// bound around it by `let`, `rec`, lambdas and `with`. The arguments of the file's own
    /// top-level function (a module's `{ config, lib, ... }`) are `Unknown::External` by
    /// name; those of other enclosing functions are `Unknown::Argument`. Starts a new
    /// evaluation (a fresh step budget).
    pub fn eval_at(&mut self, file: FileId, expr: &ast::Expr) -> Spanned {
        self.begin();
        let env = self.context_env(file, rowan::ast::AstNode::syntax(expr));
        self.eval(expr, env, file)
    }

    /// Evaluates a file's root expression (a new evaluation).
    pub fn eval_file(&mut self, file: FileId) -> Spanned {
        self.begin();
        let root = self.files.get(file.0 as usize).map(|(_, r)| r.clone());
        match root
            .and_then(rowan::ast::AstNode::cast)
            .and_then(|r: ast::Root| r.expr())
        {
            Some(expr) => self.eval(&expr, ROOT_ENV, file),
            None => self.unknown(Unknown::Error("empty file"), self.file_span(file)),
        }
    }

    /// The value of a thunk (evaluating it on first use, within the current budget).
    pub fn force(&mut self, thunk: ThunkId) -> Spanned {
        let index = thunk.0 as usize;
        let Some(slot) = self.thunks.get_mut(index) else {
            return self.unknown(Unknown::Budget, self.file_span(FileId(0)));
        };
        if let ThunkState::Done(v) = slot {
            return v.clone();
        }
        let span = self.thunk_span(index);
        let state = std::mem::replace(&mut self.thunks[index], ThunkState::Forcing(span));
        let value = match state {
            ThunkState::Done(v) => v,
            ThunkState::Forcing(span) => {
                self.thunks[index] = ThunkState::Forcing(span);
                return self.unknown(Unknown::Recursion, span);
            }
            ThunkState::Pending { expr, env, file } => self.eval(&expr, env, file),
            ThunkState::Apply { function, args, span } => {
                let mut f = function;
                for arg in args {
                    f = self.apply(f, arg, span);
                }
                f
            }
            ThunkState::Select { from, name, span } => {
                let set = self.force(from);
                self.select_name(set, &name, span)
            }
        };
        self.thunks[index] = ThunkState::Done(value.clone());
        value
    }

    /// Applies a module function to arguments from outside: each formal (and the `@` name)
    /// becomes `Unknown::External` by its name. Anything else is returned as it is.
    pub fn apply_module_args(&mut self, module: Spanned) -> Spanned {
        let Value::Lambda(closure) = &module.value else {
            return module;
        };
        let env = self.lambda_env_unknown(&closure.lambda, closure.env, true, closure.file);
        match closure.lambda.body() {
            Some(body) => self.eval(&body, env, closure.file),
            None => self.unknown(Unknown::Error("lambda without body"), module.span),
        }
    }

    fn begin(&mut self) {
        self.steps = 0;
        self.depth = 0;
        self.exhausted = self.total_steps >= self.limits.max_total_steps;
    }

    /// Counts one step; `false` when the budget is spent.
    fn tick(&mut self) -> bool {
        if self.exhausted || self.steps >= self.limits.max_steps || self.total_steps >= self.limits.max_total_steps {
            self.exhausted = true;
            return false;
        }
        self.steps += 1;
        self.total_steps += 1;
        true
    }

    fn unknown(&self, why: Unknown, span: Span) -> Spanned {
        Spanned {
            value: Value::Unknown(why),
            span,
        }
    }

    fn file_span(&self, file: FileId) -> Span {
        Span {
            file,
            range: TextRange::default(),
        }
    }

    fn thunk_span(&self, index: usize) -> Span {
        match &self.thunks[index] {
            ThunkState::Pending { expr, file, .. } => Span {
                file: *file,
                range: rowan::ast::AstNode::syntax(expr).text_range(),
            },
            ThunkState::Apply { span, .. } | ThunkState::Select { span, .. } | ThunkState::Forcing(span) => *span,
            ThunkState::Done(v) => v.span,
        }
    }

    fn alloc(&mut self, state: ThunkState) -> ThunkId {
        if self.thunks.len() >= self.limits.max_thunks {
            self.exhausted = true;
            return BUDGET_THUNK;
        }
        self.thunks.push(state);
        ThunkId((self.thunks.len() - 1) as u32)
    }

    fn done(&mut self, value: Spanned) -> ThunkId {
        self.alloc(ThunkState::Done(value))
    }

    fn new_env(&mut self, parent: EnvId, kind: EnvKind) -> EnvId {
        self.envs.push(EnvData {
            parent: Some(parent),
            kind,
        });
        (self.envs.len() - 1) as EnvId
    }
}
