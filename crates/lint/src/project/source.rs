//! Where the project model gets its texts: a `FileSource` (disk for the CLI, editor buffers
//! over disk for the language server, memory for tests). The model itself does no IO.

use std::collections::BTreeMap;

use crate::diagnostic::FilePath;
use crate::source::SourceFile;

/// What a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    File,
    Dir,
}

/// Read-only access to the files of one project, by `/`-separated path relative to its root
/// (`""` is the root itself).
pub trait FileSource: Sync {
    /// The file's text; `None` when it does not exist, is a directory or cannot be read.
    fn read(&self, path: &str) -> Option<SourceFile>;

    /// The file parsed, for the project model. A source that keeps trees between runs (the
    /// language server's) returns its copy when the text is unchanged.
    fn parsed(&self, path: &str) -> Option<std::sync::Arc<crate::project::ParsedFile>> {
        self.read(path)
            .map(|s| std::sync::Arc::new(crate::project::ParsedFile::parse(s)))
    }

    /// The file's bytes, for scans that only look for ASCII markers (no UTF-8 check, no
    /// line index).
    fn read_bytes(&self, path: &str) -> Option<Vec<u8>> {
        self.read(path).map(|s| s.text.as_bytes().to_vec())
    }

    /// `read_bytes` for a file wanted only when it has at most `limit` bytes: a larger one is
    /// `None` and, on disk, never read.
    fn read_bytes_within(&self, path: &str, limit: u64) -> Option<Vec<u8>> {
        self.read_bytes(path).filter(|b| b.len() as u64 <= limit)
    }

    /// Files the analysis wanted but did not read, each with why (a link leaving the
    /// repository, not a regular file, too large, unreadable), for an `unread-file` warning.
    fn unread(&self) -> Vec<(FilePath, String)> {
        Vec::new()
    }

    fn kind(&self, path: &str) -> Option<EntryKind>;
    /// Names of the direct children of a directory, sorted; `None` when it is not one.
    fn list_dir(&self, path: &str) -> Option<Vec<(String, EntryKind)>>;
    /// Every Nix file of the project that is not ignored, sorted.
    fn nix_files(&self) -> Vec<FilePath>;

    /// Every file of the project that is not ignored (any type), sorted.
    fn all_files(&self) -> Vec<FilePath>;

    /// Whether git tracks the file; `None` when that cannot be known (no git checkout).
    fn is_tracked(&self, _path: &str) -> Option<bool> {
        None
    }

    fn exists(&self, path: &str) -> bool {
        self.kind(path).is_some()
    }
}

/// Files held in memory: tests, fuzzing, and the fixture helper below.
#[derive(Debug, Clone, Default)]
pub struct MemorySource {
    files: BTreeMap<String, String>,
}

impl MemorySource {
    pub fn new() -> MemorySource {
        MemorySource::default()
    }

    pub fn insert(&mut self, path: &str, text: &str) {
        self.files
            .insert(path.trim_start_matches('/').to_string(), text.to_string());
    }

    /// Builds a repository from one string: each file starts with a line `//- /path`.
    ///
    /// ```
    /// let src = nixpilot_lint::project::MemorySource::from_fixture(
    ///     "//- /flake.nix\n{ outputs = _: { }; }\n//- /hosts/a/configuration.nix\n{ }\n",
    /// );
    /// assert!(src.files().any(|(p, _)| p == "hosts/a/configuration.nix"));
    /// ```
    pub fn from_fixture(fixture: &str) -> MemorySource {
        let mut source = MemorySource::new();
        let mut current: Option<(String, String)> = None;
        for line in fixture.split_inclusive('\n') {
            if let Some(path) = line.strip_prefix("//- ") {
                if let Some((p, t)) = current.take() {
                    source.insert(&p, &t);
                }
                current = Some((path.trim().to_string(), String::new()));
            } else if let Some((_, text)) = current.as_mut() {
                text.push_str(line);
            }
        }
        if let Some((p, t)) = current {
            source.insert(&p, &t);
        }
        source
    }

    pub fn files(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files.iter().map(|(p, t)| (p.as_str(), t.as_str()))
    }
}

impl FileSource for MemorySource {
    fn read(&self, path: &str) -> Option<SourceFile> {
        self.files.get(path).map(|t| SourceFile::new(path, t.as_str()))
    }

    fn kind(&self, path: &str) -> Option<EntryKind> {
        if self.files.contains_key(path) {
            return Some(EntryKind::File);
        }
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        self.files
            .keys()
            .any(|k| k.starts_with(&prefix))
            .then_some(EntryKind::Dir)
    }

