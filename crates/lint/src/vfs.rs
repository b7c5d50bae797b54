//! The one place that touches the disk: finding the project root, listing its Nix files
//! (honouring .gitignore and `exclude`), reading them confined to the repository, and writing
//! fixed files atomically.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ffi::OsString;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

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
    #[error("{path}: {reason}")]
    Unread { path: PathBuf, reason: Unread },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> VfsError + '_ {
    move |source| VfsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The most of one file nixpilot reads from a repository. A Nix file costs about ten times
/// its size in memory once parsed; a larger file is reported and not read.
pub const MAX_FILE_BYTES: u64 = 128 << 20;

/// How many symbolic links one path may go through (as Linux allows).
const MAX_LINKS: usize = 40;

/// Why a file of the repository was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unread {
    #[error("no such file")]
    Missing,
    #[error("a symbolic link pointing outside the repository (to {target}); not read")]
    OutsideRepository { target: String },
    #[error("more than 40 symbolic links on the way; not read")]
    LinkLoop,
    #[error("not a regular file (a {kind}); not read")]
    NotRegular { kind: &'static str },
    #[error("{} MiB, more than the {} MiB nixpilot reads of one file; not read", .size >> 20, .limit >> 20)]
    TooLarge { size: u64, limit: u64 },
    #[error("cannot be read ({message}); skipped")]
    Unreadable { message: String },
    #[error("its name is not valid UTF-8; skipped")]
    NotUtf8Name,
}

fn unreadable(e: io::Error) -> Unread {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => Unread::Missing,
        _ => Unread::Unreadable {
            message: e.kind().to_string(),
        },
    }
}

fn kind_name(t: fs::FileType) -> &'static str {
    if t.is_dir() {
        "directory"
    } else if t.is_fifo() {
        "named pipe"
    } else if t.is_socket() {
        "socket"
    } else if t.is_block_device() {
        "block device"
    } else if t.is_char_device() {
        "character device"
    } else {
        "special file"
    }
}

/// Where `relative` (`/`-separated) leads inside `root`, and what is there (the link itself is
/// never the answer: links are followed while they stay inside `root`, as git and nix treat
/// them). `root` must be canonical for absolute links into it to count as inside.
pub fn resolve_confined(root: &Path, relative: &str) -> Result<(PathBuf, fs::Metadata), Unread> {
    let mut resolved: Vec<OsString> = Vec::new();
    let mut pending: VecDeque<OsString> = relative.split('/').map(OsString::from).collect();
    let mut links = 0;
    let mut found = fs::symlink_metadata(root).map_err(unreadable)?;
    while let Some(part) = pending.pop_front() {
        if part.is_empty() || part == "." {
            continue;
        }
        if part == ".." {
            // Only reachable through a link's target: `relative` itself comes normalised.
            if resolved.pop().is_none() {
                return Err(Unread::OutsideRepository {
                    target: relative.to_string(),
                });
            }
            found = fs::symlink_metadata(join_parts(root, &resolved)).map_err(unreadable)?;
            continue;
        }
        if !found.is_dir() {
            return Err(Unread::Missing);
        }
        let path = join_parts(root, &resolved).join(&part);
        let meta = fs::symlink_metadata(&path).map_err(unreadable)?;
        if !meta.file_type().is_symlink() {
            resolved.push(part);
            found = meta;
            continue;
        }
        links += 1;
        if links > MAX_LINKS {
            return Err(Unread::LinkLoop);
        }
        let target = fs::read_link(&path).map_err(unreadable)?;
        let outside = || Unread::OutsideRepository {
            target: target.display().to_string(),
        };
        let rest: Vec<OsString> = if target.is_absolute() {
            let inside = target.strip_prefix(root).map_err(|_| outside())?;
            resolved.clear();
            found = fs::symlink_metadata(root).map_err(unreadable)?;
            inside.iter().map(OsString::from).collect()
        } else {
            target.iter().map(OsString::from).collect()
        };
        // Components climbing above the root through `..` are caught above.
        if !target.is_absolute() {
            let mut depth = resolved.len() as isize;
            for c in &rest {
                if c == ".." {
                    depth -= 1;
                    if depth < 0 {
                        return Err(outside());
                    }
                } else if c != "." {
                    depth += 1;
                }
            }
        }
        for c in rest.into_iter().rev() {
            pending.push_front(c);
        }
    }
    Ok((join_parts(root, &resolved), found))
}

