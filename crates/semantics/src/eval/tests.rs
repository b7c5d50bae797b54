use std::collections::HashMap;

use rnix::ast;
use rowan::ast::AstNode;

use super::*;

/// Files in memory, by project path.
struct Files(HashMap<String, String>);

impl Loader for Files {
    fn resolve_path(&self, from_file: &str, literal: &str) -> Option<String> {
        let dir = from_file.rsplit_once('/').map_or("", |(d, _)| d);
        let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
        for part in literal.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop()?;
                }
                p => parts.push(p),
            }
        }
        Some(parts.join("/"))
    }

    fn load(&self, path: &str) -> Option<(String, SyntaxNode)> {
        let (real, text) = match self.0.get(path) {
            Some(t) => (path.to_string(), t),
            None => {
                let default = format!("{path}/default.nix");
                (default.clone(), self.0.get(&default)?)
            }
        };
        Some((real, rnix::Root::parse(text).syntax()))
    }
}

/// Renders a value deeply, like `nix eval`: unknowns as `?why`.
fn show(ev: &mut Evaluator, v: &Spanned, depth: u32) -> String {
    if depth > 12 {
        return "…".into();
    }
    match &v.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => format!("{s:?}"),
        Value::Path(p) => format!("./{p}"),
        Value::List(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|t| {
                    let v = ev.force(*t);
                    show(ev, &v, depth + 1)
                })
                .collect();
            if items.is_empty() {
                return "[ ]".into();
            }
            format!("[ {} ]", items.join(" "))
        }
        Value::Attrs(a) => {
            let mut out = String::from("{ ");
            for (k, attr) in &a.entries {
                let v = ev.force(attr.value);
                out.push_str(&format!("{k} = {}; ", show(ev, &v, depth + 1)));
            }
            if a.open {
                out.push_str("…; ");
            }
            out.push('}');
            out
        }
        Value::Lambda(_) => "<lambda>".into(),
        Value::Function(p) => format!("<{}>", p.name()),
        Value::Prop(p) => match &**p {
            Prop::If { condition, content } => {
                let (c, b) = (ev.force(*condition), ev.force(*content));
                format!("mkIf({}, {})", show(ev, &c, depth + 1), show(ev, &b, depth + 1))
            }
            Prop::Merge(items) => {
                let items: Vec<String> = items
                    .iter()
                    .map(|t| {
                        let v = ev.force(*t);
                        show(ev, &v, depth + 1)
                    })
                    .collect();
                format!("mkMerge[{}]", items.join(", "))
            }
            Prop::Override { priority, content } => {
                let c = ev.force(*content);
                format!("mkOverride({priority}, {})", show(ev, &c, depth + 1))
            }
            Prop::Order { priority, content } => {
                let c = ev.force(*content);
                format!("mkOrder({priority}, {})", show(ev, &c, depth + 1))
            }
        },
        Value::Unknown(Unknown::External(p)) => format!("?{}", p.join(".")),
        Value::Unknown(u) => format!("?{u:?}"),
    }
}

fn eval_with(files: &[(&str, &str)], limits: Limits) -> String {
    let loader = Files(files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect());
    let mut ev = Evaluator::new(&loader, limits);
    let root = rnix::Root::parse(files[0].1).syntax();
    let file = ev.add_file(files[0].0, root);
    let v = ev.eval_file(file);
    let v = ev.apply_module_args(v);
    let out = show(&mut ev, &v, 0);
    assert!(ev.steps() <= limits.max_steps);
    out
}

fn eval(text: &str) -> String {
    eval_with(&[("main.nix", text)], Limits::default())
}

#[test]
fn literals_and_operators() {
    assert_eq!(
        eval("[ 1 2.5 \"a\" null true ./x.nix ]"),
        "[ 1 2.5 \"a\" null true ./x.nix ]"
    );
    assert_eq!(
        eval("[ (1 + 2 * 3) (7 / 2) (1 - 3) (-4) (1.5 * 2) ]"),
        "[ 7 3 -2 -4 3 ]"
    );
    assert_eq!(
        eval("[ (1 < 2) (\"b\" >= \"a\") (1 == 1.0) ({ a = [ 1 ]; } == { a = [ 1 ]; }) (1 != 2) ]"),
        "[ true true true true true ]"
    );
    assert_eq!(
        eval("[ (true && false) (false || true) (false -> x) (!true) ]"),
        "[ false true true false ]"
    );
    assert_eq!(eval("[ 1 ] ++ [ 2 ]"), "[ 1 2 ]");
    assert_eq!(eval("\"a\" + \"b\""), "\"ab\"");
    assert_eq!(
        eval("9223372036854775807 + 1"),
        "?Error(\"integer overflow or division by zero\")"
    );
    assert_eq!(eval("1 / 0"), "?Error(\"integer overflow or division by zero\")");
}

