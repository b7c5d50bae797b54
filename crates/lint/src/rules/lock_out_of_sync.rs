//! `lock-out-of-sync`: flake.nix and flake.lock disagree (inputs added or removed, follows
//! changed, another source), or flake.lock cannot be read at all.

use rowan::{TextRange, TextSize};

use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Span};
use crate::project::catalogue::github_repo;
use crate::project::lock::LockInput;
use crate::project::{Flake, Lock, LockError};

crate::declare_rule! {
    /// ## What it does
    /// Compares the inputs of `flake.nix` with the root inputs of `flake.lock`: inputs
    /// missing from the lock or left in it, `follows` declared on one side only or with
    /// different targets, `flake = false` on one side only, and a GitHub repository that
    /// differs from the one the lock was made for. A `flake.lock` that is not valid JSON or
    /// not a lock file is reported here too, at its line.
    ///
    /// ## Why is this bad?
    /// A stale lock means CI, `nixos-rebuild` and `nix flake check` either fail
    /// (`--no-write-lock-file`, read-only checkouts) or silently rewrite the lock, so what
    /// was reviewed is not what gets deployed.
    ///
    /// ## Example
    /// ```nix
    /// {
    ///   inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    ///   # added after the last `nix flake lock`
    ///   inputs.disko.url = "github:nix-community/disko";
    /// }
    /// ```
    ///
    /// ## Fix
    /// Run `nix flake lock` (shown, never applied: it needs the network).
    pub static LOCK_OUT_OF_SYNC = { name: "lock-out-of-sync", group: Flake, severity: Error, fixable: true };
}

pub struct LockOutOfSync;

fn relock() -> Fix {
    Fix {
        title: "Run `nix flake lock`".into(),
        applicability: Applicability::DisplayOnly,
        edits: Vec::new(),
    }
}

impl ProjectRule for LockOutOfSync {
    fn meta(&self) -> &'static RuleMeta {
        &LOCK_OUT_OF_SYNC
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        match &project.lock {
            None => {}
            Some(Err(error)) => report_unreadable(cx, error),
            Some(Ok(lock)) => {
                let Some(flake) = &project.flake else { return };
                if flake.unknown {
                    return;
                }
                for (span, message) in differences(flake, lock) {
                    cx.report(Diagnostic::new(&LOCK_OUT_OF_SYNC, span, message).with_fix(relock()));
                }
            }
        }
    }
}

fn report_unreadable(cx: &mut ProjectContext<'_>, error: &LockError) {
    let range = cx
        .project
        .other_files
        .get(&error.file)
        .and_then(|f| {
            let line = error.line.checked_sub(1)?;
            let start = f.line_start(line)?;
            let len = f.line_text(line).len();
            Some(TextRange::at(TextSize::from(start as u32), TextSize::from(len as u32)))
        })
        .unwrap_or_default();
    cx.report(
        Diagnostic::new(
            &LOCK_OUT_OF_SYNC,
            cx.span(&error.file, range),
            format!("flake.lock cannot be read: {}", error.message),
        )
        .with_fix(Fix {
            title: "Repair it, or delete it and run `nix flake lock`".into(),
            applicability: Applicability::DisplayOnly,
            edits: Vec::new(),
        }),
    );
}

