//! `unused-input`: an input of flake.nix that no Nix file of the repository uses. Any use the
//! model cannot follow (inputs handed wholesale to unknown code) makes every input count as used.

use std::collections::HashSet;

use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::project::flake::removal_range;
use crate::project::nix::{attr_name, attrpath_names, select_path, strip_parens};
use crate::project::ParsedFile;

crate::declare_rule! {
    /// ## What it does
    /// Reports an input of `flake.nix` that nothing uses: no `inputs.<name>` (or
    /// `inputs'.<name>`, `perSystem.<name>`, `inherit (inputs) <name>`) in any Nix file of
    /// the repository, no `outputs` argument of that name, and no other input following it.
    /// Inputs that blueprint or flake-parts consume on their own (`nixpkgs`, `systems`,
    /// `home-manager`, …) count as used. When `inputs` is handed as a whole to code
    /// nixpilot cannot see (`lib.mapAttrs f inputs`, `specialArgs = inputs`, a flake-parts
    /// module from another flake, `lock.nodes` of a `flake.lock` read by hand), nothing is
    /// reported. The same goes for the flake's `self` passed whole to a function
    /// (`clan-core.lib.clan { inherit self; }`, `mkFlake { self = self; }`, `f self`): the
    /// function can read any input as `self.inputs.<name>` (clan takes its nixpkgs from
    /// `self.inputs.nixpkgs`), so an input that looks unused may not be. `self` handed to
    /// code whose uses are visible (module arguments, `import`, `nixosSystem`, flake-parts)
    /// and `self.<output>` selections keep the rule on.
    ///
    /// ## Why is this bad?
    /// Every input is fetched by `nix flake lock`/`update` and kept in `flake.lock`, slows
    /// down evaluation of the lock, and brings its own dependencies. An unused one is
    /// usually left over from a removed feature.
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    ///   inputs.home-manager.url = "github:nix-community/home-manager"; # never used
    ///   outputs = { nixpkgs, ... }: { };
    /// }
    /// ```
    ///
    /// ## Fix
    /// Removes the input's entries from `flake.nix` (unsafe: something outside the
    /// repository, such as `nix run .#inputs...`, could use it). Run `nix flake lock` afterwards.
    pub static UNUSED_INPUT = { name: "unused-input", group: Flake, severity: Warning, fixable: true };
}

pub struct UnusedInput;

/// What blueprint reads from `inputs` itself (`lib/default.nix`): these are used as soon as
/// blueprint is.
const BLUEPRINT_CONSUMES: &[&str] = &[
    "blueprint",
    "nixpkgs",
    "systems",
    "home-manager",
    "nix-darwin",
    "nixos-raspberrypi",
    "system-manager",
    "devshell",
];

/// Functions that receive `inputs` by name and hand it on to module files in this repository,
/// where the uses are visible.
const VISIBLE_CALLEES: &[&str] = &[
    "import",
    "callPackage",
    "nixosSystem",
    "darwinSystem",
    "homeManagerConfiguration",
    "evalModules",
    "mkBlueprint",
];

/// flake-parts modules known to read no input but their own flake's.
const SELF_CONTAINED_FLAKE_MODULES: &[&str] = &[
    "treefmt-nix",
    "git-hooks",
    "git-hooks-nix",
    "pre-commit-hooks",
    "pre-commit-hooks-nix",
    "devshell",
    "process-compose-flake",
    "flake-root",
    "hercules-ci-effects",
];