#[test]
fn attribute_sets_nested_paths_rec_and_inherit() {
    assert_eq!(
        eval("{ a.b.c = 1; a.b.d = 2; a.e = 3; }"),
        "{ a = { b = { c = 1; d = 2; }; e = 3; }; }"
    );
    assert_eq!(eval("{ a = { x = 1; }; a.y = 2; }"), "{ a = { x = 1; y = 2; }; }");
    assert_eq!(
        eval("rec { a = 1; b = a + 1; c = { d = b; }; }"),
        "{ a = 1; b = 2; c = { d = 2; }; }"
    );
    assert_eq!(
        eval("let x = 1; s = { y = 2; }; in { inherit x; inherit (s) y; }"),
        "{ x = 1; y = 2; }"
    );
    assert_eq!(eval("let a = 1; in rec { inherit a; b = a; }"), "{ a = 1; b = 1; }");
    assert_eq!(
        eval("{ ${\"a\" + \"b\"} = 1; \"c${\"d\"}\" = 2; ${null} = 3; }"),
        "{ ab = 1; cd = 2; }"
    );
    assert_eq!(
        eval("{ a = 1; a = 2; }"),
        "{ a = ?Error(\"attribute defined twice\"); }"
    );
    assert_eq!(eval("{ a = 1; } // { b = 2; a = 3; }"), "{ a = 3; b = 2; }");
    assert_eq!(eval("let { x = 1; body = x + 1; }"), "2");
}

#[test]
fn select_or_and_has_attr() {
    assert_eq!(eval("{ a.b = 1; }.a.b"), "1");
    assert_eq!(eval("{ a = 1; }.b or 2"), "2");
    assert_eq!(eval("{ a = 1; }.b"), "?Error(\"missing attribute\")");
    assert_eq!(eval("[ ({ a.b = 1; } ? a.b) ({ a = 1; } ? b) ]"), "[ true false ]");
    assert_eq!(eval("let k = \"a\"; in { a = 5; }.${k}"), "5");
}

#[test]
fn let_with_and_scopes() {
    assert_eq!(eval("let a = 1; b = a + 1; in b"), "2");
    assert_eq!(eval("let a.b = 1; in a"), "{ b = 1; }");
    assert_eq!(eval("with { a = 1; }; a"), "1");
    // A lexical binding wins over `with`, the inner `with` over the outer one.
    assert_eq!(eval("let a = 1; in with { a = 2; }; a"), "1");
    assert_eq!(eval("with { a = 1; }; with { a = 2; }; a"), "2");
    // Globals win over `with`.
    assert_eq!(eval("with { true = false; }; true"), "true");
    // An unknown namespace makes its names unknown, never undefined.
    assert_eq!(eval("{ pkgs, ... }: with pkgs; [ git ]"), "[ ?pkgs.git ]");
    assert_eq!(eval("x: with x; y"), "?x.y");
    assert_eq!(eval("undefinedName"), "?Error(\"undefined variable\")");
}

#[test]
fn lambdas_formals_defaults_and_at() {
    assert_eq!(eval("(x: x + 1) 2"), "3");
    assert_eq!(
        eval("({ a, b ? a + 1, ... }@args: [ a b args.c ]) { a = 1; c = 3; }"),
        "[ 1 2 3 ]"
    );
    assert_eq!(
        eval("({ a }: a) { a = 1; b = 2; }"),
        "?Error(\"function called with the wrong argument\")"
    );
    assert_eq!(
        eval("({ a }: a) { }"),
        "?Error(\"function called with the wrong argument\")"
    );
    assert_eq!(eval("let f = a: b: a + b; in f 1 2"), "3");
    assert_eq!(eval("let s = { __functor = self: x: x * 2; }; in s 4"), "8");
}

