//! `flake.nix` read statically: every input (both the `x.url = …` and the `x = { url = …; }`
//! forms), `flake = false`, each `follows` with its range, and blueprint's `prefix`.

use rnix::ast::{self, HasEntry};
use rnix::SyntaxKind;
use rowan::ast::AstNode;
use rowan::{TextRange, TextSize};

use super::nix::{self, root_expr, select_path, strip_parens};
use super::ParsedFile;
use crate::diagnostic::FilePath;

/// The inputs of `flake.nix` and how outputs call blueprint.
#[derive(Debug, Clone, Default)]
pub struct Flake {
    pub file: FilePath,
    pub inputs: Vec<FlakeInput>,
    /// The `inputs = { … }` attribute set, when there is one (for inserting lines).
    pub inputs_set: Option<TextRange>,
    /// `prefix` passed to blueprint (`inputs.blueprint { inherit inputs; prefix = "nix/"; }`).
    pub blueprint_prefix: Option<String>,
    /// Whether outputs are made by blueprint.
    pub uses_blueprint: bool,
    /// Something about the inputs could not be read statically; rules must not conclude
    /// that an input is absent.
    pub unknown: bool,
    /// The name `outputs` binds the whole inputs set to (`inputs: …`, `{ … }@inputs: …`).
    pub outputs_inputs_name: Option<String>,
    /// The names `outputs` destructures (`{ self, nixpkgs, ... }:`). Nix adds an input for each
    /// one that `inputs` does not declare (from the flake registry), so the lock has them too.
    pub outputs_formals: Vec<(String, TextRange)>,
}

/// One input.
#[derive(Debug, Clone, Default)]
pub struct FlakeInput {
    pub name: String,
    /// The first place the input is named, where diagnostics point.
    pub name_range: TextRange,
    pub url: Option<String>,
    pub url_range: Option<TextRange>,
    /// `flake = false`.
    pub is_flake: bool,
    /// `x.follows = "y"`: the whole input is another one.
    pub follows: Option<Follows>,
    /// `x.inputs.<dep>.follows = "<target>"` overrides.
    pub overrides: Vec<Follows>,
    /// Nested inputs given a source of their own (`x.inputs.<dep>.url = "…"`, `.path`,
    /// `.type`…): a deliberate pin, by nested input path.
    pub pinned: Vec<Vec<String>>,
    /// `x = { … }` form: the set's range (to insert `inputs.<dep>.follows` lines into).
    pub block: Option<TextRange>,
    /// Every entry that defines part of this input.
    pub entries: Vec<TextRange>,
    /// How entries name this input before its name: `""` inside `inputs = { … }`, `"inputs."`
    /// at the top level (`inputs.x.url = …`), so inserted lines match the file's style.
    pub entry_prefix: String,
}

/// A `follows` declaration.
#[derive(Debug, Clone, Default)]
pub struct Follows {
    /// The overridden nested input path below this input (`["nixpkgs"]`), empty for `x.follows`.
    pub dep: Vec<String>,
    /// The target, as written (`"nixpkgs"`, `"a/b"`; `""` means "no input").
    pub target: String,
    /// The whole `… = "…";` entry.
    pub entry: TextRange,
    /// The string value.
    pub value: TextRange,
}