impl ProjectRule for UnusedInput {
    fn meta(&self) -> &'static RuleMeta {
        &UNUSED_INPUT
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let Some(flake) = &project.flake else { return };
        if flake.unknown {
            return;
        }
        let Some(flake_file) = project.file(&flake.file) else {
            return;
        };
        let mut uses = Uses::default();
        for file in project.files.values() {
            // A file the parser could not read fully may hide a use.
            if file.has_errors() {
                return;
            }
            let names: Vec<&str> = if file.path() == &flake.file {
                let mut n = vec!["inputs"];
                n.extend(flake.outputs_inputs_name.as_deref());
                n
            } else {
                vec!["inputs"]
            };
            uses.scan(file, &names);
            if uses.wholesale {
                return;
            }
        }
        let mut used = uses.names;
        used.extend(flake.outputs_formals.iter().map(|(n, _)| n.clone()));
        for input in &flake.inputs {
            for f in input.follows.iter().chain(&input.overrides) {
                used.extend(f.target_path().into_iter().take(1));
            }
        }
        if flake.uses_blueprint {
            used.extend(BLUEPRINT_CONSUMES.iter().map(|s| s.to_string()));
        }
        if uses.flake_parts {
            // flake-parts builds `pkgs` for perSystem from `inputs.nixpkgs`.
            used.insert("nixpkgs".into());
        }
        for input in &flake.inputs {
            if used.contains(&input.name) {
                continue;
            }
            let edits = input
                .entries
                .iter()
                .map(|r| Edit {
                    span: cx.span(&flake.file, removal_range(&flake_file.source.text, *r)),
                    new_text: String::new(),
                })
                .collect();
            cx.report(
                Diagnostic::new(
                    &UNUSED_INPUT,
                    cx.span(&flake.file, input.name_range),
                    format!("input `{}` is never used", input.name),
                )
                .with_fix(Fix::unsafe_(format!("Remove the input `{}`", input.name), edits)),
            );
        }
    }
}

#[derive(Default)]
struct Uses {
    names: HashSet<String>,
    /// `inputs` went somewhere its uses cannot be seen: everything counts as used.
    wholesale: bool,
    /// `flake-parts.lib.mkFlake { inherit inputs; }` was seen.
    flake_parts: bool,
    /// The file being scanned mentions `flake.lock` (flake-compat, sources.nix).
    reads_lock: bool,
}

impl Uses {
    fn scan(&mut self, file: &ParsedFile, input_names: &[&str]) {
        let is_inputs = |name: &str| input_names.contains(&name) || name == "inputs'";
        // `lock.nodes` means flake.lock's nodes only in a file that reads the lock.
        self.reads_lock = file.source.text.contains("flake.lock");
        for node in file.syntax().descendants() {
            match node.kind() {
                SyntaxKind::NODE_SELECT => self.select(&node, &is_inputs),
                SyntaxKind::NODE_IDENT => self.bare_ident(&node, &is_inputs),
                _ => {}
            }
            if self.wholesale {
                return;
            }
        }
    }

    /// `inputs.x…`, `perSystem.x…`, `self.inputs.x…`, `lock.nodes.x…` (flake-compat).
    fn select(&mut self, node: &SyntaxNode, is_inputs: &dyn Fn(&str) -> bool) {
        let Some(select) = ast::Select::cast(node.clone()) else {
            return;
        };
        let Some(path) = select.attrpath() else { return };
        let attrs: Vec<Option<String>> = path.attrs().map(|a| attr_name(&a)).collect();
        let base = match select.expr() {
            Some(ast::Expr::Ident(i)) => i.syntax().text().to_string(),
            _ => String::new(),
        };
        // The names after each segment that holds inputs.
        let mut holders = Vec::new();
        if is_inputs(&base) || base == "perSystem" {
            holders.push(0);
        }
        for (i, a) in attrs.iter().enumerate() {
            let Some(a) = a else { continue };
            let follows_flake = i == 0 && matches!(base.as_str(), "self" | "flake");
            if (a == "inputs" && follows_flake) || a == "nodes" {
                holders.push(i + 1);
            }
        }
        // A flake-parts module from another flake gets the whole `inputs` and may read any of
        // them (lite-config builds darwin hosts from `inputs.nix-darwin`).
        if holders.first() == Some(&0) {
            if let (Some(Some(from)), Some(Some(kind))) = (attrs.first(), attrs.get(1)) {
                let module = kind == "flakeModule" || kind == "flakeModules";
                if module && !SELF_CONTAINED_FLAKE_MODULES.contains(&from.as_str()) {
                    self.wholesale = true;
                }
            }
        }
        for at in holders {
            let after_nodes = at > 0 && attrs.get(at - 1).is_some_and(|a| a.as_deref() == Some("nodes"));
            match attrs.get(at) {
                Some(Some(name)) => {
                    self.names.insert(name.clone());
                }
                // `lock.nodes.${lock.root}` (flake-compat) reads the lock, not an input.
                Some(None) if after_nodes => {}
                // `inputs.${x}`: any input may be meant.
                Some(None) => self.wholesale = true,
                // `builtins.mapAttrs f lock.nodes`: every locked input is fetched and used.
                None if after_nodes && self.reads_lock => self.wholesale = true,
                None if after_nodes => {}
                // `self.inputs` as a value: judged like a bare `inputs`.
                None if at > 0 => self.value_use(node),
                None => {}
            }
        }
    }