    fn list_dir(&self, path: &str) -> Option<Vec<(String, EntryKind)>> {
        if self.kind(path) != Some(EntryKind::Dir) {
            return None;
        }
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        let mut out: BTreeMap<String, EntryKind> = BTreeMap::new();
        for key in self.files.keys() {
            let Some(rest) = key.strip_prefix(&prefix) else {
                continue;
            };
            match rest.split_once('/') {
                Some((dir, _)) => out.insert(dir.to_string(), EntryKind::Dir),
                None => out.insert(rest.to_string(), EntryKind::File),
            };
        }
        Some(out.into_iter().collect())
    }

    fn nix_files(&self) -> Vec<FilePath> {
        self.files
            .keys()
            .filter(|k| k.ends_with(".nix"))
            .map(|k| FilePath::from(k.as_str()))
            .collect()
    }

    fn all_files(&self) -> Vec<FilePath> {
        self.files.keys().map(|k| FilePath::from(k.as_str())).collect()
    }

    /// Fixtures say which files git tracks with a `.git-tracked` file listing them.
    fn is_tracked(&self, path: &str) -> Option<bool> {
        let list = self.files.get(".git-tracked")?;
        Some(list.lines().any(|l| l.trim() == path))
    }
}

/// Joins a relative path onto a directory and normalises `.` and `..`; `None` when it climbs
/// above the project root.
pub fn join(dir: &str, relative: &str) -> Option<String> {
    let mut parts: Vec<&str> = if relative.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The directory part of a relative path (`""` for a file at the root).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// A source whose files are replaced by newer texts where given (unsaved editor buffers,
/// files changed by `--fix` but not yet written).
pub struct OverlaySource<'a> {
    pub base: &'a dyn FileSource,
    pub overlay: BTreeMap<String, SourceFile>,
}

impl FileSource for OverlaySource<'_> {
    fn read(&self, path: &str) -> Option<SourceFile> {
        self.overlay.get(path).cloned().or_else(|| self.base.read(path))
    }

    fn parsed(&self, path: &str) -> Option<std::sync::Arc<crate::project::ParsedFile>> {
        match self.overlay.get(path) {
            Some(file) => Some(std::sync::Arc::new(crate::project::ParsedFile::parse(file.clone()))),
            None => self.base.parsed(path),
        }
    }

    fn read_bytes(&self, path: &str) -> Option<Vec<u8>> {
        match self.overlay.get(path) {
            Some(file) => Some(file.text.as_bytes().to_vec()),
            None => self.base.read_bytes(path),
        }
    }

    fn read_bytes_within(&self, path: &str, limit: u64) -> Option<Vec<u8>> {
        match self.overlay.get(path) {
            Some(file) => Some(file.text.as_bytes().to_vec()).filter(|b| b.len() as u64 <= limit),
            None => self.base.read_bytes_within(path, limit),
        }
    }

    fn unread(&self) -> Vec<(FilePath, String)> {
        self.base
            .unread()
            .into_iter()
            .filter(|(p, _)| !self.overlay.contains_key(&**p))
            .collect()
    }

    fn kind(&self, path: &str) -> Option<EntryKind> {
        if self.overlay.contains_key(path) {
            return Some(EntryKind::File);
        }
        self.base.kind(path)
    }

    fn list_dir(&self, path: &str) -> Option<Vec<(String, EntryKind)>> {
        self.base.list_dir(path)
    }

    fn all_files(&self) -> Vec<FilePath> {
        self.base.all_files()
    }

    fn is_tracked(&self, path: &str) -> Option<bool> {
        self.base.is_tracked(path)
    }

    fn nix_files(&self) -> Vec<FilePath> {
        let mut files = self.base.nix_files();
        for path in self.overlay.keys().filter(|p| p.ends_with(".nix")) {
            if !files.iter().any(|f| &**f == path) {
                files.push(FilePath::from(path.as_str()));
            }
        }
        files.sort();
        files
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_builds_a_tree() {
        let src = MemorySource::from_fixture("//- /a/b.nix\n1\n//- /a/c/d.nix\n2\n//- /e\n");
        assert_eq!(src.read("a/b.nix").unwrap().text.as_ref(), "1\n");
        assert_eq!(src.kind("a"), Some(EntryKind::Dir));
        assert_eq!(src.kind("a/c/d.nix"), Some(EntryKind::File));
        assert_eq!(
            src.list_dir("a").unwrap(),
            vec![("b.nix".into(), EntryKind::File), ("c".into(), EntryKind::Dir)]
        );
        assert_eq!(src.nix_files().len(), 2);
    }

    #[test]
    fn joins_relative_paths() {
        assert_eq!(join("hosts/a", "../../users/x").as_deref(), Some("users/x"));
        assert_eq!(join("hosts/a", "./disko.nix").as_deref(), Some("hosts/a/disko.nix"));
        assert_eq!(join("hosts", "../../x"), None);
    }
}
