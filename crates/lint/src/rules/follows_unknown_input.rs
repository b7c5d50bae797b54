//! `follows-unknown-input`: a `follows` whose target is not an input of this flake.
//! Only the first segment of the target path is judged; deeper ones need the lock.

use super::suggest::closest;
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};

crate::declare_rule! {
    /// ## What it does
    /// Reports a `follows` (of a whole input or of a nested one) whose target's first
    /// segment is not an input of this flake, or, when `flake.lock` shows the graph, whose
    /// deeper segments (`"srvos/nixpkgs"`) name an input that flake does not have.
    ///
    /// ## Why is this bad?
    /// Nix refuses to lock the flake (`input 'nixpks' follows a non-existent input`), so
    /// nothing builds. It is usually a typo or a target input that was removed.
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    ///   inputs.disko.url = "github:nix-community/disko";
    ///   inputs.disko.inputs.nixpkgs.follows = "nixpks";
    /// }
    /// ```
    ///
    /// ## Fix
    /// Suggests the closest input name (display only: the intended target may be another).
    pub static FOLLOWS_UNKNOWN_INPUT = { name: "follows-unknown-input", group: Flake, severity: Error, fixable: true };
}

pub struct FollowsUnknownInput;

impl ProjectRule for FollowsUnknownInput {
    fn meta(&self) -> &'static RuleMeta {
        &FOLLOWS_UNKNOWN_INPUT
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        let Some(flake) = &project.flake else { return };
        if flake.unknown {
            return;
        }
        let names: Vec<&str> = flake.inputs.iter().map(|i| i.name.as_str()).collect();
        for input in &flake.inputs {
            for follows in input.follows.iter().chain(&input.overrides) {
                let path = follows.target_path();
                // `follows = ""` deliberately drops the input.
                let Some(first) = path.first() else { continue };
                if flake.has_root_input(first) {
                    // `a/b`: the lock knows whether `a` has an input `b`.
                    if let Some((depth, missing)) = missing_in_lock(project, &path) {
                        let owner = path[..depth].join("/");
                        cx.report(Diagnostic::new(
                            &FOLLOWS_UNKNOWN_INPUT,
                            cx.span(&flake.file, follows.value),
                            format!(
                                "`{}` follows `{}`, but `{owner}` has no input `{missing}`",
                                input.name, follows.target
                            ),
                        ));
                    }
                    continue;
                }
                let mut diagnostic = Diagnostic::new(
                    &FOLLOWS_UNKNOWN_INPUT,
                    cx.span(&flake.file, follows.value),
                    format!(
                        "`{}` follows `{}`, which is not an input of this flake",
                        input.name, follows.target
                    ),
                );
                if let Some(best) = closest(first, names.iter().copied()).first() {
                    let rest: Vec<&str> = std::iter::once(*best)
                        .chain(path[1..].iter().map(String::as_str))
                        .collect();
                    diagnostic = diagnostic.with_fix(Fix {
                        title: format!("Did you mean `{best}`?"),
                        applicability: Applicability::DisplayOnly,
                        edits: vec![Edit {
                            span: cx.span(&flake.file, follows.value),
                            new_text: format!("\"{}\"", rest.join("/")),
                        }],
                    });
                }
                cx.report(diagnostic);
            }
        }
    }
}

/// For a target path `a/b/…` whose first input exists: the depth and name of the first input
/// the locked graph does not have. `None` without a lock, or when the lock lacks `a` itself
/// (lock-out-of-sync's case), or when every step exists.
fn missing_in_lock(project: &crate::project::Project, path: &[String]) -> Option<(usize, String)> {
    let Some(Ok(lock)) = &project.lock else { return None };
    let (first, rest) = path.split_first()?;
    let mut node = lock.resolve(std::slice::from_ref(first))?;
    for (i, segment) in rest.iter().enumerate() {
        if !lock.nodes.get(node)?.inputs.contains_key(segment) {
            return Some((i + 1, segment.clone()));
        }
        node = lock.input_node(node, segment)?;
    }
    None
}
