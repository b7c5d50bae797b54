//! Applying fixes: choose non-overlapping edits, splice them into the texts, and repeat the
//! lint until nothing changes (bounded), all in memory. Writing files is the caller's job.

use std::collections::BTreeMap;

use rowan::TextRange;

use crate::config::Config;
use crate::diagnostic::{Applicability, Diagnostic, Edit, FilePath};
use crate::engine::{self, LintResult, Scope};
use crate::project::source::OverlaySource;
use crate::project::FileSource;
use crate::source::SourceFile;

/// How many lint-and-fix rounds `fix_until_stable` runs at most.
pub const MAX_ROUNDS: usize = 10;

/// Which fixes may be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixMode {
    SafeOnly,
    SafeAndUnsafe,
}

impl FixMode {
    fn allows(self, a: Applicability) -> bool {
        match a {
            Applicability::Safe => true,
            Applicability::Unsafe => self == FixMode::SafeAndUnsafe,
            Applicability::DisplayOnly => false,
        }
    }
}

/// Picks, for each diagnostic, its first allowed fix whose edits overlap no edit already
/// chosen, and returns the chosen edits per file. Identical edits from several diagnostics
/// (e.g. "remove this comment") count once.
pub fn select_edits(
    diagnostics: &[Diagnostic],
    mode: FixMode,
    writable: &dyn Fn(&FilePath) -> bool,
) -> BTreeMap<FilePath, Vec<Edit>> {
    let mut chosen: BTreeMap<FilePath, Vec<Edit>> = BTreeMap::new();
    for d in diagnostics {
        let Some(fix) = d.fixes.iter().find(|f| mode.allows(f.applicability)) else {
            continue;
        };
        if !fix.edits.iter().all(|e| writable(&e.span.file)) {
            continue;
        }
        let duplicate = fix
            .edits
            .iter()
            .all(|e| chosen.get(&e.span.file).is_some_and(|v| v.contains(e)));
        if duplicate {
            continue;
        }
        let conflicts = fix.edits.iter().any(|e| {
            chosen
                .get(&e.span.file)
                .is_some_and(|v| v.iter().any(|c| overlaps(c.span.range, e.span.range)))
        });
        if conflicts {
            continue;
        }
        for e in &fix.edits {
            chosen.entry(e.span.file.clone()).or_default().push(e.clone());
        }
    }
    chosen
}

/// Two edits conflict when their ranges intersect, or both insert at one point (order unknown).
fn overlaps(a: TextRange, b: TextRange) -> bool {
    if a == b {
        return true;
    }
    a.start() < b.end() && b.start() < a.end() || (a.is_empty() || b.is_empty()) && a.start() == b.start()
}

/// Applies non-overlapping edits to a text.
pub fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| std::cmp::Reverse((e.span.range.start(), e.span.range.end())));
    let mut out = text.to_string();
    for e in sorted {
        let range = std::ops::Range::<usize>::from(e.span.range);
        if range.end <= out.len() && out.is_char_boundary(range.start) && out.is_char_boundary(range.end) {
            out.replace_range(range, &e.new_text);
        }
    }
    out
}

/// The result of `fix_until_stable`.
pub struct FixOutcome {
    /// Files whose text changed: path -> new text.
    pub changed: BTreeMap<FilePath, String>,
    /// Rounds that changed something.
    pub rounds: usize,
    /// The lint result on the final texts.
    pub result: LintResult,
    /// Edits applied, summed over rounds.
    pub applied: usize,
}

/// Lints, applies fixes, re-lints, until no fix applies or `MAX_ROUNDS` is reached. Only
/// `files` are changed (never one that was not valid UTF-8); the project model, when a
/// `source` is given, sees the changed texts over the source's.
pub fn fix_until_stable(
    files: &mut [SourceFile],
    source: Option<&dyn FileSource>,
    scope: &Scope,
    config: &Config,
    mode: FixMode,
    progress: &(dyn Fn() + Sync),
) -> FixOutcome {
    let mut changed: BTreeMap<FilePath, String> = BTreeMap::new();
    let mut rounds = 0;
    let mut applied = 0;
    let run = |files: &[SourceFile], changed: &BTreeMap<FilePath, String>, progress: &(dyn Fn() + Sync)| match source {
        Some(base) => {
            let overlay = OverlaySource {
                base,
                overlay: files
                    .iter()
                    .filter(|f| changed.contains_key(&f.path))
                    .map(|f| (f.path.to_string(), f.clone()))
                    .collect(),
            };
            engine::lint(files, Some(&overlay), scope, config, progress)
        }
        None => engine::lint(files, None, scope, config, progress),
    };
    let mut result = run(files, &changed, progress);
    while rounds < MAX_ROUNDS {
        let writable = |path: &FilePath| files.iter().any(|f| f.path == *path && f.invalid_utf8_at.is_none());
        let edits = select_edits(&result.diagnostics, mode, &writable);
        if edits.is_empty() {
            break;
        }
        let mut any = false;
        for (path, file_edits) in edits {
            let Some(file) = files.iter_mut().find(|f| f.path == path) else {
                continue;
            };
            let new_text = apply_edits(&file.text, &file_edits);
            if new_text != *file.text {
                applied += file_edits.len();
                *file = SourceFile::new(path.clone(), new_text.clone());
                changed.insert(path, new_text);
                any = true;
            }
        }
        if !any {
            break;
        }
        rounds += 1;
        result = run(files, &changed, &|| {});
    }
    FixOutcome {
        changed,
        rounds,
        result,
        applied,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Fix, Span};
    use crate::rules::manual_inherit::MANUAL_INHERIT;

    fn edit(file: &str, start: u32, end: u32, text: &str) -> Edit {
        Edit {
            span: Span::new(file.into(), TextRange::new(start.into(), end.into())),
            new_text: text.into(),
        }
    }

    fn diag(fix: Fix) -> Diagnostic {
        Diagnostic::new(&MANUAL_INHERIT, edit("a.nix", 0, 0, "").span, "m").with_fix(fix)
    }

    #[test]
    fn overlapping_fixes_are_deferred_and_duplicates_merged() {
        let ds = vec![
            diag(Fix::safe("one", vec![edit("a.nix", 0, 4, "x")])),
            diag(Fix::safe("overlaps one", vec![edit("a.nix", 2, 6, "y")])),
            diag(Fix::safe("same as one", vec![edit("a.nix", 0, 4, "x")])),
            diag(Fix::safe("disjoint", vec![edit("a.nix", 6, 8, "z")])),
            diag(Fix::unsafe_("unsafe", vec![edit("a.nix", 9, 10, "u")])),
        ];
        let chosen = select_edits(&ds, FixMode::SafeOnly, &|_| true);
        assert_eq!(
            chosen["a.nix"],
            vec![edit("a.nix", 0, 4, "x"), edit("a.nix", 6, 8, "z")]
        );
        assert_eq!(apply_edits("0123456789", &chosen["a.nix"]), "x45z89");
        let chosen = select_edits(&ds, FixMode::SafeAndUnsafe, &|_| true);
        assert_eq!(chosen["a.nix"].len(), 3);
        assert!(select_edits(&ds, FixMode::SafeOnly, &|_| false).is_empty());
    }

    #[test]
    fn insertions_at_one_point_conflict() {
        assert!(overlaps(TextRange::empty(3.into()), TextRange::empty(3.into())));
        assert!(overlaps(TextRange::empty(3.into()), TextRange::new(3.into(), 5.into())));
        assert!(!overlaps(
            TextRange::new(1.into(), 3.into()),
            TextRange::new(3.into(), 5.into())
        ));
    }
}
