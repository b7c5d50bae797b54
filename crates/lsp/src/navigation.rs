//! Goto definition and hover from the project model: import paths to files,
//! `flake.nixosModules.<m>` to the module's file, `inputs.<i>` to its declaration in flake.nix.

use nixpilot_lint::project::nix::select_path;
use nixpilot_lint::project::secrets::SecretsContent;
use nixpilot_lint::project::{source, ImportTarget, Project};
use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;
use rowan::{TextRange, TextSize};

/// Where a name at the cursor is defined: a project-relative file and a range in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub file: String,
    pub range: TextRange,
}

/// The outermost `a.b.c` selection around `offset`, and the index of the segment under it.
fn selection_at(root: &SyntaxNode, offset: TextSize) -> Option<(Vec<String>, usize)> {
    let token = root.token_at_offset(offset).right_biased()?;
    let mut select = None;
    for node in token.parent_ancestors() {
        match node.kind() {
            SyntaxKind::NODE_SELECT => select = Some(node),
            SyntaxKind::NODE_ATTRPATH | SyntaxKind::NODE_IDENT => {}
            _ if select.is_some() => break,
            _ => {}
        }
    }
    let select = select.or_else(|| token.parent_ancestors().find(|n| n.kind() == SyntaxKind::NODE_IDENT))?;
    let expr = ast::Expr::cast(select.clone())?;
    let path = select_path(&expr)?;
    // Which segment: count identifier/string attributes that start before the cursor.
    let segment = select
        .descendants()
        .filter(|n| matches!(n.kind(), SyntaxKind::NODE_IDENT | SyntaxKind::NODE_STRING))
        .filter(|n| n.text_range().start() <= offset)
        .count()
        .saturating_sub(1)
        .min(path.len().saturating_sub(1));
    Some((path, segment))
}

pub fn definition(
    project: &Project,
    file: &str,
    text: &str,
    offset: usize,
    exists: &dyn Fn(&str) -> Option<bool>,
) -> Option<Target> {
    let offset = TextSize::from(offset.min(text.len()) as u32);
    // The guarded parse: a buffer nested too deeply for rnix's stack gets no answer.
    let root = nixpilot_lint::parse::syntax(text)?;
    let token = root.token_at_offset(offset).right_biased()?;
    if token.kind() == SyntaxKind::TOKEN_PATH_REL {
        let mut path = source::join(source::parent(file), token.text())?;
        if exists(&path) == Some(false) {
            path = format!("{path}/default.nix");
        }
        return exists(&path).filter(|is_file| *is_file).map(|_| Target {
            file: path,
            range: TextRange::empty(0.into()),
        });
    }
    if let Some(local) = local_binding(&token) {
        return Some(Target {
            file: file.to_string(),
            range: local,
        });
    }
    let (path, segment) = selection_at(&root, offset)?;
    let s: Vec<&str> = path.iter().map(String::as_str).collect();
    if let ["config", "sops", "secrets", name, ..] = s.as_slice() {
        // The declaration `sops.secrets.<name> = …` in any module of the project.
        let declared = project.modules.values().flat_map(|m| m.definitions.iter()).find(|d| {
            d.path.len() >= 3
                && d.path[0].as_deref() == Some("sops")
                && d.path[1].as_deref() == Some("secrets")
                && d.path[2].as_deref() == Some(*name)
        })?;
        return Some(Target {
            file: declared.file.to_string(),
            range: declared.range,
        });
    }
    match s.as_slice() {
        ["flake" | "self", "modules", class, name, ..] => {
            let module = project.layout.module(class, name)?;
            Some(Target {
                file: module.file.as_deref()?.to_string(),
                range: TextRange::empty(0.into()),
            })
        }
        ["flake" | "self", alias, name, ..] | ["inputs", "self", alias, name, ..] => {
            let class = match *alias {
                "nixosModules" => "nixos",
                "darwinModules" => "darwin",
                "homeModules" => "home",
                _ => return None,
            };
            let module = project.layout.module(class, name)?;
            Some(Target {
                file: module.file.as_deref()?.to_string(),
                range: TextRange::empty(0.into()),
            })
        }
        ["inputs", input, ..] if segment >= 1 => {
            let flake = project.flake.as_ref()?;
            let declared = flake.input(input)?;
            Some(Target {
                file: flake.file.to_string(),
                range: declared.name_range,
            })
        }
        _ => None,
    }
}

