//! `undefined-variable`: a name that nothing defines — no binding around it, no `with` that
//! could provide it, no builtin — which Nix rejects before evaluating the file.
//! Reads the file's name resolution once; suggests the names in scope and `builtins.<name>`.

use rnix::SyntaxKind;
use rowan::TextRange;

use super::suggest::closest;
use super::{FileContext, FileRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::scope::NameResolution;
use nixpilot_semantics::builtins::{self, GlobalName};

crate::declare_rule! {
    /// ## What it does
    /// Reports a variable that nothing defines: no `let`, `rec` set, function argument or
    /// formal around it binds the name, no `with` encloses it, and it is not one of Nix's
    /// global builtins (`map`, `toString`, `builtins`, `__attrNames`, …). A name under a
    /// `with` is never reported: the `with` may provide it. It suggests the names in scope
    /// that are closest to the one written.
    ///
    /// ## Why is this bad?
    /// Nix rejects the whole file before evaluating anything ("undefined variable 'pkgs'"),
    /// so every host importing it fails to build. Most often it is a typo (`confg`) or an
    /// argument missing from a module's `{ config, lib, pkgs, ... }:` head.
    ///
    /// ## Example
    /// ```nix
    /// { config, lib, ... }:
    /// { environment.systemPackages = [ pkgs.git ]; }
    /// ```
    /// (`pkgs` is not among the module's arguments).
    ///
    /// ## Fix
    /// Most builtins are global only with a `__` prefix; for a name that is a member of
    /// `builtins` (`attrNames`, `readFile`, `fromJSON`…) the fix writes `builtins.<name>`
    /// (safe: the file does not parse as written, so no working meaning changes, and that is
    /// what Nix offers under the name). It is not offered where a local binding named
    /// `builtins` would be read instead. Other names need you to bind them or fix the typo.
    pub static UNDEFINED_VARIABLE = { name: "undefined-variable", group: Syntax, severity: Error, fixable: true };
}

pub struct UndefinedVariable;

impl FileRule for UndefinedVariable {
    fn meta(&self) -> &'static RuleMeta {
        &UNDEFINED_VARIABLE
    }

    fn check_file(&self, _parse_errors: &[rnix::ParseError], cx: &mut FileContext<'_>) {
        let names = cx.names();
        for reference in names.references.iter().filter(|r| r.is_undefined()) {
            if in_unparsed_code(cx, reference.range) {
                continue;
            }
            let diagnostic = describe(&names, &reference.name, reference.range, cx);
            cx.report(diagnostic);
        }
    }
}

/// Names the parser could not place: what it made of them says nothing about the author's code.
fn in_unparsed_code(cx: &FileContext<'_>, range: TextRange) -> bool {
    let element = cx.root.covering_element(range);
    let parent = match element {
        rowan::NodeOrToken::Node(n) => Some(n),
        rowan::NodeOrToken::Token(t) => t.parent(),
    };
    parent
        .into_iter()
        .flat_map(|p| p.ancestors())
        .any(|a| a.kind() == SyntaxKind::NODE_ERROR)
}

fn describe(names: &NameResolution, name: &str, range: TextRange, cx: &FileContext<'_>) -> Diagnostic {
    let span = cx.span(range);
    // `attrNames` for `builtins.attrNames`: a member of `builtins` that is global only as `__name`.
    let member = builtins::member(name).filter(|b| b.global == GlobalName::Underscored);
    if let Some(member) = member {
        let message = format!("undefined variable `{name}`: it is `builtins.{}`, not a global name", member.name);
        let diagnostic = Diagnostic::new(&UNDEFINED_VARIABLE, span.clone(), message);
        if binds_in_scope(names, "builtins", range) {
            return diagnostic;
        }
        return diagnostic.with_fix(Fix::safe(
            format!("Use `builtins.{name}`"),
            vec![Edit {
                span,
                new_text: format!("builtins.{name}"),
            }],
        ));
    }
    let mut candidates: Vec<&str> = names
        .bindings
        .iter()
        .filter(|b| b.scope.contains_range(range))
        .map(|b| b.name.as_str())
        .collect();
    let globals: Vec<String> = builtins::globals()
        .map(|(global, _)| global)
        .filter(|g| !g.starts_with("__") || name.starts_with("__"))
        .map(str::to_string)
        .collect();
    candidates.extend(globals.iter().map(String::as_str));
    candidates.sort_unstable();
    candidates.dedup();
    let message = match closest(name, candidates).first() {
        Some(best) => format!("undefined variable `{name}`; did you mean `{best}`?"),
        None => format!("undefined variable `{name}`: nothing binds it here and no `with` is around it"),
    };
    Diagnostic::new(&UNDEFINED_VARIABLE, span, message)
}

/// Whether a binding named `name` is visible at `range`.
fn binds_in_scope(names: &NameResolution, name: &str, range: TextRange) -> bool {
    names
        .bindings
        .iter()
        .any(|b| b.name == name && b.scope.contains_range(range))
}
