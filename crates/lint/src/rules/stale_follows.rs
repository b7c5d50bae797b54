//! `stale-follows`: `x.inputs.y.follows` for an input `y` that flake `x` does not have,
//! judged from flake.lock, or from the catalogue of known flakes when there is no lock.

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::project::catalogue::known_flake;
use crate::project::flake::removal_range;
use crate::project::lock::LockInput;
use crate::project::{FlakeInput, Follows, Lock};

crate::declare_rule! {
    /// ## What it does
    /// Reports a `follows` override for a nested input that the target flake does not have
    /// (any more): `flake.lock` shows no such input on the locked node, or, without a lock
    /// file, nixpilot's catalogue of well-known flakes does not list it.
    ///
    /// ## Why is this bad?
    /// The override does nothing, and Nix warns about it on every evaluation
    /// (`input 'sops-nix' has an override for a non-existent input 'nixpkgs-stable'`).
    /// It usually stays behind after the upstream flake dropped an input.
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   inputs.sops-nix.url = "github:Mic92/sops-nix";
    ///   inputs.sops-nix.inputs.nixpkgs.follows = "nixpkgs";
    ///   # sops-nix no longer has a nixpkgs-stable input
    ///   inputs.sops-nix.inputs.nixpkgs-stable.follows = "nixpkgs";
    /// }
    /// ```
    ///
    /// ## Fix
    /// Removes the override (safe: it has no effect).
    pub static STALE_FOLLOWS = { name: "stale-follows", group: Flake, severity: Warning, fixable: true };
}

pub struct StaleFollows;

impl ProjectRule for StaleFollows {
    fn meta(&self) -> &'static RuleMeta {
        &STALE_FOLLOWS
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let Some(flake) = &project.flake else { return };
        if flake.unknown {
            return;
        }
        let Some(file) = project.file(&flake.file) else { return };
        for input in flake.inputs.iter().filter(|i| i.follows.is_none()) {
            for o in &input.overrides {
                let missing = match &project.lock {
                    Some(Ok(lock)) => missing_in_lock(lock, input, o),
                    Some(Err(_)) => None,
                    None => missing_in_catalogue(input, o),
                };
                let Some(depth) = missing else { continue };
                let owner = std::iter::once(input.name.as_str())
                    .chain(o.dep[..depth].iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join("/");
                let removal = removal_range(&file.source.text, o.entry);
                cx.report(
                    Diagnostic::new(
                        &STALE_FOLLOWS,
                        cx.span(&flake.file, o.entry),
                        format!("`{owner}` has no input `{}`; this follows does nothing", o.dep[depth]),
                    )
                    .with_fix(Fix::safe(
                        "Remove the stale follows",
                        vec![Edit {
                            span: cx.span(&flake.file, removal),
                            new_text: String::new(),
                        }],
                    )),
                );
            }
        }
    }
}

/// The index in `o.dep` of the first input the locked graph does not have; `None` when every
/// one exists or the lock does not know the input yet (lock-out-of-sync's case).
fn missing_in_lock(lock: &Lock, input: &FlakeInput, o: &Follows) -> Option<usize> {
    let root = lock.root_node()?;
    // An input the root locks as a follows has no node of its own to check against.
    let LockInput::Node(_) = root.inputs.get(&input.name)? else {
        return None;
    };
    let mut node = lock.resolve(std::slice::from_ref(&input.name))?;
    for (i, dep) in o.dep.iter().enumerate() {
        if !lock.nodes.get(node)?.inputs.contains_key(dep) {
            return Some(i);
        }
        node = lock.input_node(node, dep)?;
    }
    None
}

/// Without a lock: only the first level, and only for flakes whose inputs nixpilot knows.
fn missing_in_catalogue(input: &FlakeInput, o: &Follows) -> Option<usize> {
    let known = known_flake(input.url.as_deref()?)?;
    let first = o.dep.first()?;
    (!known.inputs.contains(&first.as_str())).then_some(0)
}