#[test]
fn the_mirror_boot_helper() {
    let text = r#"{ ... }:
let
  mirror = idx: {
    device = "/dev/nvme${idx}n1";
    content.partitions.ESP.content.mountpoint = "/boot${idx}";
  };
in { disk = { x = mirror "0"; y = mirror "1"; }; }"#;
    assert_eq!(
        eval(text),
        "{ disk = { x = { content = { partitions = { ESP = { content = { mountpoint = \"/boot0\"; }; }; }; }; device = \"/dev/nvme0n1\"; }; y = { content = { partitions = { ESP = { content = { mountpoint = \"/boot1\"; }; }; }; }; device = \"/dev/nvme1n1\"; }; }; }"
    );
}

#[test]
fn spans_point_at_the_literal_inside_the_helper() {
    let text = "let f = n: { m = \"/boot${n}\"; }; in (f \"0\").m";
    let mut ev = Evaluator::new(&NoFiles, Limits::default());
    let file = ev.add_file("a.nix", rnix::Root::parse(text).syntax());
    let v = ev.eval_file(file);
    assert!(matches!(&v.value, Value::Str(s) if &**s == "/boot0"));
    assert_eq!(&text[v.span.range], "\"/boot${n}\"");
}

#[test]
fn interpolation_of_known_and_unknown_values() {
    assert_eq!(eval("let n = \"1\"; in \"/dev/sd${n}\""), "\"/dev/sd1\"");
    assert_eq!(eval("\"${toString 5}\""), "\"5\"");
    assert_eq!(eval("\"${5}\""), "?Error(\"cannot coerce to a string\")");
    assert_eq!(eval("{ config, ... }: \"${config.x}\""), "?config.x");
    assert_eq!(eval("\"${./a}\""), "?Unsupported(\"a path copied to the store\")");
}

#[test]
fn if_on_known_and_unknown_conditions() {
    assert_eq!(eval("if 1 < 2 then \"a\" else \"b\""), "\"a\"");
    assert_eq!(eval("{ config, ... }: if config.x then 1 else 2"), "?config.x");
    assert_eq!(
        eval("if 1 then 1 else 2"),
        "?Error(\"`if` on a value that is not a bool\")"
    );
    assert_eq!(eval("assert 1 == 1; 5"), "5");
}

#[test]
fn module_wrappers_through_lib_from_outside() {
    assert_eq!(
        eval("{ lib, config, ... }: { a = lib.mkIf config.x 1; b = lib.mkDefault 2; c = lib.mkForce 3; d = lib.mkOverride 10 4; e = lib.mkMerge [ 1 2 ]; f = lib.mkBefore [ 5 ]; g = lib.mkAfter 6; }"),
        "{ a = mkIf(?config.x, 1); b = mkOverride(1000, 2); c = mkOverride(50, 3); d = mkOverride(10, 4); e = mkMerge[1, 2]; f = mkOrder(500, [ 5 ]); g = mkOrder(1500, 6); }"
    );
    assert_eq!(eval("{ lib, ... }: with lib; mkDefault 1"), "mkOverride(1000, 1)");
    assert_eq!(
        eval("{ lib, ... }: let inherit (lib) mkForce; in mkForce 1"),
        "mkOverride(50, 1)"
    );
    assert_eq!(
        eval("{ inputs, ... }: let lib = inputs.nixpkgs.lib; in lib.mkIf true 1"),
        "mkIf(true, 1)"
    );
    // A `lib` of the file's own is used as written, not by name.
    assert_eq!(eval("let lib = { mkForce = x: x + 1; }; in lib.mkForce 1"), "2");
    assert_eq!(eval("{ pkgs, ... }: pkgs.lib.mkForce 1"), "mkOverride(50, 1)");
    assert_eq!(
        eval("{ inputs, ... }: inputs.nixpkgs.lib.attrsets.genAttrs [ \"a\" ] (n: n)"),
        "{ a = \"a\"; }"
    );
    assert_eq!(
        eval("{ lib, ... }: lib.mkEnableOption \"x\""),
        "?Unsupported(\"call of a function from outside\")"
    );
}

