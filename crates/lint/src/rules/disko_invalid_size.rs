//! `disko-invalid-size`: a gpt partition `size` disko's type rejects, or a `start`/`end` that
//! sgdisk silently reads as something else.

use super::sibling_entry::replace_string;
use super::{ProjectContext, ProjectRule, RuleMeta};
use crate::diagnostic::{Diagnostic, Fix, Span};
use crate::project::{Definition, Value};

crate::declare_rule! {
    /// ## What it does
    /// Checks the `size`, `start` and `end` of every gpt partition under `disko.devices`.
    /// `size` must be `"100%"` or match `[0-9]+[KMGTP]?` (disko's option type, e.g. `"512M"`,
    /// `"1G"`). `start` and `end` are handed to `sgdisk`, which reads a whole number, an
    /// optional `+`/`-` and one unit letter, and ignores the rest.
    ///
    /// ## Why is this bad?
    /// A `size` such as `"512MiB"`, `"1.5G"` or `"50%"` fails evaluation with a type error
    /// (the value is not `"100%"` nor a string matching the pattern `[0-9]+[KMGTP]?`). A
    /// `start`/`end` such as `"100%"` or `"1.5G"` is worse: sgdisk reads it as 100 sectors or
    /// 1 sector, and the disk is partitioned wrongly without an error.
    ///
    /// ## Example
    /// ```nix
    /// { disko.devices.disk.main.content.partitions.ESP.size = "512MiB"; }
    /// ```
    ///
    /// ## Fix
    /// Write sizes as sgdisk units, which are binary: `M` is MiB, `G` is GiB. Replacing
    /// `"512MiB"` by `"512M"`, `"1.5G"` by `"1536M"` or `"512m"` by `"512M"` keeps the size
    /// and is safe. Replacing `"512MB"` by `"512M"` changes the size slightly (MB are 10^6
    /// bytes), so that fix is unsafe. Percentages other than `"100%"` have no fix.
    pub static DISKO_INVALID_SIZE = { name: "disko-invalid-size", group: Disko, severity: Error, fixable: true };
}

pub struct DiskoInvalidSize;