fn join_parts(root: &Path, parts: &[OsString]) -> PathBuf {
    let mut path = root.to_path_buf();
    path.extend(parts);
    path
}

/// Reads the file `relative` leads to inside `root`: links leaving `root` are not followed,
/// only a regular file is read, its size is checked before reading and the read stops at
/// `limit` whatever the file does meanwhile. The one way repository files are read.
pub fn read_confined(root: &Path, relative: &str, limit: u64) -> Result<Vec<u8>, Unread> {
    let (path, meta) = resolve_confined(root, relative)?;
    check_regular(&meta, limit)?;
    open_and_read(&path, limit, true)
}

/// Reads a file outside the repository's tree that nixpilot itself looks for (the git
/// index): links are followed, but only a regular file of at most `limit` bytes is read.
pub fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>, Unread> {
    check_regular(&fs::metadata(path).map_err(unreadable)?, limit)?;
    open_and_read(path, limit, false)
}

fn check_regular(meta: &fs::Metadata, limit: u64) -> Result<(), Unread> {
    if !meta.is_file() {
        return Err(Unread::NotRegular {
            kind: kind_name(meta.file_type()),
        });
    }
    if meta.len() > limit {
        return Err(Unread::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    Ok(())
}

/// Opens without blocking (a FIFO swapped in since the check cannot hang the open) and without
/// following a last link, checks the open file itself, and reads at most `limit` bytes.
fn open_and_read(path: &Path, limit: u64, no_follow: bool) -> Result<Vec<u8>, Unread> {
    let flags = libc::O_NONBLOCK | if no_follow { libc::O_NOFOLLOW } else { 0 };
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => Unread::LinkLoop,
            _ => unreadable(e),
        })?;
    let meta = file.metadata().map_err(unreadable)?;
    check_regular(&meta, limit)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(Unread::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
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

/// The project a file belongs to: the nearest directory at or above it holding `flake.nix` or
/// `nixpilot.toml`. `None` for a loose file outside any project, which is analysed alone: its
/// directory may be `$HOME` or `/`, whose trees are nobody's project. The file itself need
/// not exist (an unsaved editor buffer); only the markers are looked at, never read.
pub fn project_root_for_file(path: &Path) -> Option<PathBuf> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let mut dir = absolute.parent();
    while let Some(d) = dir {
        if is_project_marker(&d.join("flake.nix")) || is_project_marker(&d.join(CONFIG_FILE)) {
            return Some(d.to_path_buf());
        }
        dir = d.parent();
    }
    None
}

/// A marker that makes its directory a project: a file, or a link to one (not read here).
fn is_project_marker(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// The most of `nixpilot.toml` read.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads `nixpilot.toml` at the root, if there is one.
pub fn load_config(root: &Path) -> Result<Config, VfsError> {
    let path = root.join(CONFIG_FILE);
    let confined = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    match read_confined(&confined, CONFIG_FILE, MAX_CONFIG_BYTES) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes).map_err(|_| VfsError::Unread {
                path: path.clone(),
                reason: Unread::Unreadable {
                    message: "not valid UTF-8".into(),
                },
            })?;
            Ok(Config::parse(&path.display().to_string(), &text)?)
        }
        Err(Unread::Missing) => Ok(Config::default()),
        Err(reason) => Err(VfsError::Unread { path, reason }),
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

/// An entry a walk of the tree left out (an unreadable directory, a name that is not UTF-8, an
/// ignore file that could not be read), for the caller to warn about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEntry {
    pub path: PathBuf,
    pub reason: Unread,
}

/// The most of one `.gitignore` or `.ignore` file read.
const MAX_IGNORE_FILE_BYTES: u64 = 1 << 20;

/// `.gitignore` and `.ignore` files of the tree, read like every other file of it (confined,
/// regular files only, bounded): the `ignore` crate would open a FIFO or a link to a device.
struct IgnoreFiles {
    root: PathBuf,
    by_dir: Mutex<HashMap<PathBuf, Option<std::sync::Arc<ignore::gitignore::Gitignore>>>>,
    skipped: Mutex<Vec<SkippedEntry>>,
}