impl Follows {
    /// The target as a path of input names (`"a/b"` → `["a", "b"]`, `""` → `[]`).
    pub fn target_path(&self) -> Vec<String> {
        self.target
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

impl Flake {
    pub fn from_file(file: &ParsedFile) -> Flake {
        let mut reader = Reader {
            flake: Flake {
                file: file.path().clone(),
                ..Flake::default()
            },
            github_attrs: Vec::new(),
        };
        let root = file.syntax();
        match root_expr(&root) {
            Some(ast::Expr::AttrSet(set)) => reader.top_level(&set),
            // `let … in { … }` and the like: Nix rejects them for flake.nix anyway, and we
            // cannot read them without evaluating.
            _ => reader.flake.unknown = true,
        }
        // A file the parser choked on may hide inputs in the part it could not read.
        if file.has_errors() {
            reader.flake.unknown = true;
        }
        reader.finish()
    }

    pub fn input(&self, name: &str) -> Option<&FlakeInput> {
        self.inputs.iter().find(|i| i.name == name)
    }

    /// Whether `name` is a root input: declared, or implied by an `outputs` formal.
    pub fn has_root_input(&self, name: &str) -> bool {
        self.input(name).is_some() || self.outputs_formals.iter().any(|(n, _)| n == name && n != "self")
    }

    /// Where and what to insert so that `input` gets `inputs.<dep>.follows = "<target>"`,
    /// in the file's style: inside the input's `{ … }` block when it has one, else as a new
    /// line after its last entry with the same indentation. `text` is flake.nix's text.
    pub fn follows_insertion(
        &self,
        input: &FlakeInput,
        dep: &str,
        target: &str,
        text: &str,
    ) -> Option<(TextSize, String)> {
        let value = format!("inputs.{}.follows = \"{}\";", attr_text(dep), escape(target));
        if let Some(block) = input.block {
            let inner_start = usize::from(block.start()) + 1;
            let close = usize::from(block.end()).checked_sub(1)?;
            let inner = text.get(inner_start..close)?;
            let at = inner_start + inner.trim_end().len();
            if !inner.contains('\n') {
                return Some((TextSize::from(at as u32), format!(" {value}")));
            }
            let indent = if inner.trim().is_empty() {
                format!("{}  ", line_indent(text, usize::from(block.start())))
            } else {
                line_indent(text, at.saturating_sub(1)).to_string()
            };
            return Some((TextSize::from(at as u32), format!("\n{indent}{value}")));
        }
        let last = input.entries.iter().max_by_key(|r| r.end())?;
        let line = format!("{}{}.{value}", input.entry_prefix, attr_text(&input.name));
        let end = usize::from(last.end());
        let line_end = text.get(end..)?.find('\n').map_or(text.len(), |i| end + i);
        let rest = text.get(end..line_end)?.trim();
        if rest.is_empty() || rest.starts_with('#') {
            let indent = line_indent(text, usize::from(last.start()));
            Some((TextSize::from(line_end as u32), format!("\n{indent}{line}")))
        } else {
            Some((last.end(), format!(" {line}")))
        }
    }
}

/// The range to delete to remove `range` from `text`: whole lines when the entry is alone on
/// its lines (so no blank line is left), else the entry and the spaces after it.
pub fn removal_range(text: &str, range: TextRange) -> TextRange {
    let start = usize::from(range.start());
    let end = usize::from(range.end());
    let (Some(before), Some(after)) = (text.get(..start), text.get(end..)) else {
        return range;
    };
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_end = after.find('\n').map_or(text.len(), |i| end + i + 1);
    let lead_blank = before.get(line_start..).is_some_and(|s| s.trim().is_empty());
    let trail_blank = text.get(end..line_end).is_some_and(|s| s.trim().is_empty());
    if lead_blank && trail_blank {
        return TextRange::new(TextSize::from(line_start as u32), TextSize::from(line_end as u32));
    }
    let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
    TextRange::new(range.start(), TextSize::from((end + spaces) as u32))
}

/// `nix::string_literal`, but `None` for a string the parser could not finish: rnix's string
/// normalisation asserts on error nodes inside strings, and a broken file must not crash us.
fn string_literal(expr: &ast::Expr) -> Option<String> {
    if has_error(expr.syntax()) {
        return None;
    }
    nix::string_literal(expr)
}

/// `nix::attrpath_names` with the same guard (quoted names are strings too).
fn attrpath_names(path: &ast::Attrpath) -> Option<Vec<String>> {
    if has_error(path.syntax()) {
        return None;
    }
    nix::attrpath_names(path)
}

fn has_error(node: &rnix::SyntaxNode) -> bool {
    node.descendants().any(|n| n.kind() == SyntaxKind::NODE_ERROR)
}

/// The leading whitespace of the line holding byte `offset`.
fn line_indent(text: &str, offset: usize) -> &str {
    let offset = offset.min(text.len());
    let start = text.get(..offset).and_then(|s| s.rfind('\n')).map_or(0, |i| i + 1);
    let line = text.get(start..).unwrap_or("");
    let width = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..width]
}

/// An attribute name as Nix source: bare when it is an identifier, else quoted.
pub fn attr_text(name: &str) -> String {
    let mut chars = name.chars();
    let bare = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '\''));
    if bare {
        name.to_string()
    } else {
        format!("\"{}\"", escape(name))
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace("${", "\\${")
}

struct Reader {
    flake: Flake,
    /// `type`/`owner`/`repo` attributes per input, to make a URL of the attribute form.
    github_attrs: Vec<(String, String, String)>,
}

