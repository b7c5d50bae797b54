//! `nixpilot.toml`: per-rule and per-group severities and exclude globs, parsed from text with
//! exact line numbers for every mistake (unknown keys, unknown rules, bad severities, bad globs).

use std::collections::BTreeMap;
use std::time::Duration;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::Severity;
use crate::rules;

/// The configuration file's name, looked for at the project root.
pub const CONFIG_FILE: &str = "nixpilot.toml";

/// A rule's configured level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleLevel {
    Off,
    On(Severity),
}

/// The parsed configuration. `Config::default()` is what a project without the file gets.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub rules: BTreeMap<String, RuleLevel>,
    /// Levels for whole groups (`style = "warning"`), by group name; a rule's own entry wins.
    pub groups: BTreeMap<String, RuleLevel>,
    pub exclude: Vec<String>,
    exclude_set: Option<GlobSet>,
    /// `file-time-limit` (seconds): how long one file's analysis may take before the engine
    /// stops it with an `analysis-limit` diagnostic. `None`: `DEFAULT_FILE_TIME_LIMIT`.
    pub file_time_limit: Option<Duration>,
    /// `allow-empty`: `nixpilot lint` on a folder without a Nix file exits 0 instead of 2.
    pub allow_empty: bool,
    /// `[options.<rule>]`: settings of single rules.
    pub options: RuleOptions,
}

/// Settings of single rules, one table each under `[options]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleOptions {
    #[serde(default, rename = "unused-formal")]
    pub unused_formal: UnusedFormalOptions,
}

/// `[options.unused-formal]`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnusedFormalOptions {
    /// `open-patterns`: also check the formals of patterns with `...`, which NixOS modules,
    /// flake-parts modules and the like use to list what their caller provides. Off by default.
    #[serde(default, rename = "open-patterns")]
    pub open_patterns: bool,
}

/// The per-file time limit when `nixpilot.toml` sets none: far above what any real file
/// needs (the slowest file of the corpus run in docs/reliability.md), low enough that a run
/// never hangs on one.
pub const DEFAULT_FILE_TIME_LIMIT: Duration = Duration::from_secs(20);

/// A mistake in `nixpilot.toml`, with its 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    groups: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default, rename = "file-time-limit")]
    file_time_limit: Option<Spanned<f64>>,
    #[serde(default, rename = "allow-empty")]
    allow_empty: bool,
    #[serde(default)]
    options: RuleOptions,
}

impl Config {
    /// Parses the text of `nixpilot.toml`; `file` is only used in error messages.
    pub fn parse(file: &str, text: &str) -> Result<Config, ConfigError> {
        let at = |offset: usize, message: String| {
            let (line, column) = line_col(text, offset);
            ConfigError {
                file: file.to_string(),
                line,
                column,
                message,
            }
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            at(offset, e.message().trim().to_string())
        })?;
        let mut config = Config {
            allow_empty: raw.allow_empty,
            options: raw.options,
            ..Config::default()
        };
        if let Some(limit) = raw.file_time_limit {
            let seconds = *limit.get_ref();
            if !(seconds > 0.0 && seconds <= 86_400.0) {
                return Err(at(
                    limit.span().start,
                    format!("file-time-limit must be a number of seconds between 0 and 86400, not {seconds}"),
                ));
            }
            config.file_time_limit = Some(Duration::from_secs_f64(seconds));
        }
        let parse_level = |what: &str, level: &Spanned<String>| match level.get_ref().as_str() {
            "off" => Ok(RuleLevel::Off),
            other => Severity::parse(other).map(RuleLevel::On).ok_or_else(|| {
                at(
                    level.span().start,
                    format!("{what} has level `{other}`; use \"off\", \"info\", \"warning\" or \"error\""),
                )
            }),
        };
        for (name, level) in raw.rules {
            if rules::by_name(name.get_ref()).is_none() {
                return Err(at(
                    name.span().start,
                    format!(
                        "unknown rule `{}` in [rules] (run `nixpilot rules` to list them)",
                        name.get_ref()
                    ),
                ));
            }
            let parsed = parse_level(&format!("rule `{}`", name.get_ref()), &level)?;
            config.rules.insert(name.into_inner(), parsed);
        }
        for (name, level) in raw.groups {
            if !rules::all().iter().any(|r| r.group.as_str() == name.get_ref()) {
                let mut groups: Vec<&str> = rules::all().iter().map(|r| r.group.as_str()).collect();
                groups.sort_unstable();
                groups.dedup();
                return Err(at(
                    name.span().start,
                    format!(
                        "unknown group `{}` in [groups]; groups are {}",
                        name.get_ref(),
                        groups.join(", ")
                    ),
                ));
            }
            let parsed = parse_level(&format!("group `{}`", name.get_ref()), &level)?;
            config.groups.insert(name.into_inner(), parsed);
        }
        let mut builder = GlobSetBuilder::new();
        for pattern in raw.exclude {
            let glob = Glob::new(pattern.get_ref())
                .map_err(|e| at(pattern.span().start, format!("invalid exclude glob: {}", e.kind())))?;
            builder.add(glob);
            config.exclude.push(pattern.into_inner());
        }
        config.exclude_set = Some(
            builder
                .build()
                .map_err(|e| at(0, format!("invalid exclude globs: {e}")))?,
        );
        Ok(config)
    }

    /// The level a rule runs at: configured, else its default.
    pub fn level(&self, rule: &rules::RuleMeta) -> RuleLevel {
        self.configured_level(rule)
            .unwrap_or(RuleLevel::On(rule.default_severity))
    }

    /// The level `nixpilot.toml` gives a rule: its own entry in `[rules]`, else its group's
    /// in `[groups]`.
    pub fn configured_level(&self, rule: &rules::RuleMeta) -> Option<RuleLevel> {
        self.rules
            .get(rule.name)
            .or_else(|| self.groups.get(rule.group.as_str()))
            .copied()
    }

    /// How long one file's analysis may take.
    pub fn file_time_limit(&self) -> Duration {
        self.file_time_limit.unwrap_or(DEFAULT_FILE_TIME_LIMIT)
    }

    pub fn is_enabled(&self, rule: &rules::RuleMeta) -> bool {
        self.level(rule) != RuleLevel::Off
    }

    /// Whether a project-relative path (`/`-separated) matches an `exclude` glob. A glob
    /// matching a directory excludes everything below it.
    pub fn is_excluded(&self, relative_path: &str) -> bool {
        let Some(set) = &self.exclude_set else { return false };
        if set.is_match(relative_path) {
            return true;
        }
        let mut prefix = relative_path;
        while let Some(i) = prefix.rfind('/') {
            prefix = &prefix[..i];
            if set.is_match(prefix) {
                return true;
            }
        }
        false
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary_compat(offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, index: usize) -> usize;
}