#[test]
fn lib_and_builtins_functions() {
    assert_eq!(
        eval("{ lib, ... }: lib.genAttrs [ \"a\" \"b\" ] (n: n + \"!\")"),
        "{ a = \"a!\"; b = \"b!\"; }"
    );
    assert_eq!(
        eval("{ lib, ... }: lib.mapAttrs (n: v: v + 1) { a = 1; }"),
        "{ a = 2; }"
    );
    assert_eq!(eval("builtins.mapAttrs (n: v: n) { a = 1; }"), "{ a = \"a\"; }");
    assert_eq!(
        eval("{ lib, ... }: [ (lib.optional true 1) (lib.optional false 1) (lib.optionals true [ 2 3 ]) ]"),
        "[ [ 1 ] [ ] [ 2 3 ] ]"
    );
    assert_eq!(
        eval("{ lib, ... }: [ (lib.optionalAttrs true { a = 1; }) (lib.optionalAttrs false { a = 1; }) ]"),
        "[ { a = 1; } { } ]"
    );
    assert_eq!(eval("{ lib, ... }: lib.optional lib.x 1"), "?lib.x");
    assert_eq!(
        eval("{ lib, ... }: [ (lib.attrNames { b = 1; a = 2; }) (lib.attrValues { b = 1; a = 2; }) ]"),
        "[ [ \"a\" \"b\" ] [ 2 1 ] ]"
    );
    assert_eq!(
        eval("builtins.listToAttrs [ { name = \"a\"; value = 1; } { name = \"a\"; value = 2; } ]"),
        "{ a = 1; }"
    );
    assert_eq!(
        eval("{ lib, ... }: lib.listToAttrs (map (n: lib.nameValuePair n 0) [ \"x\" ])"),
        "{ x = 0; }"
    );
    assert_eq!(eval("map (x: x * 2) [ 1 2 ]"), "[ 2 4 ]");
    assert_eq!(
        eval("with builtins; [ (length [ 1 2 ]) (elemAt [ 1 2 ] 1) (head [ 3 ]) (tail [ 1 2 ]) (toString [ 1 \"a\" null ]) (concatStringsSep \",\" [ \"a\" \"b\" ]) (hasAttr \"a\" { a = 1; }) (getAttr \"a\" { a = 1; }) (filter (x: x > 1) [ 1 2 3 ]) (foldl' (a: b: a + b) 0 [ 1 2 3 ]) ]"),
        "[ 2 2 3 [ 2 ] \"1 a \" \"a,b\" true 1 [ 2 3 ] 6 ]"
    );
    assert_eq!(
        eval("{ lib, ... }: lib.recursiveUpdate { a.b = 1; a.c = 2; } { a.b = 3; }"),
        "{ a = { b = 3; c = 2; }; }"
    );
    assert_eq!(
        eval("{ lib, ... }: lib.concatMapStringsSep \"-\" toString [ 1 2 ]"),
        "\"1-2\""
    );
    assert_eq!(eval("builtins.genList (i: i) 3"), "[ 0 1 2 ]");
    assert_eq!(eval("{ lib, ... }: lib.flatten [ 1 [ 2 [ 3 ] ] ]"), "[ 1 2 3 ]");
    assert_eq!(
        eval("{ lib, ... }: lib.filterAttrs (n: v: v > 1) { a = 1; b = 2; }"),
        "{ b = 2; }"
    );
    assert_eq!(
        eval("{ lib, ... }: lib.mapAttrs' (n: v: lib.nameValuePair \"x${n}\" v) { a = 1; }"),
        "{ xa = 1; }"
    );
    assert_eq!(
        eval("builtins.unknownThing 1"),
        "?Unsupported(\"call of a function from outside\")"
    );
    assert_eq!(eval("throw \"no\""), "?Error(\"throw\")");
}

#[test]
fn imports_through_the_loader() {
    let files = [
        ("hosts/a/disko.nix", "let lib = import ../../lib/disk.nix; in { disk.x = lib.mirror \"0\"; disk.y = import ./one.nix { n = \"1\"; }; }"),
        ("lib/disk.nix", "{ mirror = idx: { device = \"/dev/sd${idx}\"; }; }"),
        ("hosts/a/one.nix", "{ n }: { device = \"/dev/vd${n}\"; }"),
    ];
    assert_eq!(
        eval_with(&files, Limits::default()),
        "{ disk = { x = { device = \"/dev/sd0\"; }; y = { device = \"/dev/vd1\"; }; }; }"
    );
    assert_eq!(
        eval("import ./missing.nix"),
        "?Unsupported(\"import of a file that cannot be read\")"
    );
    // A file that imports itself runs into the depth or recursion guard, not a hang.
    let files = [("a.nix", "import ./a.nix")];
    assert!(eval_with(&files, Limits::default()).starts_with('?'));
}

