//! Inline suppressions: `# nixpilot: allow(rule-a, rule-b)` on the line before, or at the end
//! of, the offending line. Unused ones become `unused-suppression` diagnostics with a fix.

use rnix::{SyntaxKind, SyntaxToken};
use rowan::{TextRange, TextSize};

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Edit, Fix, Span};
use crate::rules::{self, unused_suppression::UNUSED_SUPPRESSION};
use crate::source::SourceFile;

pub(crate) const MARKER: &str = "nixpilot:";

/// One suppression comment.
#[derive(Debug, Clone)]
pub struct Suppression {
    /// The whole comment token.
    pub comment: TextRange,
    /// Whitespace before the comment that goes with it when the comment is removed.
    removal: TextRange,
    /// 0-based line whose diagnostics it suppresses.
    pub line: usize,
    /// The rule names, each with its range inside the file, and whether it suppressed something.
    pub names: Vec<(String, TextRange, bool)>,
}

/// Parses a comment token; `None` when it is not a suppression.
pub(crate) fn parse_comment(file: &SourceFile, token: &SyntaxToken) -> Option<Suppression> {
    let text = token.text();
    let body = text.strip_prefix('#')?.trim_start();
    let rest = body.strip_prefix(MARKER)?.trim_start();
    let args = rest.strip_prefix("allow")?.trim_start().strip_prefix('(')?;
    let close = args.find(')')?;
    let list = &args[..close];
    // Offset of `list` within the token text.
    let list_start = text.len() - args.len();
    let base = token.text_range().start() + TextSize::from(list_start as u32);
    let mut names = Vec::new();
    let mut pos = 0usize;
    for piece in list.split(',') {
        let trimmed = piece.trim();
        if !trimmed.is_empty() {
            let lead = piece.len() - piece.trim_start().len();
            let start = base + TextSize::from((pos + lead) as u32);
            names.push((trimmed.to_string(), TextRange::at(start, TextSize::of(trimmed)), false));
        }
        pos += piece.len() + 1;
    }

    let prev = token.prev_token();
    let own_line = match &prev {
        None => true,
        Some(p) => p.kind() == SyntaxKind::TOKEN_WHITESPACE && (p.text().contains('\n') || p.prev_token().is_none()),
    };
    let (line, removal) = if own_line {
        // Applies to the next line holding code (skipping further comments).
        let mut next = token.next_token();
        while let Some(t) = &next {
            if matches!(t.kind(), SyntaxKind::TOKEN_WHITESPACE | SyntaxKind::TOKEN_COMMENT) {
                next = t.next_token();
            } else {
                break;
            }
        }
        let target = next.map_or(file.line_count().saturating_sub(1), |t| {
            file.line_index(t.text_range().start())
        });
        // Remove the comment with the line break and indentation before it.
        let start = prev
            .as_ref()
            .filter(|p| p.kind() == SyntaxKind::TOKEN_WHITESPACE)
            .map(|p| p.text_range().start() + TextSize::from(p.text().rfind('\n').unwrap_or(0) as u32))
            .unwrap_or(token.text_range().start());
        (target, TextRange::new(start, token.text_range().end()))
    } else {
        let start = prev
            .as_ref()
            .filter(|p| p.kind() == SyntaxKind::TOKEN_WHITESPACE)
            .map_or(token.text_range().start(), |p| p.text_range().start());
        (
            file.line_index(token.text_range().start()),
            TextRange::new(start, token.text_range().end()),
        )
    };
    Some(Suppression {
        comment: token.text_range(),
        removal,
        line,
        names,
    })
}

/// Drops the diagnostics that a suppression covers and reports the suppressions (or names in
/// them) that covered nothing.
pub(crate) fn apply(
    file: &SourceFile,
    suppressions: &mut [Suppression],
    diagnostics: &mut Vec<Diagnostic>,
    config: &Config,
) {
    if suppressions.is_empty() {
        return;
    }
    diagnostics.retain(|d| {
        if d.span.file != file.path {
            return true;
        }
        let line = file.line_index(d.span.range.start());
        let mut suppressed = false;
        for s in suppressions.iter_mut().filter(|s| s.line == line) {
            for (name, _, used) in s.names.iter_mut() {
                if name == d.rule {
                    *used = true;
                    suppressed = true;
                }
            }
        }
        !suppressed
    });
    for s in suppressions.iter() {
        let unused: Vec<&(String, TextRange, bool)> = s
            .names
            .iter()
            .filter(|(name, _, used)| !used && rules::by_name(name).is_none_or(|m| config.is_enabled(m)))
            .collect();
        if unused.is_empty() {
            continue;
        }
        let kept: Vec<&str> = s
            .names
            .iter()
            .filter(|n| !unused.iter().any(|u| u.1 == n.1))
            .map(|n| n.0.as_str())
            .collect();
        let fix = if kept.is_empty() {
            Fix::safe(
                "Remove the suppression comment",
                vec![Edit {
                    span: span(file, s.removal),
                    new_text: String::new(),
                }],
            )
        } else {
            let list_range = TextRange::new(s.names[0].1.start(), s.names[s.names.len() - 1].1.end());
            Fix::safe(
                "Remove the unused names from the suppression",
                vec![Edit {
                    span: span(file, list_range),
                    new_text: kept.join(", "),
                }],
            )
        };
        for (name, range, _) in &unused {
            let message = if rules::by_name(name).is_none() {
                format!("`{name}` is not a nixpilot rule, so this suppresses nothing (see `nixpilot rules`)")
            } else {
                format!("suppression of `{name}` is unused: no such diagnostic on this line")
            };
            diagnostics.push(
                Diagnostic::new(&UNUSED_SUPPRESSION, span(file, *range), message)
                    .with_label(span(file, s.comment), "in this suppression comment")
                    .with_fix(fix.clone()),
            );
        }
    }
}

fn span(file: &SourceFile, range: TextRange) -> Span {
    Span::new(file.path.clone(), range)
}