impl Reader {
    fn top_level(&mut self, set: &ast::AttrSet) {
        for entry in set.entries() {
            match entry {
                ast::Entry::Inherit(inherit) => {
                    if inherit
                        .attrs()
                        .any(|a| matches!(&a, ast::Attr::Ident(i) if i.syntax().text() == "inputs"))
                    {
                        self.flake.unknown = true;
                    }
                }
                ast::Entry::AttrpathValue(apv) => {
                    let (Some(path), Some(value)) = (apv.attrpath(), apv.value()) else {
                        continue;
                    };
                    let attrs: Vec<ast::Attr> = path.attrs().collect();
                    let Some(names) = attrpath_names(&path) else {
                        // `${x} = …` at the top might be `inputs`.
                        self.flake.unknown = true;
                        continue;
                    };
                    let range = apv.syntax().text_range();
                    match names.first().map(String::as_str) {
                        Some("inputs") if names.len() == 1 => match strip_parens(&value) {
                            ast::Expr::AttrSet(inputs) => {
                                self.flake.inputs_set = Some(inputs.syntax().text_range());
                                for inner in inputs.entries() {
                                    self.input_entry(&inner, "");
                                }
                            }
                            _ => self.flake.unknown = true,
                        },
                        Some("inputs") => {
                            let name_range = attrs.get(1).map_or(range, |a| a.syntax().text_range());
                            self.assign(&names[1..], name_range, value, range, range, "inputs.");
                        }
                        Some("outputs") if names.len() == 1 => self.outputs(&value),
                        _ => {}
                    }
                }
            }
        }
    }

    /// One entry of `inputs = { … }`.
    fn input_entry(&mut self, entry: &ast::Entry, prefix: &str) {
        match entry {
            ast::Entry::Inherit(_) => self.flake.unknown = true,
            ast::Entry::AttrpathValue(apv) => {
                let (Some(path), Some(value)) = (apv.attrpath(), apv.value()) else {
                    return;
                };
                let Some(names) = attrpath_names(&path) else {
                    self.flake.unknown = true;
                    return;
                };
                let range = apv.syntax().text_range();
                let name_range = path.attrs().next().map_or(range, |a| a.syntax().text_range());
                self.assign(&names, name_range, value, range, range, prefix);
            }
        }
    }