/// The binding a variable refers to in the same file: `let`, `rec { }`, a lambda argument
/// or pattern entry — the innermost scope that binds the name.
fn local_binding(token: &rnix::SyntaxToken) -> Option<TextRange> {
    if token.kind() != SyntaxKind::TOKEN_IDENT {
        return None;
    }
    let ident = token.parent()?;
    let reference = ident.parent()?;
    // Attribute names are not variables (`a.b`, `{ b = …; }`).
    if matches!(reference.kind(), SyntaxKind::NODE_ATTRPATH) {
        return None;
    }
    let name = token.text();
    for scope in ident.ancestors() {
        match scope.kind() {
            SyntaxKind::NODE_LET_IN => {
                let let_in = ast::LetIn::cast(scope.clone())?;
                if let Some(r) = binding_in(let_in.syntax(), name) {
                    return Some(r);
                }
            }
            SyntaxKind::NODE_ATTR_SET => {
                let is_rec = scope.children_with_tokens().any(|e| e.kind() == SyntaxKind::TOKEN_REC);
                if is_rec {
                    if let Some(r) = binding_in(&scope, name) {
                        return Some(r);
                    }
                }
            }
            SyntaxKind::NODE_LAMBDA => {
                let lambda = ast::Lambda::cast(scope.clone())?;
                let param = lambda.param()?;
                for node in param.syntax().descendants() {
                    let binds = matches!(node.kind(), SyntaxKind::NODE_IDENT)
                        && node.parent().is_some_and(|p| {
                            matches!(
                                p.kind(),
                                SyntaxKind::NODE_IDENT_PARAM | SyntaxKind::NODE_PAT_ENTRY | SyntaxKind::NODE_PAT_BIND
                            )
                        });
                    if binds && node.text() == name {
                        return Some(node.text_range());
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// The first attribute of a `let` or `rec` set's own entries named `name`.
fn binding_in(set: &SyntaxNode, name: &str) -> Option<TextRange> {
    for entry in set.children() {
        match entry.kind() {
            SyntaxKind::NODE_ATTRPATH_VALUE => {
                let first = entry.first_child()?.first_child()?;
                if first.kind() == SyntaxKind::NODE_IDENT && first.text() == name {
                    return Some(first.text_range());
                }
            }
            SyntaxKind::NODE_INHERIT => {
                for attr in entry.children().filter(|c| c.kind() == SyntaxKind::NODE_IDENT) {
                    if attr.text() == name {
                        return Some(attr.text_range());
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// Markdown for what is under the cursor: an input (url, follows, what the lock pins), a
/// blueprint module (its file and what it imports), a secret (its file and recipients).
pub fn hover(project: &Project, text: &str, offset: usize) -> Option<String> {
    let offset = TextSize::from(offset.min(text.len()) as u32);
    let root = nixpilot_lint::parse::syntax(text)?;
    let (path, segment) = selection_at(&root, offset)?;
    let s: Vec<&str> = path.iter().map(String::as_str).collect();
    match s.as_slice() {
        ["flake" | "self", "nixosModules", name, ..] | ["inputs", "self", "nixosModules", name, ..] => {
            return module_hover(project, name)
        }
        ["config", "sops", "secrets", name, ..] => return secret_hover(project, name),
        _ => {}
    }
    let [base, input, ..] = path.as_slice() else {
        return None;
    };
    if base != "inputs" || segment < 1 {
        return None;
    }
    let flake = project.flake.as_ref()?;
    let declared = flake.input(input)?;
    let mut out = format!("**input `{input}`**");
    if let Some(url) = &declared.url {
        out.push_str(&format!("\n\nurl: `{url}`"));
    }
    if let Some(follows) = &declared.follows {
        out.push_str(&format!("\n\nfollows `{}`", follows.target));
    }
    if let Some(Ok(lock)) = &project.lock {
        let node = lock
            .root_inputs()
            .find(|(name, _)| *name == input)
            .and_then(|_| lock.resolve(std::slice::from_ref(input)));
        if let Some(locked) = node.and_then(|key| lock.nodes.get(key)).and_then(|n| n.locked.as_ref()) {
            if let Some(rev) = &locked.rev {
                out.push_str(&format!("\n\nlocked rev: `{rev}`"));
            }
            if let Some(ts) = locked.last_modified {
                out.push_str(&format!("\n\nlast modified: {}", date(ts)));
            }
        }
    }
    Some(out)
}

fn module_hover(project: &Project, name: &str) -> Option<String> {
    let module = project.layout.module("nixos", name)?;
    let file = module.file.as_deref()?;
    let mut out = format!("**module `{name}`**\n\nfile: `{file}`");
    if let Some(summary) = project.modules.get(file) {
        let imports: Vec<String> = summary
            .imports
            .iter()
            .map(|i| match &i.target {
                ImportTarget::File(f) => format!("`{f}`"),
                ImportTarget::FlakeModule { name, .. } => format!("`flake.nixosModules.{name}`"),
                ImportTarget::External { input, name, .. } => format!("`inputs.{input}.nixosModules.{name}`"),
                ImportTarget::Missing(p) => format!("`{p}` (missing)"),
                ImportTarget::Unknown => "(computed)".to_string(),
            })
            .collect();
        if !imports.is_empty() {
            out.push_str(&format!("\n\nimports: {}", imports.join(", ")));
        }
    }
    Some(out)
}

fn secret_hover(project: &Project, name: &str) -> Option<String> {
    let files: Vec<String> = project
        .secrets
        .files
        .values()
        .filter_map(|f| match &f.content {
            SecretsContent::Encrypted {
                key_paths,
                age_recipients,
                ..
            } if key_paths.iter().any(|k| k == name) => {
                Some(format!("`{}`, encrypted for {}", f.path, age_recipients.join(", ")))
            }
            _ => None,
        })
        .collect();
    if files.is_empty() {
        return None;
    }
    Some(format!("**secret `{name}`**\n\nin {}", files.join("; ")))
}

/// A Unix timestamp as `YYYY-MM-DD` (UTC), without a date library.
fn date(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{:02}-{:02}", if m <= 2 { y + 1 } else { y }, m, d)
}

/// Most symbols listed for one document: a generated file of a million attributes gets its
/// first ones rather than a response of hundreds of megabytes.
pub const MAX_SYMBOLS: usize = 5_000;

/// Longest symbol name kept, in bytes (an attribute path can be as long as its file).
pub const MAX_SYMBOL_NAME: usize = 200;

/// Symbols of a file: `let` bindings and the attributes of the file's top-level set (a
/// module's option definitions), as (name, is-let-binding, range of the whole entry). Visits
/// only the chain of bodies down to that set and the entries on it, at most [`MAX_SYMBOLS`].
pub fn symbols(root: &SyntaxNode) -> Vec<(String, bool, TextRange)> {
    let mut out = Vec::new();
    let mut body = nixpilot_lint::project::nix::root_expr(root);
    let take = |out: &mut Vec<(String, bool, TextRange)>, node: &SyntaxNode, is_let: bool| {
        for entry in node.children().filter(|c| c.kind() == SyntaxKind::NODE_ATTRPATH_VALUE) {
            if out.len() == MAX_SYMBOLS {
                return;
            }
            if let Some(path) = entry.first_child() {
                out.push((symbol_name(&path), is_let, entry.text_range()));
            }
        }
    };
    // Through the module's `{ … }:` and any `let … in` around its body.
    while let Some(expr) = body.take() {
        match expr {
            ast::Expr::Lambda(l) => body = l.body(),
            ast::Expr::LetIn(let_in) => {
                take(&mut out, let_in.syntax(), true);
                body = let_in.body();
            }
            ast::Expr::With(w) => body = w.body(),
            ast::Expr::Paren(p) => body = p.expr(),
            ast::Expr::AttrSet(set) => take(&mut out, set.syntax(), false),
            _ => {}
        }
    }
    out
}

/// The text of an attribute path, cut at [`MAX_SYMBOL_NAME`] bytes (on a character boundary)
/// without building the whole of a longer one.
fn symbol_name(path: &SyntaxNode) -> String {
    let mut name = String::new();
    for token in path.descendants_with_tokens().filter_map(|e| e.into_token()) {
        name.push_str(token.text());
        if name.len() > MAX_SYMBOL_NAME {
            let mut cut = MAX_SYMBOL_NAME;
            while !name.is_char_boundary(cut) {
                cut -= 1;
            }
            name.truncate(cut);
            name.push('…');
            break;
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use nixpilot_lint::project::{MemorySource, Project};
    use rowan::TextRange;

    /// Goto from the `nth` occurrence of `at`, `skip` bytes into it.
    fn goto_at(text: &str, at: &str, nth: usize, skip: usize) -> Option<TextRange> {
        let source = MemorySource::from_fixture(&format!("//- /a.nix\n{text}"));
        let project = Project::build(&source, &[]);
        let offset = text.match_indices(at).nth(nth).unwrap().0 + skip;
        super::definition(&project, "a.nix", text, offset, &|_| None).map(|t| t.range)
    }

    fn goto(text: &str, at: &str, nth: usize) -> Option<TextRange> {
        goto_at(text, at, nth, 0)
    }

    #[test]
    fn hover_on_modules_and_secrets() {
        let enc = "ENC[AES256_GCM,data:AAAA,iv:aXY=,tag:dGFn,type:str]";
        let fixture = format!(
            "//- /flake.nix\n{{ inputs.blueprint.url = \"github:numtide/blueprint\"; outputs = inputs: inputs.blueprint {{ inherit inputs; }}; }}\n\
             //- /modules/nixos/server.nix\n{{ imports = [ ./extra.nix ]; }}\n//- /modules/nixos/extra.nix\n{{ }}\n\
             //- /hosts/a/configuration.nix\n{{ sops.defaultSopsFile = ./secrets.yaml; }}\n\
             //- /hosts/a/secrets.yaml\ntoken: {enc}\nsops:\n    age:\n        - recipient: age1x\n          enc: x\n    mac: {enc}\n    version: 3.10.2\n"
        );
        let project = Project::build(&MemorySource::from_fixture(&fixture), &[]);
        let text =
            "{ flake, config, ... }: { imports = [ flake.nixosModules.server ]; x = config.sops.secrets.token.path; }";
        let module = super::hover(&project, text, text.find("server").unwrap()).unwrap();
        assert!(
            module.contains("modules/nixos/server.nix") && module.contains("modules/nixos/extra.nix"),
            "{module}"
        );
        let secret = super::hover(&project, text, text.find("token").unwrap()).unwrap();
        assert!(
            secret.contains("hosts/a/secrets.yaml") && secret.contains("age1x"),
            "{secret}"
        );
    }

    #[test]
    fn symbols_are_bindings_and_definitions() {
        let tree = nixpilot_lint::parse::syntax(
            "{ lib, ... }:\nlet port = 80; in\n{ networking.hostName = \"a\"; services.x = { }; }",
        )
        .unwrap();
        let names: Vec<(String, bool)> = super::symbols(&tree).into_iter().map(|(n, l, _)| (n, l)).collect();
        assert_eq!(
            names,
            [
                ("port".to_string(), true),
                ("networking.hostName".to_string(), false),
                ("services.x".to_string(), false)
            ]
        );
    }

    #[test]
    fn symbols_are_capped_in_number_and_name_length() {
        let many: String = (0..super::MAX_SYMBOLS + 10).map(|i| format!("a{i} = 1;\n")).collect();
        let tree = nixpilot_lint::parse::syntax(&format!("{{\n{many}}}")).unwrap();
        assert_eq!(super::symbols(&tree).len(), super::MAX_SYMBOLS);
        let long = format!("{{ {} = 1; }}", vec!["é"; 500].join("."));
        let tree = nixpilot_lint::parse::syntax(&long).unwrap();
        let name = &super::symbols(&tree)[0].0;
        assert!(
            name.len() <= super::MAX_SYMBOL_NAME + '…'.len_utf8() && name.ends_with('…'),
            "{name}"
        );
    }

    #[test]
    fn local_bindings() {
        let text = "{ pkgs, ... }:\nlet a = 1; inherit (pkgs) lib; in rec { x = a; y = x; z = lib; p = pkgs.hello; q = { a = 2; }.a; }";
        let first_a = text.find("a =").unwrap() as u32;
        assert_eq!(goto(text, "a;", 0), Some(TextRange::at(first_a.into(), 1.into())));
        let x = text.find("x =").unwrap() as u32;
        assert_eq!(goto(text, "x;", 0), Some(TextRange::at(x.into(), 1.into())));
        let lib = text.find("lib;").unwrap() as u32;
        assert_eq!(goto(text, "lib;", 1), Some(TextRange::at(lib.into(), 3.into())));
        assert_eq!(goto(text, "pkgs.hello", 0), Some(TextRange::at(2.into(), 4.into())));
        // `.a` after a set is an attribute name, not the let binding.
        assert_eq!(goto_at(text, ".a; }", 0, 1), None);
    }

    #[test]
    fn dates() {
        assert_eq!(super::date(0), "1970-01-01");
        assert_eq!(super::date(1_700_000_000), "2023-11-14");
    }
}
