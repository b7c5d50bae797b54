//! `missing-follows`: an input that brings its own copy of something the root already has
//! (sops-nix's own nixpkgs next to the root's), found in flake.lock or, without one, the catalogue.

use rowan::TextRange;

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::project::catalogue::known_flake;
use crate::project::lock::LockInput;
use crate::project::{Flake, FlakeInput, Lock};

crate::declare_rule! {
    /// ## What it does
    /// Reports an input whose own dependency is a second copy of a flake the root already
    /// has as an input — matched by the locked `owner/repo` (or URL) in `flake.lock`, or,
    /// without a lock file, by name from nixpilot's catalogue of well-known flakes — when
    /// `flake.nix` does not redirect it with `follows` or give it a source of its own
    /// (`x.inputs.nixpkgs.url = "…"`, `.path`, `.type`…: a deliberate pin). A copy that the
    /// input's own `flake.nix` pins to one commit (`original` has a `rev` in `flake.lock`) is
    /// deliberate too, and not reported.
    ///
    /// ## Why is this bad?
    /// Every extra nixpkgs is another evaluation of nixpkgs (seconds and hundreds of MB per
    /// build) and another closure to download. Worse, modules from that input are built
    /// against a different nixpkgs than the rest of the system, which gives duplicate
    /// packages and subtle version mismatches. (The other side: a flake that ships a binary
    /// cache built against its own nixpkgs loses that cache when it follows yours.)
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    ///   inputs.sops-nix.url = "github:Mic92/sops-nix";
    ///   # sops-nix locks its own nixpkgs
    /// }
    /// ```
    ///
    /// ## Fix
    /// Inserts `sops-nix.inputs.nixpkgs.follows = "nixpkgs";` next to the input, then run
    /// `nix flake lock`. The fix is unsafe: the input is then built against your copy, which
    /// it may not support (some overlays need a newer nixpkgs than yours). A comment next to
    /// the input that names the dependency (`# keep its own nixpkgs: needs pnpm_11`) marks
    /// the choice as deliberate and silences the rule for that dependency.
    pub static MISSING_FOLLOWS = { name: "missing-follows", group: Flake, severity: Warning, fixable: true };
}

pub struct MissingFollows;

/// A dependency of `input` that should follow `target`.
struct Finding<'a> {
    input: &'a FlakeInput,
    dep: String,
    target: String,
    /// Where flake.lock records the extra copy, and its identity.
    lock_label: Option<(TextRange, String)>,
}

impl ProjectRule for MissingFollows {
    fn meta(&self) -> &'static RuleMeta {
        &MISSING_FOLLOWS
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let Some(flake) = &project.flake else { return };
        if flake.unknown {
            return;
        }
        let Some(file) = project.file(&flake.file) else { return };
        let findings = match &project.lock {
            Some(Ok(lock)) => from_lock(flake, lock),
            // A broken lock file is lock-out-of-sync's report; guessing here could contradict it.
            Some(Err(_)) => return,
            None => from_catalogue(flake),
        };
        let text = &file.source.text;
        for f in findings {
            // A comment next to the input that talks about this dependency ("let it use its
            // own pinned nixpkgs") marks a deliberate choice, not an oversight.
            if comments_near(text, f.input).contains(&f.dep.to_lowercase()) {
                continue;
            }
            let mut diagnostic = Diagnostic::new(
                &MISSING_FOLLOWS,
                cx.span(&flake.file, f.input.name_range),
                format!(
                    "`{}` brings its own `{}`; make it follow the root input `{}`",
                    f.input.name, f.dep, f.target
                ),
            );
            if let (Some((range, identity)), Some(Ok(lock))) = (&f.lock_label, &project.lock) {
                diagnostic = diagnostic.with_label(
                    cx.span(&lock.file, *range),
                    format!("locked separately here ({identity})"),
                );
            }
            if let Some((at, text)) = flake.follows_insertion(f.input, &f.dep, &f.target, &file.source.text) {
                let title = format!("Add `{}.inputs.{}.follows = \"{}\"`", f.input.name, f.dep, f.target);
                let edits = vec![Edit {
                    span: cx.span(&flake.file, TextRange::empty(at)),
                    new_text: text,
                }];
                // The input then builds against the root's copy, which it may not support
                // (an overlay that needs a newer nixpkgs): a change to review, not a rewrite.
                let applicability = Applicability::Unsafe;
                diagnostic = diagnostic.with_fix(Fix {
                    title,
                    applicability,
                    edits,
                });
            }
            cx.report(diagnostic);
        }
    }
}

