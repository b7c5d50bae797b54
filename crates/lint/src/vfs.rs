//! The one place that touches the disk: finding the project root, listing its Nix files
//! (honouring .gitignore and `exclude`), reading them, and writing fixed files atomically.

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::config::{Config, ConfigError, CONFIG_FILE};
use crate::source::SourceFile;

/// A failure to read or write something the user pointed at; the message names the path.
#[derive(Debug, thiserror::Error)]
pub enum VfsError {
    #[error("{path}: no such file or directory")]
    Missing { path: PathBuf },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{path}: {message}")]
    Walk { path: PathBuf, message: String },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> VfsError + '_ {
    move |source| VfsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The nearest directory at or above `path` holding `flake.nix`; else `path` itself (or its
/// directory, for a file).
pub fn find_project_root(path: &Path) -> Result<PathBuf, VfsError> {
    let absolute = fs::canonicalize(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => VfsError::Missing {
            path: path.to_path_buf(),
        },
        _ => VfsError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    let start = if absolute.is_dir() {
        absolute.clone()
    } else {
        absolute.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        if d.join("flake.nix").is_file() {
            return Ok(d.to_path_buf());
        }
        dir = d.parent();
    }
    Ok(start)
}

/// Reads `nixpilot.toml` at the root, if there is one.
pub fn load_config(root: &Path) -> Result<Config, VfsError> {
    let path = root.join(CONFIG_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => Ok(Config::parse(&path.display().to_string(), &text)?),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Config::default()),
        Err(e) => Err(VfsError::Io { path, source: e }),
    }
}

/// The `/`-separated path of `path` relative to `root`.
pub fn relative_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    parts.join("/")
}

/// Every `*.nix` file under `root`, not ignored by `.gitignore`/`.ignore` or `exclude`,
/// sorted by path. `.git` and `.direnv` are never entered; symlinks are not followed.
pub fn discover_nix_files(root: &Path, under: &Path, config: &Config) -> Result<Vec<PathBuf>, VfsError> {
    let mut files = Vec::new();
    let walker = ignore::WalkBuilder::new(under)
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| !matches!(e.file_name().to_str(), Some(".git" | ".direnv" | ".jj")))
        .build();
    for entry in walker {
        let entry = entry.map_err(|e| VfsError::Walk {
            path: under.to_path_buf(),
            message: e.to_string(),
        })?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.into_path();
        if path.extension().is_none_or(|e| e != "nix") {
            continue;
        }
        if config.is_excluded(&relative_path(root, &path)) {
            continue;
        }
        files.push(path);
    }
    files.sort();
    Ok(files)
}

/// Reads files in parallel into `SourceFile`s named relative to `root`.
pub fn read_files(root: &Path, paths: &[PathBuf]) -> Result<Vec<SourceFile>, VfsError> {
    paths.par_iter().map(|p| read_file(root, p)).collect()
}

/// Reads one file into a `SourceFile` named relative to `root`.
pub fn read_file(root: &Path, path: &Path) -> Result<SourceFile, VfsError> {
    let bytes = fs::read(path).map_err(io_err(path))?;
    Ok(SourceFile::from_bytes(relative_path(root, path), bytes))
}