    /// `inputs` not followed by `.name`: fine as a binding, in `inherit (inputs) a b`, or
    /// passed by name to code whose uses we see; anything else hands it on whole.
    fn bare_ident(&mut self, node: &SyntaxNode, is_inputs: &dyn Fn(&str) -> bool) {
        let text = node.text().to_string();
        let Some(parent) = node.parent() else { return };
        if text == "self" {
            self.flake_self_use(node, &parent);
            return;
        }
        if parent.kind() == SyntaxKind::NODE_INHERIT {
            // `inherit inputs;` / `inherit (self) inputs;`: passes a value named `inputs`.
            if text == "inputs" && !self.visible_destination(&parent) {
                self.wholesale = true;
            }
            return;
        }
        if !is_inputs(&text) {
            return;
        }
        // The base of `inputs.x` is handled by `select`.
        let is_base = parent.kind() == SyntaxKind::NODE_SELECT
            && ast::Select::cast(parent.clone())
                .and_then(|s| s.expr())
                .is_some_and(|e| e.syntax() == node);
        if !is_base {
            self.value_use(node);
        }
    }

    /// The whole inputs set (`inputs`, `self.inputs`) used as a value at `node`.
    fn value_use(&mut self, node: &SyntaxNode) {
        let Some(parent) = node.parent() else { return };
        match parent.kind() {
            SyntaxKind::NODE_ATTRPATH
            | SyntaxKind::NODE_PAT_ENTRY
            | SyntaxKind::NODE_PAT_BIND
            | SyntaxKind::NODE_IDENT_PARAM
            | SyntaxKind::NODE_HAS_ATTR => {}
            SyntaxKind::NODE_INHERIT_FROM => {
                let Some(inherit) = parent.parent().and_then(ast::Inherit::cast) else {
                    return;
                };
                for attr in inherit.attrs() {
                    match attr_name(&attr) {
                        Some(name) => {
                            self.names.insert(name);
                        }
                        None => self.wholesale = true,
                    }
                }
            }
            SyntaxKind::NODE_ATTRPATH_VALUE => {
                // `inputs = inputs;` passes it by name, like `inherit inputs;`;
                // `specialArgs.inputs = inputs;` straight to modules.
                let names = ast::AttrpathValue::cast(parent.clone())
                    .and_then(|apv| apv.attrpath())
                    .and_then(|p| attrpath_names(&p))
                    .unwrap_or_default();
                let visible = match names.as_slice() {
                    [only] => only == "inputs" && self.visible_destination(&parent),
                    [.., last] => {
                        last == "inputs"
                            && names
                                .iter()
                                .any(|n| matches!(n.as_str(), "specialArgs" | "extraSpecialArgs" | "args"))
                    }
                    [] => false,
                };
                if !visible {
                    self.wholesale = true;
                }
            }
            // As an `or` default, an argument, an operand, a list element…: handed on whole.
            _ => self.wholesale = true,
        }
    }

