//! Arbitrary text as one Nix file, evaluated by the static evaluator: the root (applied as a
//! module) and the value of every `name = value;` entry, forced as deep as a bound allows.
//! Oracles: no panic, no hang (libFuzzer's timeout), and no evaluation past its step budget.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nixpilot_lint::parse;
use nixpilot_semantics::eval::{Evaluator, Limits, Loader, Prop, Spanned, Value};
use rnix::ast;
use rowan::ast::AstNode;

/// Every import reads the fuzzed file itself: imports and import cycles get exercised.
struct SelfLoader(rnix::SyntaxNode);

impl Loader for SelfLoader {
    fn resolve_path(&self, _from: &str, literal: &str) -> Option<String> {
        (!literal.contains("..")).then(|| "fuzz.nix".to_string())
    }
    fn load(&self, _path: &str) -> Option<(String, rnix::SyntaxNode)> {
        Some(("fuzz.nix".to_string(), self.0.clone()))
    }
}

const LIMITS: Limits = Limits {
    max_steps: 4_000,
    max_depth: 96,
    max_total_steps: 60_000,
    max_list: 2_000,
    max_string: 16 * 1024,
    max_attrs: 2_000,
    max_thunks: 50_000,
};

/// Forces what a value holds, breadth first, up to `budget` thunks.
fn walk(ev: &mut Evaluator, value: Spanned, budget: &mut u32) {
    let mut queue = vec![value];
    while let Some(v) = queue.pop() {
        let thunks: Vec<_> = match &v.value {
            Value::List(items) => items.to_vec(),
            Value::Attrs(a) => a.entries.values().map(|attr| attr.value).collect(),
            Value::Prop(p) => match &**p {
                Prop::If { condition, content } => vec![*condition, *content],
                Prop::Merge(items) => items.to_vec(),
                Prop::Override { content, .. } | Prop::Order { content, .. } => vec![*content],
            },
            _ => Vec::new(),
        };
        for t in thunks {
            if *budget == 0 {
                return;
            }
            *budget -= 1;
            let forced = ev.force(t);
            assert!(ev.steps() <= LIMITS.max_steps, "{} steps", ev.steps());
            queue.push(forced);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = parse::parse(text);
    if parsed.refused.is_some() {
        return;
    }
    let root = rnix::SyntaxNode::new_root(parsed.green);
    let loader = SelfLoader(root.clone());
    let mut ev = Evaluator::new(&loader, LIMITS);
    let file = ev.add_file("fuzz.nix", root.clone());
    let mut budget = 3_000;

    let value = ev.eval_file(file);
    let value = ev.apply_module_args(value);
    assert!(ev.steps() <= LIMITS.max_steps, "{} steps", ev.steps());
    walk(&mut ev, value, &mut budget);

    for entry in root.descendants().filter_map(ast::AttrpathValue::cast).take(64) {
        let Some(expr) = entry.value() else { continue };
        let value = ev.eval_at(file, &expr);
        assert!(ev.steps() <= LIMITS.max_steps, "{} steps", ev.steps());
        walk(&mut ev, value, &mut budget);
    }
});