/// Replaces `path`'s contents atomically: a temporary file in the same directory, written,
/// synced and renamed over the original, keeping the original's permissions.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), VfsError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let permissions = fs::metadata(path).map(|m| m.permissions()).ok();
    let mut tmp = tempfile::Builder::new()
        .prefix(".nixpilot-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io_err(path))?;
    tmp.write_all(contents).map_err(io_err(path))?;
    tmp.as_file().sync_all().map_err(io_err(path))?;
    if let Some(p) = permissions {
        fs::set_permissions(tmp.path(), p).map_err(io_err(path))?;
    }
    tmp.persist(path).map_err(|e| VfsError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    // The rename is only durable once the directory entry is.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The project on disk as a `FileSource` for the project model.
pub struct DiskSource {
    root: PathBuf,
    config: Config,
    /// Every file not ignored, and the Nix files among them (one walk of the tree for both).
    files: std::sync::OnceLock<(Vec<crate::diagnostic::FilePath>, Vec<crate::diagnostic::FilePath>)>,
    tracked: std::sync::OnceLock<Option<std::collections::HashSet<String>>>,
}

impl DiskSource {
    pub fn new(root: &Path, config: &Config) -> DiskSource {
        DiskSource {
            root: root.to_path_buf(),
            config: config.clone(),
            files: std::sync::OnceLock::new(),
            tracked: std::sync::OnceLock::new(),
        }
    }

    /// Walks the tree once: every file `.gitignore` and `exclude` keep, sorted by path, and
    /// the `*.nix` files among them in the order `discover_nix_files` gives (none when the
    /// walk fails, as there).
    fn files(&self) -> &(Vec<crate::diagnostic::FilePath>, Vec<crate::diagnostic::FilePath>) {
        self.files.get_or_init(|| {
            let mut all = Vec::new();
            let mut nix: Vec<PathBuf> = Vec::new();
            let mut failed = false;
            let walker = ignore::WalkBuilder::new(&self.root)
                .hidden(false)
                .require_git(false)
                .follow_links(false)
                .filter_entry(|e| !matches!(e.file_name().to_str(), Some(".git" | ".direnv" | ".jj")))
                .build();
            for entry in walker {
                let Ok(entry) = entry else {
                    failed = true;
                    continue;
                };
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    continue;
                }
                let rel = relative_path(&self.root, entry.path());
                if self.config.is_excluded(&rel) {
                    continue;
                }
                if entry.path().extension().is_some_and(|e| e == "nix") {
                    nix.push(entry.path().to_path_buf());
                }
                all.push(crate::diagnostic::FilePath::from(rel));
            }
            all.sort();
            nix.sort();
            let nix = if failed {
                Vec::new()
            } else {
                nix.iter()
                    .map(|p| crate::diagnostic::FilePath::from(relative_path(&self.root, p)))
                    .collect()
            };
            (all, nix)
        })
    }

    fn path(&self, relative: &str) -> PathBuf {
        if relative.is_empty() {
            self.root.clone()
        } else {
            self.root.join(relative)
        }
    }
}

impl crate::project::FileSource for DiskSource {
    fn read(&self, path: &str) -> Option<SourceFile> {
        let bytes = fs::read(self.path(path)).ok()?;
        Some(SourceFile::from_bytes(path, bytes))
    }

    fn read_bytes(&self, path: &str) -> Option<Vec<u8>> {
        fs::read(self.path(path)).ok()
    }

    fn kind(&self, path: &str) -> Option<crate::project::EntryKind> {
        let meta = fs::metadata(self.path(path)).ok()?;
        if meta.is_dir() {
            Some(crate::project::EntryKind::Dir)
        } else if meta.is_file() {
            Some(crate::project::EntryKind::File)
        } else {
            None
        }
    }

    fn list_dir(&self, path: &str) -> Option<Vec<(String, crate::project::EntryKind)>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(self.path(path)).ok()? {
            let Ok(entry) = entry else { continue };
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let child = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}/{name}")
            };
            if let Some(kind) = self.kind(&child) {
                out.push((name, kind));
            }
        }
        out.sort();
        Some(out)
    }

    fn all_files(&self) -> Vec<crate::diagnostic::FilePath> {
        self.files().0.clone()
    }

    /// Asks git once for the tracked files (`git ls-files`); no git, no answer.
    fn is_tracked(&self, path: &str) -> Option<bool> {
        let tracked = self.tracked.get_or_init(|| {
            let out = std::process::Command::new("git")
                .arg("-C")
                .arg(&self.root)
                .args(["ls-files", "-z", "--full-name", "--", "."])
                .stderr(std::process::Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())?;
            let prefix = std::process::Command::new("git")
                .arg("-C")
                .arg(&self.root)
                .args(["rev-parse", "--show-prefix"])
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_default();
            Some(
                out.stdout
                    .split(|b| *b == 0)
                    .filter(|p| !p.is_empty())
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .filter_map(|p| p.strip_prefix(&prefix).map(str::to_string))
                    .collect(),
            )
        });
        tracked.as_ref().map(|t| t.contains(path))
    }

    fn nix_files(&self) -> Vec<crate::diagnostic::FilePath> {
        self.files().1.clone()
    }
}