    /// The flake's `self` handed whole to a function (`lib.clan { inherit self; }`,
    /// `mkFlake { self = self; }`, `f self`) that is not known to show its uses here: it may
    /// read any input through `self.inputs`.
    fn flake_self_use(&mut self, node: &SyntaxNode, parent: &SyntaxNode) {
        if !binds_flake_self(node) {
            return;
        }
        match parent.kind() {
            SyntaxKind::NODE_INHERIT | SyntaxKind::NODE_ATTRPATH_VALUE => {
                let Some(set) = parent.parent().filter(|p| p.kind() == SyntaxKind::NODE_ATTR_SET) else {
                    return;
                };
                let is_argument = set
                    .parent()
                    .and_then(ast::Apply::cast)
                    .and_then(|apply| apply.argument())
                    .is_some_and(|arg| arg.syntax() == &set);
                if is_argument && !self.visible_destination(parent) {
                    self.wholesale = true;
                }
            }
            SyntaxKind::NODE_APPLY => {
                let Some(apply) = ast::Apply::cast(parent.clone()) else { return };
                if apply.argument().is_some_and(|arg| arg.syntax() == node) && !self.visible_callee(&apply) {
                    self.wholesale = true;
                }
            }
            _ => {}
        }
    }

    /// Whether the attribute set holding `entry` (an `inherit` or `inputs = …`) goes to code
    /// whose uses of `inputs` are in this repository: module arguments, `import`, blueprint,
    /// flake-parts, `nixosSystem` and friends.
    fn visible_destination(&mut self, entry: &SyntaxNode) -> bool {
        let Some(set) = entry.parent().filter(|p| p.kind() == SyntaxKind::NODE_ATTR_SET) else {
            // `let inherit inputs; in …`: the name stays in this file.
            return entry.parent().is_some_and(|p| p.kind() == SyntaxKind::NODE_LET_IN);
        };
        let Some(holder) = set.parent() else { return false };
        match holder.kind() {
            SyntaxKind::NODE_ATTRPATH_VALUE => {
                let names = ast::AttrpathValue::cast(holder)
                    .and_then(|apv| apv.attrpath())
                    .and_then(|p| attrpath_names(&p))
                    .unwrap_or_default();
                matches!(
                    names.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
                    [.., "specialArgs" | "extraSpecialArgs"] | [.., "_module", "args"] | ["args"]
                )
            }
            SyntaxKind::NODE_APPLY => {
                let Some(apply) = ast::Apply::cast(holder) else {
                    return false;
                };
                if apply.argument().is_none_or(|a| a.syntax() != &set) {
                    return false;
                }
                self.visible_callee(&apply)
            }
            _ => false,
        }
    }

    /// Whether the function `apply` calls hands its argument on to code in this repository.
    fn visible_callee(&mut self, apply: &ast::Apply) -> bool {
        // `import ./x.nix { … }`: the function is the head of the application chain.
        let mut function = apply.lambda();
        while let Some(ast::Expr::Apply(inner)) = function.as_ref().map(strip_parens) {
            function = inner.lambda();
        }
        let Some(path) = function.and_then(|f| select_path(&f)) else {
            return false;
        };
        let Some(last) = path.last() else { return false };
        if last == "blueprint" || VISIBLE_CALLEES.contains(&last.as_str()) {
            return true;
        }
        if last == "mkFlake" && path.iter().any(|p| p == "flake-parts") {
            self.flake_parts = true;
            return true;
        }
        false
    }
}

/// Whether `self` at `node` is the flake's own: bound by a `{ self, … }` pattern (`outputs`, a
/// flake-parts or module function), not by an overlay's `self: super:`.
fn binds_flake_self(node: &SyntaxNode) -> bool {
    for lambda in node.ancestors().filter_map(ast::Lambda::cast) {
        match lambda.param() {
            Some(ast::Param::Pattern(p))
                if p.pat_entries().any(|e| e.ident().is_some_and(|i| i.syntax().text() == "self")) =>
            {
                return true
            }
            Some(ast::Param::IdentParam(p)) if p.ident().is_some_and(|i| i.syntax().text() == "self") => return false,
            _ => {}
        }
    }
    false
}