impl IgnoreFiles {
    fn new(root: &Path) -> IgnoreFiles {
        IgnoreFiles {
            root: root.to_path_buf(),
            by_dir: Mutex::new(HashMap::new()),
            skipped: Mutex::new(Vec::new()),
        }
    }

    fn matcher(&self, dir: &Path) -> Option<std::sync::Arc<ignore::gitignore::Gitignore>> {
        if let Some(m) = self.by_dir.lock().ok()?.get(dir) {
            return m.clone();
        }
        let mut builder = ignore::gitignore::GitignoreBuilder::new(dir);
        let mut any = false;
        // Later lines win: `.git/info/exclude` (at the root), then `.gitignore`, then `.ignore`.
        let names: &[&str] = if dir == self.root {
            &[".git/info/exclude", ".gitignore", ".ignore"]
        } else {
            &[".gitignore", ".ignore"]
        };
        for name in names {
            let rel = match relative_path(&self.root, dir) {
                r if r.is_empty() => name.to_string(),
                r => format!("{r}/{name}"),
            };
            match read_confined(&self.root, &rel, MAX_IGNORE_FILE_BYTES) {
                Ok(bytes) => {
                    // A line that is not a valid glob is left out, as git leaves it out.
                    for line in String::from_utf8_lossy(&bytes).lines() {
                        let _ = builder.add_line(None, line);
                    }
                    any = true;
                }
                Err(Unread::Missing) => {}
                Err(reason) => {
                    if let Ok(mut skipped) = self.skipped.lock() {
                        skipped.push(SkippedEntry {
                            path: dir.join(name),
                            reason,
                        });
                    }
                }
            }
        }
        let matcher = if any {
            builder.build().ok().map(std::sync::Arc::new)
        } else {
            None
        };
        if let Ok(mut by_dir) = self.by_dir.lock() {
            by_dir.insert(dir.to_path_buf(), matcher.clone());
        }
        matcher
    }

    /// Whether the ignore files of the directories from `path`'s up to the root leave it
    /// out; the nearest file that says anything decides.
    fn is_ignored(&self, path: &Path, is_dir: bool) -> bool {
        for dir in path.ancestors().skip(1) {
            if !dir.starts_with(&self.root) {
                break;
            }
            if let Some(m) = self.matcher(dir) {
                match m.matched(path, is_dir) {
                    ignore::Match::Ignore(_) => return true,
                    ignore::Match::Whitelist(_) => return false,
                    ignore::Match::None => {}
                }
            }
        }
        false
    }
}

/// Where an error of the walk happened.
fn walk_error_path(e: &ignore::Error) -> Option<&Path> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => walk_error_path(err),
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

/// Every regular file under `under` (inside `root`) that `.gitignore`, `.ignore` and `exclude`
/// keep, in walk order, and what the walk skipped. `.git`, `.direnv` and `.jj` are never
/// entered; links are not followed (a link is read only when something names it).
fn walk_files(root: &Path, under: &Path, config: &Config) -> (Vec<PathBuf>, Vec<SkippedEntry>) {
    let ignores = std::sync::Arc::new(IgnoreFiles::new(root));
    let filter = ignores.clone();
    let walker = ignore::WalkBuilder::new(under)
        .hidden(false)
        .parents(false)
        .ignore(false)
        .git_ignore(false)
        .git_exclude(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(move |e| {
            if matches!(e.file_name().to_str(), Some(".git" | ".direnv" | ".jj")) {
                return false;
            }
            e.depth() == 0 || !filter.is_ignored(e.path(), e.file_type().is_some_and(|t| t.is_dir()))
        })
        .build();
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                skipped.push(SkippedEntry {
                    path: walk_error_path(&e).unwrap_or(under).to_path_buf(),
                    reason: match e.io_error() {
                        Some(io) => unreadable(io::Error::new(io.kind(), io.to_string())),
                        None => Unread::Unreadable { message: e.to_string() },
                    },
                });
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if entry.path().to_str().is_none() {
            skipped.push(SkippedEntry {
                path: entry.into_path(),
                reason: Unread::NotUtf8Name,
            });
            continue;
        }
        if config.is_excluded(&relative_path(root, entry.path())) {
            continue;
        }
        files.push(entry.into_path());
    }
    if let Ok(mut more) = ignores.skipped.lock() {
        skipped.append(&mut more);
    }
    (files, skipped)
}