impl FloorCharBoundary for str {
    fn floor_char_boundary_compat(&self, mut index: usize) -> usize {
        while index > 0 && !self.is_char_boundary(index) {
            index -= 1;
        }
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_levels_and_excludes() {
        let c = Config::parse(
            "nixpilot.toml",
            "exclude = [\"vendor\", \"**/gen-*.nix\"]\n[rules]\nmanual-inherit = \"off\"\nunused-let-binding = \"error\"\n",
        )
        .unwrap();
        assert_eq!(c.rules["manual-inherit"], RuleLevel::Off);
        assert_eq!(c.rules["unused-let-binding"], RuleLevel::On(Severity::Error));
        assert!(c.is_excluded("vendor/x/y.nix"));
        assert!(c.is_excluded("a/gen-x.nix"));
        assert!(!c.is_excluded("hosts/a/configuration.nix"));
    }

    #[test]
    fn errors_name_line_and_key() {
        let e = Config::parse("nixpilot.toml", "[rules]\n\nno-such-rule = \"off\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 1));
        assert!(e.message.contains("unknown rule `no-such-rule`"), "{e}");
        let e = Config::parse("nixpilot.toml", "exclude = []\nfrobnicate = 1\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("frobnicate"), "{e}");
        let e = Config::parse("nixpilot.toml", "[rules]\nmanual-inherit = \"loud\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 18));
        let e = Config::parse("nixpilot.toml", "exclude = []\nfile-time-limit = -1\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 19));
    }

    #[test]
    fn a_group_level_applies_to_its_rules_unless_a_rule_says_otherwise() {
        let style = rules::by_name("manual-inherit").unwrap();
        assert_eq!(Config::default().level(style), RuleLevel::On(Severity::Info));
        let c = Config::parse("nixpilot.toml", "[groups]\nstyle = \"warning\"\n").unwrap();
        assert_eq!(c.level(style), RuleLevel::On(Severity::Warning));
        let unused = rules::by_name("unused-let-binding").unwrap();
        assert_eq!(c.level(unused), RuleLevel::On(unused.default_severity));
        let c = Config::parse(
            "nixpilot.toml",
            "[groups]\nstyle = \"error\"\n[rules]\nmanual-inherit = \"off\"\n",
        )
        .unwrap();
        assert_eq!(c.level(style), RuleLevel::Off);
        let e = Config::parse("nixpilot.toml", "[groups]\nstyle = \"warning\"\nlooks = \"info\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 1));
        assert!(
            e.message.contains("unknown group `looks`") && e.message.contains("style"),
            "{e}"
        );
        let e = Config::parse("nixpilot.toml", "[groups]\nstyle = \"loud\"\n").unwrap_err();
        assert!(e.message.contains("group `style` has level `loud`"), "{e}");
    }

    #[test]
    fn rule_options_are_read_and_checked() {
        assert!(!Config::default().options.unused_formal.open_patterns);
        let c = Config::parse("nixpilot.toml", "[options.unused-formal]\nopen-patterns = true\n").unwrap();
        assert!(c.options.unused_formal.open_patterns);
        let e = Config::parse("nixpilot.toml", "[options.unused-formal]\nopen-pattern = true\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("open-pattern"), "{e}");
        let e = Config::parse("nixpilot.toml", "[options.no-such-rule]\nx = 1\n").unwrap_err();
        assert!(e.message.contains("no-such-rule"), "{e}");
    }

    #[test]
    fn file_time_limit_takes_seconds() {
        let c = Config::parse("nixpilot.toml", "file-time-limit = 2.5\n").unwrap();
        assert_eq!(c.file_time_limit(), Duration::from_millis(2500));
        assert_eq!(Config::default().file_time_limit(), DEFAULT_FILE_TIME_LIMIT);
    }
}