/// Inputs that may get a follows override: flakes that are not themselves a follows.
fn candidates(flake: &Flake) -> impl Iterator<Item = &FlakeInput> {
    flake.inputs.iter().filter(|i| i.is_flake && i.follows.is_none())
}

/// Whether `flake.nix` already decides where `dep` of `input` comes from: a `follows`, or a
/// source of its own (`x.inputs.nixpkgs.url = "github:NixOS/nixpkgs/<rev>"` is a pin, which
/// a `follows` would undo).
fn overridden(input: &FlakeInput, dep: &str) -> bool {
    input.overrides.iter().any(|o| o.dep.len() == 1 && o.dep[0] == dep)
        || input.pinned.iter().any(|p| p.len() == 1 && p[0] == dep)
}

fn from_lock<'a>(flake: &'a Flake, lock: &Lock) -> Vec<Finding<'a>> {
    let mut out = Vec::new();
    let Some(root) = lock.root_node() else { return out };
    for input in candidates(flake) {
        let Some(LockInput::Node(key)) = root.inputs.get(&input.name) else {
            continue;
        };
        let Some(node) = lock.nodes.get(key) else { continue };
        for (dep, target) in &node.inputs {
            // Already a follows (from us or from the input's own flake.nix), or overridden in
            // flake.nix but not yet relocked (lock-out-of-sync says so).
            let LockInput::Node(dep_key) = target else { continue };
            if overridden(input, dep) {
                continue;
            }
            let Some(dep_node) = lock.nodes.get(dep_key) else {
                continue;
            };
            // The input's own flake.nix pins this copy to one commit (a regression test's
            // nixpkgs): it asks for exactly that tree, which a follows would replace.
            if dep_node.original.as_ref().is_some_and(|o| o.rev.is_some()) {
                continue;
            }
            let Some(identity) = lock.identity(dep_key) else {
                continue;
            };
            let matching: Vec<&str> = flake
                .inputs
                .iter()
                .filter(|r| r.name != input.name)
                .filter(|r| {
                    let Some(root_key) = lock.resolve(std::slice::from_ref(&r.name)) else {
                        return false;
                    };
                    root_key != dep_key
                        && lock.identity(root_key).as_ref() == Some(&identity)
                        && lock
                            .nodes
                            .get(root_key)
                            .is_some_and(|n| n.is_flake == dep_node.is_flake)
                })
                .map(|r| r.name.as_str())
                .collect();
            let Some(target) = matching.iter().find(|n| **n == dep).or(matching.first()) else {
                continue;
            };
            out.push(Finding {
                input,
                dep: dep.clone(),
                target: target.to_string(),
                lock_label: node.input_ranges.get(dep).map(|r| (*r, identity)),
            });
        }
    }
    out
}

fn from_catalogue(flake: &Flake) -> Vec<Finding<'_>> {
    let mut out = Vec::new();
    for input in candidates(flake) {
        let Some(known) = input.url.as_deref().and_then(known_flake) else {
            continue;
        };
        for dep in known.inputs {
            let root_has = flake.input(dep).is_some_and(|r| r.name != input.name && r.is_flake);
            if root_has && !overridden(input, dep) {
                out.push(Finding {
                    input,
                    dep: dep.to_string(),
                    target: dep.to_string(),
                    lock_label: None,
                });
            }
        }
    }
    out
}

/// The full-line comments directly above, inside and directly below the input's entries,
/// lower-cased and joined.
fn comments_near(text: &str, input: &FlakeInput) -> String {
    let (Some(first), Some(last)) = (
        input.entries.iter().map(|r| usize::from(r.start())).min(),
        input.entries.iter().map(|r| usize::from(r.end())).max(),
    ) else {
        return String::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    let line_of = |offset: usize| text.get(..offset).map_or(0, |t| t.matches('\n').count());
    let (start, end) = (line_of(first), line_of(last));
    let is_comment = |i: usize| lines.get(i).is_some_and(|l| l.trim_start().starts_with('#'));
    let mut out = String::new();
    let mut above = start;
    while above > 0 && is_comment(above - 1) {
        above -= 1;
    }
    let mut below = end + 1;
    while is_comment(below) {
        below += 1;
    }
    for line in lines.iter().take(below).skip(above) {
        if line.trim_start().starts_with('#') {
            out.push_str(&line.to_lowercase());
            out.push('\n');
        }
    }
    out
}