fn differences(flake: &Flake, lock: &Lock) -> Vec<(Span, String)> {
    let mut out = Vec::new();
    let Some(root) = lock.root_node() else { return out };
    let in_nix = |range| Span::new(flake.file.clone(), range);
    let in_lock = |range: Option<TextRange>| Span::new(lock.file.clone(), range.unwrap_or_default());

    for input in &flake.inputs {
        let name = &input.name;
        match (root.inputs.get(name), &input.follows) {
            (None, _) => out.push((
                in_nix(input.name_range),
                format!("input `{name}` is declared in flake.nix but not in flake.lock"),
            )),
            (Some(_), Some(f)) if f.target_path().first().is_some_and(|t| !flake.has_root_input(t)) => {}
            (Some(LockInput::Node(_)), Some(f)) => out.push((
                in_nix(f.value),
                format!(
                    "flake.nix makes `{name}` follow `{}`, flake.lock locks it on its own",
                    f.target
                ),
            )),
            (Some(LockInput::Follows(path)), None) => out.push((
                in_nix(input.name_range),
                format!(
                    "flake.lock has `{name}` follow `{}`, flake.nix gives it its own source",
                    path.join("/")
                ),
            )),
            (Some(LockInput::Follows(path)), Some(f)) if *path != f.target_path() => out.push((
                in_nix(f.value),
                format!(
                    "flake.nix makes `{name}` follow `{}`, flake.lock has `{}`",
                    f.target,
                    path.join("/")
                ),
            )),
            (Some(LockInput::Follows(_)), Some(_)) => {}
            (Some(LockInput::Node(key)), None) => {
                let Some(node) = lock.nodes.get(key) else { continue };
                if node.is_flake != input.is_flake {
                    out.push((
                        in_nix(input.name_range),
                        format!(
                            "flake.nix has `{name}` with flake = {}, flake.lock with flake = {}",
                            input.is_flake, node.is_flake
                        ),
                    ));
                }
                let wanted = input
                    .url
                    .as_deref()
                    .and_then(github_repo)
                    .filter(|_| input.url.as_deref().is_some_and(|u| u.starts_with("github:")));
                let original = node
                    .original
                    .as_ref()
                    .filter(|o| o.kind == "github")
                    .and_then(|o| o.identity());
                if let (Some(wanted), Some(original)) = (wanted, original) {
                    let wanted = format!("github:{wanted}");
                    if wanted != original {
                        out.push((
                            in_nix(input.url_range.unwrap_or(input.name_range)),
                            format!("flake.nix points `{name}` at {wanted}, flake.lock was made for {original}"),
                        ));
                    }
                }
                overrides(flake, lock, input, key, &mut out);
            }
        }
    }

    for (name, _) in root.inputs.iter() {
        if !flake.has_root_input(name) {
            out.push((
                in_lock(root.input_ranges.get(name).copied()),
                format!("flake.lock still has input `{name}`, which flake.nix no longer declares"),
            ));
        }
    }
    out
}

/// `x.inputs.y.follows` in flake.nix against node `x`'s inputs in the lock, both ways.
fn overrides(flake: &Flake, lock: &Lock, input: &crate::project::FlakeInput, key: &str, out: &mut Vec<(Span, String)>) {
    let name = &input.name;
    for o in &input.overrides {
        // A target that is no input at all cannot be locked: follows-unknown-input's case.
        if o.target_path().first().is_some_and(|t| !flake.has_root_input(t)) {
            continue;
        }
        let Some((last, parents)) = o.dep.split_last() else {
            continue;
        };
        // A parent the lock does not have leaves nothing to compare (stale-follows' case).
        let walked = parents.iter().try_fold(key, |node, dep| lock.input_node(node, dep));
        let Some(found) = walked
            .and_then(|node| lock.nodes.get(node))
            .and_then(|n| n.inputs.get(last))
        else {
            // No such input at all: stale-follows reports it.
            continue;
        };
        let dep_path = format!("{name}/{}", o.dep.join("/"));
        match found {
            LockInput::Node(_) => out.push((
                Span::new(flake.file.clone(), o.entry),
                format!(
                    "flake.nix makes `{dep_path}` follow `{}`, flake.lock locks it on its own",
                    o.target
                ),
            )),
            LockInput::Follows(path) if *path != o.target_path() => out.push((
                Span::new(flake.file.clone(), o.value),
                format!(
                    "flake.nix makes `{dep_path}` follow `{}`, flake.lock has `{}`",
                    o.target,
                    path.join("/")
                ),
            )),
            LockInput::Follows(_) => {}
        }
    }
    // A follows in the lock that points outside the input (its own flake.nix writes paths
    // starting with its own name) can only come from an override flake.nix no longer has.
    let Some(node) = lock.nodes.get(key) else { return };
    for (dep, target) in &node.inputs {
        let LockInput::Follows(path) = target else { continue };
        let Some(first) = path.first() else { continue };
        let declared = input.overrides.iter().any(|o| o.dep.len() == 1 && &o.dep[0] == dep);
        if first != name && !declared {
            out.push((
                Span::new(
                    lock.file.clone(),
                    node.input_ranges.get(dep).copied().unwrap_or_default(),
                ),
                format!(
                    "flake.lock has `{name}/{dep}` follow `{}`, flake.nix has no such override",
                    path.join("/")
                ),
            ));
        }
    }
}