#[test]
fn eval_at_sees_the_scope_around_an_expression() {
    let text = "{ lib, ... }: let d = n: { dev = \"/dev/sd${n}\"; }; in with { z = 1; }; { x = d \"a\"; y = lib.mkIf true z; }";
    let root = rnix::Root::parse(text).syntax();
    let mut ev = Evaluator::new(&NoFiles, Limits::default());
    let file = ev.add_file("m.nix", root.clone());
    let values: Vec<ast::AttrpathValue> = root.descendants().filter_map(ast::AttrpathValue::cast).collect();
    let x = values
        .iter()
        .find(|v| v.syntax().text().to_string().starts_with("x ="))
        .unwrap();
    let v = ev.eval_at(file, &x.value().unwrap());
    assert_eq!(show(&mut ev, &v, 0), "{ dev = \"/dev/sda\"; }");
    let y = values
        .iter()
        .find(|v| v.syntax().text().to_string().starts_with("y ="))
        .unwrap();
    let v = ev.eval_at(file, &y.value().unwrap());
    assert_eq!(show(&mut ev, &v, 0), "mkIf(true, 1)");
}

#[test]
fn hostile_recursion_is_unknown() {
    assert_eq!(eval("let x = x; in x"), "?Recursion");
    assert_eq!(eval("rec { a = b; b = a; }.a"), "?Recursion");
    let deep = eval("let f = n: f (n + 1); in f 0");
    assert_eq!(deep, "?Depth");
}

#[test]
fn budgets_stop_explosions() {
    let limits = Limits {
        max_steps: 2_000,
        ..Limits::default()
    };
    // Exponential fan-out: lazily built, and forcing it runs into the step budget.
    let out = eval_with(&[("a.nix", "let f = n: [ (f n) (f n) ]; in f 0")], limits);
    assert!(out.contains("?Budget") || out.contains('…'), "{out}");
    let out = eval_with(
        &[(
            "a.nix",
            "let f = n: if n == 0 then 0 else f (n - 1) + f (n - 1); in f 40",
        )],
        limits,
    );
    assert!(out == "?Budget" || out == "?Depth", "{out}");
    // Size caps.
    assert_eq!(eval("builtins.genList (i: i) 100000000"), "?Budget");
    let out = eval("let s = n: if n == 0 then \"xxxxxxxx\" else s (n - 1) + s (n - 1); in s 30");
    assert!(out.starts_with('?'), "{out}");
    assert_eq!(eval("{ lib, ... }: lib.range 0 100000000"), "?Budget");
}

#[test]
fn total_budget_spans_evaluations() {
    let text = "let f = n: if n == 0 then 0 else f (n - 1); in f 5";
    let root = rnix::Root::parse(text).syntax();
    let mut ev = Evaluator::new(&NoFiles, Limits::default());
    let file = ev.add_file("a.nix", root.clone());
    assert!(matches!(ev.eval_file(file).value, Value::Int(0)));
    let one = ev.steps();
    let limits = Limits {
        max_steps: one,
        max_total_steps: u64::from(one) * 3 / 2,
        ..Limits::default()
    };
    let mut ev = Evaluator::new(&NoFiles, limits);
    let file = ev.add_file("a.nix", root);
    assert!(matches!(ev.eval_file(file).value, Value::Int(0)));
    // The second evaluation runs out of the evaluator's total.
    assert!(matches!(ev.eval_file(file).value, Value::Unknown(Unknown::Budget)));
    assert!(ev.steps() <= one);
}

/// Depth-limited recursion fits a small stack: a thread of 2 MiB (Rust's default for a
/// spawned thread) evaluates, unoptimised, the deepest
/// program the budget allows.
#[test]
fn the_depth_limit_fits_a_small_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let programs = [
                "let f = n: f (n + 1); in f 0",
                "let f = n: [ (f n) ]; in f 0",
                "let f = n: { a = f n; }.a; in f 0",
                "let f = n: \"${f n}\"; in f 0",
                "let f = n: (f n) // { }; in f 0",
                "let f = n: builtins.head (map f [ n ]); in f 0",
            ];
            for p in programs {
                let _ = eval(p);
            }
        })
        .unwrap();
    assert!(handle.join().is_ok());
}

#[test]
fn broken_syntax_is_unknown() {
    for text in [
        "{ a = ; }",
        "let in",
        "x: ",
        "{ a.${ = 1; }",
        "\"${",
        "f (",
        "{ inherit (; }",
    ] {
        let _ = eval(text);
    }
}
