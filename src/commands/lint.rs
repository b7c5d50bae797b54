//! `nixpilot lint`: find the project, read its Nix files, run the rules, fix or report.

use std::collections::{BTreeSet, HashSet};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nixpilot_lint::fix::{self, FixMode};
use nixpilot_lint::render::{self, Report};
use nixpilot_lint::engine::Scope;
use nixpilot_lint::diagnostic::FilePath;
use nixpilot_lint::{engine, vfs, Severity, SourceFile};

#[derive(Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Level {
    Error,
    Warning,
    Info,
}

impl Level {
    fn severity(self) -> Severity {
        match self {
            Level::Error => Severity::Error,
            Level::Warning => Severity::Warning,
            Level::Info => Severity::Info,
        }
    }
}

#[derive(Args)]
pub struct LintArgs {
    /// Files or directories to lint (default: the current directory). The project root is
    /// the nearest directory at or above the first path that holds flake.nix.
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, default_value = "human", value_parser = format_names())]
    pub format: String,
    /// When to colour human output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Exit with 1 when a diagnostic at or above this severity remains
    #[arg(long, value_enum, default_value_t = Level::Error)]
    pub deny: Level,
    /// Apply safe fixes (and unsafe ones with --unsafe-fixes), repeating until stable
    #[arg(long)]
    pub fix: bool,
    /// Print the fixes as a unified diff instead of writing them
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,
    /// Also apply fixes marked unsafe
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Seconds one file's analysis may take before it is stopped with an `analysis-limit`
    /// warning (overrides `file-time-limit` in nixpilot.toml; default 20)
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub file_time_limit: Option<std::time::Duration>,
    /// Exit 0 when the paths hold no Nix file (default: an error, exit 2; also `allow-empty`
    /// in nixpilot.toml)
    #[arg(long)]
    pub allow_empty: bool,
}

fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 86_400.0 => Ok(std::time::Duration::from_secs_f64(s)),
        _ => Err(format!("`{text}` is not a number of seconds between 0 and 86400")),
    }
}

fn format_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(render::FORMATS.iter().map(|(name, _)| *name))
}

