//! `nixpilot rules`: the rule catalogue as a table, its summary column wrapped to the
//! terminal's width so every summary is shown whole.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Args;
use nixpilot_lint::rules;

#[derive(Args)]
pub struct RulesArgs {}

/// Below this, the summary column is not narrowed further: a few words a line stay readable.
const MIN_SUMMARY_WIDTH: usize = 24;

/// The width to fit: `COLUMNS` when set (as shells and `COLUMNS=100 nixpilot rules` do), else
/// the terminal's when stdout is one; `None` (no wrapping) for pipes and files.
fn output_width() -> Option<usize> {
    if let Some(cols) = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok()) {
        return (cols > 0).then_some(cols);
    }
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ fills the winsize it is given; stdout is a terminal (checked above).
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

/// A word longer than `width` in pieces that fit: after a `.` or `/` where there is one
/// (option paths), else cut at `width`.
fn split_long_word(word: &str, width: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest = word;
    while rest.chars().count() > width {
        let cut = rest.char_indices().nth(width).map_or(rest.len(), |(i, _)| i);
        let at = rest[..cut].rfind(['.', '/']).map_or(cut, |i| i + 1);
        pieces.push(rest[..at].to_string());
        rest = &rest[at..];
    }
    pieces.push(rest.to_string());
    pieces
}

/// `text` in lines of at most `width` characters, broken between words (a word longer than
/// `width` is broken too, see `split_long_word`).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let words = text.split_whitespace().flat_map(|w| split_long_word(w, width));
    for word in words {
        let word = word.as_str();
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

impl RulesArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let all = rules::all();
        let width = all.iter().map(|m| m.name.len()).max().unwrap_or(4).max(4);
        let indent = width + 2 + 8 + 2 + 12 + 2 + 7 + 2;
        let summary_width = output_width().map(|cols| cols.saturating_sub(indent).max(MIN_SUMMARY_WIDTH));
        println!("{:width$}  {:8}  {:12}  {:7}  SUMMARY", "RULE", "SEVERITY", "GROUP", "FIXABLE");
        for m in all {
            let summary = m.summary();
            let lines = match summary_width {
                Some(w) => wrap(&summary, w),
                None => vec![summary.to_string()],
            };
            println!(
                "{:width$}  {:8}  {:12}  {:7}  {}",
                m.name,
                m.default_severity.as_str(),
                m.group.as_str(),
                if m.fixable { "yes" } else { "no" },
                lines[0]
            );
            for more in &lines[1..] {
                println!("{:indent$}{more}", "");
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