/// Every `*.nix` file under `root`, not ignored by `.gitignore`/`.ignore` or `exclude`,
/// sorted by path. `.git` and `.direnv` are never entered; symlinks are not followed.
/// Entries that cannot be read are left out; `discover_nix_files_skipping` says which.
pub fn discover_nix_files(root: &Path, under: &Path, config: &Config) -> Result<Vec<PathBuf>, VfsError> {
    Ok(discover_nix_files_skipping(root, under, config).0)
}

/// `discover_nix_files`, with the entries the walk skipped (unreadable directories, names
/// that are not UTF-8) for a warning each, as ripgrep warns and goes on.
pub fn discover_nix_files_skipping(root: &Path, under: &Path, config: &Config) -> (Vec<PathBuf>, Vec<SkippedEntry>) {
    let (files, skipped) = walk_files(root, under, config);
    let mut nix: Vec<PathBuf> = files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "nix"))
        .collect();
    nix.sort();
    (nix, skipped)
}

/// Reads files in parallel into `SourceFile`s named relative to `root`.
pub fn read_files(root: &Path, paths: &[PathBuf]) -> Result<Vec<SourceFile>, VfsError> {
    paths.par_iter().map(|p| read_file(root, p)).collect()
}

/// Reads one file into a `SourceFile` named relative to `root`: confined to `root` when it
/// is inside (a file named on the command line may be elsewhere), at most `MAX_FILE_BYTES`.
pub fn read_file(root: &Path, path: &Path) -> Result<SourceFile, VfsError> {
    let read = match path.strip_prefix(root) {
        Ok(inside) => match inside.to_str() {
            Some(rel) => read_confined(root, rel, MAX_FILE_BYTES),
            None => Err(Unread::NotUtf8Name),
        },
        Err(_) => read_regular_file(path, MAX_FILE_BYTES),
    };
    let bytes = read.map_err(|reason| match reason {
        Unread::Missing => VfsError::Missing {
            path: path.to_path_buf(),
        },
        reason => VfsError::Unread {
            path: path.to_path_buf(),
            reason,
        },
    })?;
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

/// The project on disk as a `FileSource` for the project model. Every read is confined to the
/// root (`read_confined`); what could not be read is kept for `unread`.
pub struct DiskSource {
    root: PathBuf,
    /// The root as the file system names it, for links given as absolute paths into it.
    canonical: PathBuf,
    config: Config,
    /// Every file not ignored, and the Nix files among them (one walk of the tree for both).
    files: std::sync::OnceLock<(Vec<crate::diagnostic::FilePath>, Vec<crate::diagnostic::FilePath>)>,
    tracked: std::sync::OnceLock<Option<crate::git_index::TrackedFiles>>,
    unread: Mutex<BTreeMap<String, Unread>>,
}

impl DiskSource {
    pub fn new(root: &Path, config: &Config) -> DiskSource {
        DiskSource {
            root: root.to_path_buf(),
            canonical: fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
            config: config.clone(),
            files: std::sync::OnceLock::new(),
            tracked: std::sync::OnceLock::new(),
            unread: Mutex::new(BTreeMap::new()),
        }
    }

    /// Walks the tree once: every file `.gitignore` and `exclude` keep, sorted by path, and
    /// the `*.nix` files among them. Entries the walk cannot read are skipped and noted.
    fn files(&self) -> &(Vec<crate::diagnostic::FilePath>, Vec<crate::diagnostic::FilePath>) {
        self.files.get_or_init(|| {
            let (files, skipped) = walk_files(&self.root, &self.root, &self.config);
            for entry in skipped {
                self.note_unread(&relative_path(&self.root, &entry.path), entry.reason);
            }
            let mut all: Vec<crate::diagnostic::FilePath> = files
                .iter()
                .map(|p| crate::diagnostic::FilePath::from(relative_path(&self.root, p)))
                .collect();
            all.sort();
            let nix = all.iter().filter(|p| p.ends_with(".nix")).cloned().collect();
            (all, nix)
        })
    }

    /// Records that `path` was not read, for a diagnostic; a missing file is no news.
    pub fn note_unread(&self, path: &str, reason: Unread) {
        if reason == Unread::Missing {
            return;
        }
        if let Ok(mut unread) = self.unread.lock() {
            unread.entry(path.to_string()).or_insert(reason);
        }
    }

    fn read_noting(&self, path: &str, limit: u64) -> Option<Vec<u8>> {
        match read_confined(&self.canonical, path, limit) {
            Ok(bytes) => Some(bytes),
            Err(reason) => {
                self.note_unread(path, reason);
                None
            }
        }
    }
}

impl crate::project::FileSource for DiskSource {
    fn read(&self, path: &str) -> Option<SourceFile> {
        let bytes = self.read_noting(path, MAX_FILE_BYTES)?;
        Some(SourceFile::from_bytes(path, bytes))
    }

    fn read_bytes(&self, path: &str) -> Option<Vec<u8>> {
        self.read_noting(path, MAX_FILE_BYTES)
    }

    fn read_bytes_within(&self, path: &str, limit: u64) -> Option<Vec<u8>> {
        match read_confined(&self.canonical, path, limit.min(MAX_FILE_BYTES)) {
            Ok(bytes) => Some(bytes),
            // Larger than the caller wants: not news, the caller skips such files.
            Err(Unread::TooLarge { .. }) => None,
            Err(reason) => {
                self.note_unread(path, reason);
                None
            }
        }
    }

    /// What is there; something that exists but cannot be read (a link leaving the
    /// repository, a FIFO) is a file, so that rules do not call it missing.
    fn kind(&self, path: &str) -> Option<crate::project::EntryKind> {
        match resolve_confined(&self.canonical, path) {
            Ok((_, meta)) if meta.is_dir() => Some(crate::project::EntryKind::Dir),
            Ok(_) => Some(crate::project::EntryKind::File),
            Err(Unread::Missing | Unread::Unreadable { .. }) => None,
            Err(_) => Some(crate::project::EntryKind::File),
        }
    }

    fn list_dir(&self, path: &str) -> Option<Vec<(String, crate::project::EntryKind)>> {
        let (dir, meta) = resolve_confined(&self.canonical, path).ok()?;
        if !meta.is_dir() {
            return None;
        }
        let mut out = Vec::new();
        for entry in fs::read_dir(dir).ok()? {
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

    /// Reads the git index once (never running git: a repository's configuration could
    /// make git run a command); no index, no answer.
    fn is_tracked(&self, path: &str) -> Option<bool> {
        let tracked = self
            .tracked
            .get_or_init(|| crate::git_index::tracked_under(&self.canonical));
        tracked.as_ref().map(|t| t.contains(path))
    }

    fn nix_files(&self) -> Vec<crate::diagnostic::FilePath> {
        self.files().1.clone()
    }

    fn unread(&self) -> Vec<(crate::diagnostic::FilePath, String)> {
        self.unread
            .lock()
            .map(|u| {
                u.iter()
                    .map(|(p, r)| (crate::diagnostic::FilePath::from(p.as_str()), r.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_belongs_to_the_nearest_flake_or_config_above_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("repo");
        fs::create_dir_all(root.join("hosts/a")).expect("mkdir");
        fs::write(root.join("flake.nix"), "{ }").expect("write");
        let file = root.join("hosts/a/configuration.nix");
        assert_eq!(project_root_for_file(&file), Some(root.clone()));

        let configured = dir.path().join("configured");
        fs::create_dir_all(configured.join("sub")).expect("mkdir");
        fs::write(configured.join(CONFIG_FILE), "").expect("write");
        assert_eq!(
            project_root_for_file(&configured.join("sub/unsaved.nix")),
            Some(configured)
        );
    }

    #[test]
    fn a_loose_file_has_no_project() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("loose.nix"), "{ }").expect("write");
        // A directory named flake.nix is not a marker.
        fs::create_dir(dir.path().join("flake.nix")).expect("mkdir");
        // The temporary directory may itself sit under a project on a developer's machine;
        // the answer must then be that project, never the loose file's directory.
        let found = project_root_for_file(&dir.path().join("loose.nix"));
        assert_ne!(found.as_deref(), Some(dir.path()));
    }
}