impl LintArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let paths = if self.paths.is_empty() { vec![PathBuf::from(".")] } else { self.paths.clone() };
        // Files outside any flake or nixpilot.toml are linted alone: their directory may be
        // $HOME or /, which is nobody's project and must not be walked.
        let loose = paths.iter().all(|p| p.is_file() && vfs::project_root_for_file(p).is_none());
        let root = vfs::find_project_root(&paths[0])?;
        let mut targets: BTreeSet<PathBuf> = BTreeSet::new();
        let mut scope = Vec::new();
        let mut config = vfs::load_config(&root)?;
        if let Some(limit) = self.file_time_limit {
            config.file_time_limit = Some(limit);
        }
        for path in &paths {
            let this_root = vfs::find_project_root(path)?;
            if this_root != root {
                bail!(
                    "{} and {} belong to different projects ({} and {}); lint them in separate runs",
                    paths[0].display(),
                    path.display(),
                    root.display(),
                    this_root.display()
                );
            }
            let absolute = std::fs::canonicalize(path).with_context(|| format!("{}", path.display()))?;
            scope.push(vfs::relative_path(&root, &absolute));
            if absolute.is_dir() {
                let (found, skipped) = vfs::discover_nix_files_skipping(&root, &absolute, &config);
                for entry in skipped {
                    eprintln!("nixpilot: warning: {}: {}", entry.path.display(), entry.reason);
                }
                targets.extend(found);
            } else {
                // A file named on the command line is linted whatever its name or ignore status.
                targets.insert(absolute);
            }
        }
        let targets: Vec<PathBuf> = targets.into_iter().collect();
        if targets.is_empty() {
            let named = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
            if !(self.allow_empty || config.allow_empty) {
                eprintln!(
                    "nixpilot: error: no Nix file in {named} (nothing to lint: is this the repository's folder?); \
                     pass --allow-empty or set `allow-empty = true` in nixpilot.toml to accept that"
                );
                return Ok(ExitCode::from(2));
            }
            eprintln!("nixpilot: no Nix file in {named}; nothing to lint (allowed)");
        }
        let scope = Scope(scope);
        let source = vfs::DiskSource::new(&root, &config);
        // Files too large to read are reported, not read (nor the run stopped).
        let targets: Vec<PathBuf> = targets
            .into_iter()
            .filter(|p| match std::fs::metadata(p) {
                Ok(m) if m.len() > vfs::MAX_FILE_BYTES => {
                    let reason = vfs::Unread::TooLarge { size: m.len(), limit: vfs::MAX_FILE_BYTES };
                    source.note_unread(&vfs::relative_path(&root, p), reason);
                    false
                }
                _ => true,
            })
            .collect();
        let project_source: Option<&dyn nixpilot_lint::project::FileSource> = if loose { None } else { Some(&source) };

        let progress = progress_bar(targets.len());
        let tick = || progress.inc(1);
        let mode = if self.unsafe_fixes { FixMode::SafeAndUnsafe } else { FixMode::SafeOnly };

        // Fixing needs every text in memory; reporting only those of files with findings.
        let (result, files) = if self.fix || self.diff {
            let mut files = vfs::read_files(&root, &targets)?;
            let originals: Vec<SourceFile> = if self.diff { files.clone() } else { Vec::new() };
            let outcome = fix::fix_until_stable(&mut files, project_source, &scope, &config, mode, &tick);
            progress.finish_and_clear();
            if self.diff {
                return print_diff(&originals, &outcome.changed);
            }
            for (path, text) in &outcome.changed {
                vfs::write_atomic(&root.join(&**path), text.as_bytes())?;
            }
            if !outcome.changed.is_empty() {
                eprintln!(
                    "nixpilot: applied {} in {}",
                    plural(outcome.applied, "fix", "fixes"),
                    plural(outcome.changed.len(), "file", "files")
                );
            }
            (outcome.result, files)
        } else {
            let paths: Vec<FilePath> = targets.iter().map(|p| FilePath::from(vfs::relative_path(&root, p))).collect();
            let read = |path: &FilePath| vfs::read_file(&root, &root.join(&**path));
            let streamed = engine::lint_streamed(&paths, &read, project_source, &scope, &config, &tick)?;
            progress.finish_and_clear();
            (streamed.result, streamed.texts)
        };

        let renderer = render::by_name(&self.format).context("unknown format")?;
        let cwd = std::env::current_dir().context("current directory")?;
        let prefix = display_prefix(&cwd, &root);
        let root_uri = file_uri(&root);
        // Project diagnostics may point into files that were not linted (flake.lock, …).
        let mut shown = files.clone();
        if let Some(project) = &result.project {
            let linted: HashSet<&str> = files.iter().map(|f| &*f.path).collect();
            shown.extend(project.sources().filter(|s| !linted.contains(&*s.path)).cloned());
        }
        let mut report = Report::new(&result.diagnostics, &shown, result.files_checked);
        report.display_prefix = &prefix;
        report.root_uri = Some(&root_uri);
        report.color = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        let mut out = io::stdout().lock();
        renderer.render(&report, &mut out).context("writing the report")?;
        out.flush().ok();

        let deny = self.deny.severity();
        if result.diagnostics.iter().any(|d| d.severity >= deny) {
            Ok(ExitCode::from(1))
        } else {
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A bar on stderr for runs long enough to want one, and only on a terminal.
fn progress_bar(files: usize) -> ProgressBar {
    if files < 200 || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(files as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} linting {pos}/{len} files {wide_bar}") {
        bar.set_style(style);
    }
    bar
}

fn print_diff(originals: &[SourceFile], changed: &std::collections::BTreeMap<Arc<str>, String>) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    for (path, new_text) in changed {
        let Some(old) = originals.iter().find(|f| f.path == *path) else { continue };
        let diff = similar::TextDiff::from_lines(&*old.text, new_text.as_str());
        write!(out, "{}", diff.unified_diff().header(&format!("a/{path}"), &format!("b/{path}")))?;
    }
    out.flush()?;
    Ok(if changed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The root as a prefix for paths shown to people: relative to the working directory when
/// the root is inside it, else absolute.
fn display_prefix(cwd: &Path, root: &Path) -> String {
    let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    match root.strip_prefix(&cwd) {
        Ok(rel) if rel.as_os_str().is_empty() => String::new(),
        Ok(rel) => format!("{}/", vfs::relative_path(Path::new(""), rel)),
        Err(_) => format!("{}/", root.display()),
    }
}

fn file_uri(root: &Path) -> String {
    let mut uri = format!("file://{}", render::sarif::uri_path(&root.to_string_lossy()));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}