/// disko's `size` type: `"100%"` or `[0-9]+[KMGTP]?` over the whole string.
pub fn valid_size(s: &str) -> bool {
    if s == "100%" {
        return true;
    }
    let digits = s.trim_end_matches(['K', 'M', 'G', 'T', 'P']);
    s.len() - digits.len() <= 1 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// What sgdisk reads exactly as written: optional sign, digits, optional unit letter (any
/// case; `s` for sectors), optionally `iB` or `B` after the unit (ignored by sgdisk).
pub fn valid_position(s: &str) -> bool {
    let s = s.trim_start_matches(' ');
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if digits_end == 0 && !s.is_empty() {
        return false;
    }
    let rest = &s[digits_end..];
    let mut chars = rest.chars();
    match chars.next() {
        None => true,
        // `MB` is read as MiB: a little more than written, not a different partition.
        Some(u) if "KMGTPEkmgtpe".contains(u) => matches!(chars.as_str(), "" | "iB" | "ib" | "B" | "b"),
        Some('s' | 'S') => chars.as_str().is_empty(),
        Some(_) => false,
    }
}

/// A replacement for an invalid size and whether it keeps the size exactly.
pub fn suggestion(s: &str) -> Option<(String, bool)> {
    let t = s.trim();
    let num_end = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(num_end);
    let unit = unit.trim();
    // By characters, not bytes: the text is the user's and may hold anything.
    let mut chars = unit.chars();
    let first = chars.next()?;
    let rest = chars.as_str();
    let exact = if rest.is_empty() || rest.eq_ignore_ascii_case("iB") {
        true
    } else if rest.eq_ignore_ascii_case("B") {
        false
    } else {
        return None;
    };
    let letter = first.to_ascii_uppercase().to_string();
    const UNITS: &str = "KMGTP";
    let index = UNITS.find(letter.as_str())?;
    let (whole, fraction) = num.split_once('.').unwrap_or((num, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if fraction.trim_end_matches('0').is_empty() {
        let candidate = format!("{whole}{letter}");
        return valid_size(&candidate).then_some((candidate, exact));
    }
    // `1.5G` → `1536M`: one unit down, when that is a whole number.
    let lower = UNITS.as_bytes().get(index.checked_sub(1)?).copied()? as char;
    let value: f64 = num.parse().ok()?;
    let scaled = value * 1024.0;
    if scaled.fract() != 0.0 || scaled > 1e15 {
        return None;
    }
    Some((format!("{}{lower}", scaled as u64), exact))
}

/// Whether a definition is a gpt partition's `size`/`start`/`end` under `disko.devices`:
/// `…content.partitions.<name>.<field>` (legacy `table` partitions are a list, not a set).
fn partition_field(d: &Definition) -> Option<&str> {
    let p = &d.path;
    let under_disko = p.len() > 5 && p[0].as_deref() == Some("disko") && p[1].as_deref() == Some("devices");
    if !under_disko || p[p.len() - 3].as_deref() != Some("partitions") {
        return None;
    }
    match p[p.len() - 1].as_deref() {
        Some(f @ ("size" | "start" | "end")) => Some(f),
        _ => None,
    }
}

impl ProjectRule for DiskoInvalidSize {
    fn meta(&self) -> &'static RuleMeta {
        &DISKO_INVALID_SIZE
    }

    fn check(&self, cx: &mut ProjectContext<'_>) {
        let project = cx.project;
        // Per module, not per host: a disko file shared by hosts is reported once.
        let mut seen = std::collections::HashSet::new();
        for summary in project.modules.values() {
            for d in &summary.definitions {
                let Some(field) = partition_field(d) else { continue };
                let Value::Str(value) = &d.value else { continue };
                // A helper called twice makes two definitions from one literal.
                if !seen.insert((d.file.clone(), d.value_range)) {
                    continue;
                }
                let ok = if field == "size" {
                    valid_size(value)
                } else {
                    valid_position(value)
                };
                if ok {
                    continue;
                }
                let message = if field == "size" {
                    format!("partition size `{value}` is not `\"100%\"` or a whole number with an optional K, M, G, T or P unit; disko rejects it")
                } else {
                    format!("partition {field} `{value}` is not what it seems: sgdisk reads only a whole number and one unit letter")
                };
                let mut diagnostic =
                    Diagnostic::new(&DISKO_INVALID_SIZE, Span::new(d.file.clone(), d.value_range), message)
                        .with_call_site(d.via.map(|r| Span::new(d.file.clone(), r)));
                if let Some((new, exact)) = suggestion(value) {
                    let valid = if field == "size" {
                        valid_size(&new)
                    } else {
                        valid_position(&new)
                    };
                    if let Some(edit) = replace_string(project, &d.file, d.value_range, &new).filter(|_| valid) {
                        let title = format!("Write `\"{new}\"`");
                        diagnostic = diagnostic.with_fix(if exact {
                            Fix::safe(title, vec![edit])
                        } else {
                            Fix::unsafe_(
                                format!("{title} (M, G are binary units: the size changes slightly)"),
                                vec![edit],
                            )
                        });
                    }
                }
                cx.report(diagnostic);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        for ok in ["100%", "512M", "1G", "0", "2048", "1T"] {
            assert!(valid_size(ok), "{ok}");
        }
        for bad in ["512MiB", "1.5G", "50%", "512m", "", "M", "512 M", "1GG", "-1G", "+1G"] {
            assert!(!valid_size(bad), "{bad}");
        }
    }

    #[test]
    fn positions() {
        for ok in [
            "1M", "-0", "+512M", "0", "-32G", "2048", "1MiB", "128m", "2048s", "", "1GB",
        ] {
            assert!(valid_position(ok), "{ok}");
        }
        for bad in ["100%", "1.5G", "50 %", "x", "1Gx"] {
            assert!(!valid_position(bad), "{bad}");
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggestion("512MiB"), Some(("512M".into(), true)));
        assert_eq!(suggestion("512m"), Some(("512M".into(), true)));
        assert_eq!(suggestion("1.5G"), Some(("1536M".into(), true)));
        assert_eq!(suggestion("2.0G"), Some(("2G".into(), true)));
        assert_eq!(suggestion("512MB"), Some(("512M".into(), false)));
        assert_eq!(suggestion(" 512M "), Some(("512M".into(), true)));
        assert_eq!(suggestion("50%"), None);
        assert_eq!(suggestion("1.5K"), None);
        assert_eq!(suggestion("0.1M"), None);
        assert_eq!(suggestion("abc"), None);
        assert_eq!(suggestion("5éB"), None);
        assert_eq!(suggestion("5é"), None);
        assert!(!valid_size("5é") && !valid_position("5é") && !valid_position("é"));
    }
}