    /// `path = value` below `inputs`: `path[0]` is the input's name.
    fn assign(
        &mut self,
        path: &[String],
        name_range: TextRange,
        value: ast::Expr,
        top_entry: TextRange,
        entry: TextRange,
        prefix: &str,
    ) {
        let Some(name) = path.first() else {
            self.flake.unknown = true;
            return;
        };
        // `inputs.self.submodules = true` configures the flake itself, not an input.
        if name == "self" {
            return;
        }
        let index = match self.flake.inputs.iter().position(|i| &i.name == name) {
            Some(i) => i,
            None => {
                self.flake.inputs.push(FlakeInput {
                    name: name.clone(),
                    name_range,
                    is_flake: true,
                    entry_prefix: prefix.to_string(),
                    ..FlakeInput::default()
                });
                self.flake.inputs.len() - 1
            }
        };
        let input = &mut self.flake.inputs[index];
        if !input.entries.contains(&top_entry) {
            input.entries.push(top_entry);
        }
        let rest = &path[1..];
        let value = strip_parens(&value);
        if let ast::Expr::AttrSet(set) = &value {
            if rest.is_empty() && input.block.is_none() {
                input.block = Some(set.syntax().text_range());
            }
            for inner in set.entries() {
                match inner {
                    ast::Entry::Inherit(_) => self.flake.unknown = true,
                    ast::Entry::AttrpathValue(apv) => {
                        let (Some(p), Some(v)) = (apv.attrpath(), apv.value()) else {
                            continue;
                        };
                        let Some(names) = attrpath_names(&p) else {
                            self.flake.unknown = true;
                            continue;
                        };
                        let full: Vec<String> = path.iter().cloned().chain(names).collect();
                        self.assign(&full, name_range, v, top_entry, apv.syntax().text_range(), prefix);
                    }
                }
            }
            return;
        }
        let range = value.syntax().text_range();
        match rest.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            [] => self.flake.unknown = true,
            ["url"] => match string_literal(&value) {
                Some(url) => {
                    input.url = Some(url);
                    input.url_range = Some(range);
                }
                None => self.flake.unknown = true,
            },
            ["flake"] => match value.syntax().text().to_string().as_str() {
                "false" => input.is_flake = false,
                "true" => input.is_flake = true,
                _ => self.flake.unknown = true,
            },
            ["follows"] => match string_literal(&value) {
                Some(target) => {
                    input.follows = Some(Follows {
                        dep: Vec::new(),
                        target,
                        entry,
                        value: range,
                    })
                }
                None => self.flake.unknown = true,
            },
            [key @ ("type" | "owner" | "repo")] => {
                if let Some(v) = string_literal(&value) {
                    self.github_attrs.push((name.clone(), key.to_string(), v));
                }
            }
            ["inputs", .., "follows"] => {
                let middle = &rest[1..rest.len() - 1];
                // `inputs.a.inputs.b.follows`: every other segment is `inputs`.
                let well_formed = middle.len() % 2 == 1 && middle.iter().skip(1).step_by(2).all(|s| s == "inputs");
                if !well_formed {
                    return;
                }
                match string_literal(&value) {
                    Some(target) => input.overrides.push(Follows {
                        dep: middle.iter().step_by(2).cloned().collect(),
                        target,
                        entry,
                        value: range,
                    }),
                    None => self.flake.unknown = true,
                }
            }
            // `x.inputs.<dep>.url = …` (or `.path`, `.type`, `.rev`…): the nested input is
            // pinned to a source of its own on purpose.
            ["inputs", .., _] => {
                let middle = &rest[1..rest.len() - 1];
                let well_formed = middle.len() % 2 == 1 && middle.iter().skip(1).step_by(2).all(|s| s == "inputs");
                let dep: Vec<String> = middle.iter().step_by(2).cloned().collect();
                if well_formed && !input.pinned.contains(&dep) {
                    input.pinned.push(dep);
                }
            }
            // `dir`, `ref` and the like do not matter to the rules.
            _ => {}
        }
    }

    /// `outputs = inputs: …` / `{ self, nixpkgs, ... }@inputs: …`: the names it binds, and
    /// whether (and with which `prefix`) it calls blueprint.
    fn outputs(&mut self, value: &ast::Expr) {
        let ast::Expr::Lambda(lambda) = strip_parens(value) else {
            return;
        };
        match lambda.param() {
            Some(ast::Param::IdentParam(p)) => {
                self.flake.outputs_inputs_name = p.ident().map(|i| i.syntax().text().to_string());
            }
            Some(ast::Param::Pattern(p)) => {
                self.flake.outputs_inputs_name = p
                    .pat_bind()
                    .and_then(|b| b.ident())
                    .map(|i| i.syntax().text().to_string());
                self.flake.outputs_formals = p
                    .pat_entries()
                    .filter_map(|e| e.ident())
                    .map(|i| (i.syntax().text().to_string(), i.syntax().text_range()))
                    .collect();
            }
            None => {}
        }
        let Some(body) = lambda.body() else { return };
        let inputs_name = self.flake.outputs_inputs_name.clone();
        let blueprint_bound = self.flake.outputs_formals.iter().any(|(n, _)| n == "blueprint");
        for node in body.syntax().descendants() {
            if node.kind() != SyntaxKind::NODE_APPLY {
                continue;
            }
            let Some(apply) = ast::Apply::cast(node) else { continue };
            let Some(function) = apply.lambda() else { continue };
            let Some(path) = select_path(&function) else { continue };
            let calls_blueprint = match path.as_slice() {
                [base, b] => Some(base) == inputs_name.as_ref() && b == "blueprint",
                [b] => b == "blueprint" && blueprint_bound,
                [base, b, lib, f] => {
                    Some(base) == inputs_name.as_ref() && b == "blueprint" && lib == "lib" && f == "mkBlueprint"
                }
                _ => false,
            };
            if !calls_blueprint {
                continue;
            }
            self.flake.uses_blueprint = true;
            let Some(arg) = apply.argument() else { continue };
            let ast::Expr::AttrSet(args) = strip_parens(&arg) else {
                continue;
            };
            for entry in args.entries() {
                let ast::Entry::AttrpathValue(apv) = entry else {
                    continue;
                };
                let names = apv.attrpath().and_then(|p| attrpath_names(&p));
                if names.as_deref() != Some(&["prefix".to_string()][..]) {
                    continue;
                }
                let Some(value) = apv.value() else { continue };
                self.flake.blueprint_prefix = match strip_parens(&value) {
                    ast::Expr::PathRel(p) => Some(
                        p.syntax()
                            .text()
                            .to_string()
                            .trim_start_matches("./")
                            .trim_end_matches('/')
                            .to_string(),
                    ),
                    // `"nix/"` and `"./nix"` (seen in the wild) both mean the folder `nix`.
                    other => {
                        string_literal(&other).map(|s| s.trim_start_matches("./").trim_end_matches('/').to_string())
                    }
                };
            }
        }
    }

    fn finish(mut self) -> Flake {
        for input in &mut self.flake.inputs {
            if input.url.is_some() {
                continue;
            }
            let attr = |key: &str| {
                self.github_attrs
                    .iter()
                    .find(|(n, k, _)| n == &input.name && k == key)
                    .map(|(_, _, v)| v.as_str())
            };
            if let (Some(kind @ ("github" | "gitlab" | "sourcehut")), Some(owner), Some(repo)) =
                (attr("type"), attr("owner"), attr("repo"))
            {
                input.url = Some(format!("{kind}:{owner}/{repo}"));
            }
        }
        self.flake
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn read(text: &str) -> Flake {
        Flake::from_file(&ParsedFile::parse(SourceFile::new("flake.nix", text)))
    }

    fn at(text: &str, range: TextRange) -> &str {
        &text[range]
    }

    #[test]
    fn reads_both_input_forms() {
        let text = r#"{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    sops-nix = {
      url = "github:Mic92/sops-nix";
      inputs.nixpkgs.follows = "nixpkgs";
      inputs = { nixpkgs-stable.follows = ""; };
    };
    secrets = { url = "git+ssh://git@example.com/s"; flake = false; };
    nixpkgs-lib.follows = "nixpkgs";
  };
  inputs.srvos.url = "github:nix-community/srvos";
  inputs.srvos.inputs.nixpkgs.follows = "nixpkgs";
  inputs.a.inputs.b.inputs.c.follows = "nixpkgs";
  inputs.self.submodules = true;
  inputs.gh = { type = "github"; owner = "numtide"; repo = "blueprint"; };
  outputs = { self, nixpkgs, ... }@inputs: { };
}
"#;
        let f = read(text);
        assert!(!f.unknown);
        let names: Vec<&str> = f.inputs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            ["nixpkgs", "sops-nix", "secrets", "nixpkgs-lib", "srvos", "a", "gh"]
        );
        let sops = f.input("sops-nix").unwrap();
        assert_eq!(sops.url.as_deref(), Some("github:Mic92/sops-nix"));
        assert_eq!(at(text, sops.name_range), "sops-nix");
        assert!(sops.block.is_some());
        assert_eq!(sops.overrides.len(), 2);
        assert_eq!(sops.overrides[0].dep, ["nixpkgs"]);
        assert_eq!(
            at(text, sops.overrides[0].entry),
            "inputs.nixpkgs.follows = \"nixpkgs\";"
        );
        assert_eq!(sops.overrides[1].dep, ["nixpkgs-stable"]);
        assert_eq!(sops.overrides[1].target, "");
        assert_eq!(at(text, sops.overrides[1].entry), "nixpkgs-stable.follows = \"\";");
        assert!(!f.input("secrets").unwrap().is_flake);
        assert_eq!(
            f.input("nixpkgs-lib").unwrap().follows.as_ref().unwrap().target,
            "nixpkgs"
        );
        let srvos = f.input("srvos").unwrap();
        assert_eq!(srvos.entries.len(), 2);
        assert_eq!(srvos.entry_prefix, "inputs.");
        assert_eq!(f.input("a").unwrap().overrides[0].dep, ["b", "c"]);
        assert_eq!(f.input("gh").unwrap().url.as_deref(), Some("github:numtide/blueprint"));
        assert_eq!(f.outputs_inputs_name.as_deref(), Some("inputs"));
        assert!(f.has_root_input("nixpkgs"));
        assert!(!f.has_root_input("self"));
        assert!(f.inputs_set.is_some());
    }

    #[test]
    fn reads_blueprint_calls() {
        let f = read("{ inputs.blueprint.url = \"github:numtide/blueprint\";\n  outputs = inputs: inputs.blueprint { inherit inputs; prefix = \"nix/\"; }; }");
        assert!(f.uses_blueprint);
        assert_eq!(f.blueprint_prefix.as_deref(), Some("nix"));
        let f = read(
            "{ outputs = inputs: let bp = inputs.blueprint { inherit inputs; prefix = \"./nix\"; }; in bp // { }; }",
        );
        assert_eq!(f.blueprint_prefix.as_deref(), Some("nix"));
        let f = read("{ outputs = inputs: inputs.blueprint { inputs = inputs; prefix = ./nix; }; }");
        assert_eq!(f.blueprint_prefix.as_deref(), Some("nix"));
        let f = read("{ outputs = { blueprint, ... }@inputs: blueprint { inherit inputs; }; }");
        assert!(f.uses_blueprint);
        assert_eq!(f.blueprint_prefix, None);
        let f = read("{ outputs = { nixpkgs, ... }: { }; }");
        assert!(!f.uses_blueprint);
    }

    #[test]
    fn dynamic_inputs_are_unknown() {
        assert!(read("{ inputs = import ./inputs.nix; outputs = _: { }; }").unknown);
        assert!(read("let x = 1; in { inputs = { }; }").unknown);
        assert!(read("{ inputs.${x}.url = \"a\"; }").unknown);
        assert!(read("{ inputs.a.url = \"a\" + b; }").unknown);
        assert!(read("{ inputs = { a.url = \"a\"; ").unknown);
        assert!(!read("{ inputs = { }; }").unknown);
    }

    #[test]
    fn inserts_follows_in_the_file_style() {
        let apply = |text: &str, name: &str| {
            let f = read(text);
            let (at, insert) = f
                .follows_insertion(f.input(name).unwrap(), "nixpkgs", "nixpkgs", text)
                .unwrap();
            let mut out = text.to_string();
            out.insert_str(usize::from(at), &insert);
            out
        };
        assert_eq!(
            apply("{\n  inputs = {\n    a.url = \"x\"; # c\n    b.url = \"y\";\n  };\n}\n", "a"),
            "{\n  inputs = {\n    a.url = \"x\"; # c\n    a.inputs.nixpkgs.follows = \"nixpkgs\";\n    b.url = \"y\";\n  };\n}\n"
        );
        assert_eq!(
            apply("{\n  inputs.a.url = \"x\";\n}\n", "a"),
            "{\n  inputs.a.url = \"x\";\n  inputs.a.inputs.nixpkgs.follows = \"nixpkgs\";\n}\n"
        );
        assert_eq!(
            apply("{\n  inputs = {\n    a = {\n      url = \"x\";\n    };\n  };\n}\n", "a"),
            "{\n  inputs = {\n    a = {\n      url = \"x\";\n      inputs.nixpkgs.follows = \"nixpkgs\";\n    };\n  };\n}\n"
        );
        assert_eq!(
            apply("{ inputs = { a = { url = \"x\"; }; }; }", "a"),
            "{ inputs = { a = { url = \"x\"; inputs.nixpkgs.follows = \"nixpkgs\"; }; }; }"
        );
        assert_eq!(
            apply("{ inputs = { a.url = \"x\"; b.url = \"y\"; }; }", "a"),
            "{ inputs = { a.url = \"x\"; a.inputs.nixpkgs.follows = \"nixpkgs\"; b.url = \"y\"; }; }"
        );
    }

    #[test]
    fn removes_whole_lines() {
        let text = "{\n  a = 1;\n  b = 2; c = 3;\n}\n";
        let r = removal_range(text, TextRange::new(4.into(), 10.into()));
        assert_eq!(&text[r], "  a = 1;\n");
        let r = removal_range(text, TextRange::new(13.into(), 19.into()));
        assert_eq!(&text[r], "b = 2; ");
    }

    #[test]
    fn never_panics_on_truncated_files() {
        let text = "{\n  inputs = {\n    a = { url = \"x\"; inputs.b.follows = \"c\"; };\n    c.url = \"ü\";\n  };\n  inputs.d.inputs.e.follows = \"\";\n  outputs = i@{ self, ... }: i.blueprint { inherit i; prefix = ./nix; };\n}\n";
        for (end, _) in text.char_indices() {
            let cut = &text[..end];
            let f = read(cut);
            for input in &f.inputs {
                let _ = f.follows_insertion(input, "nixpkgs", "nixpkgs", cut);
                for r in &input.entries {
                    let _ = removal_range(cut, *r);
                }
            }
        }
    }

    #[test]
    fn quotes_attribute_names_when_needed() {
        assert_eq!(attr_text("sops-nix"), "sops-nix");
        assert_eq!(attr_text("3rd"), "\"3rd\"");
    }
}
