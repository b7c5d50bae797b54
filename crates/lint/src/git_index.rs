//! Which files git tracks, read from the index file itself (formats 2, 3 and 4). No git
//! process runs, so nothing a repository configures (fsmonitor, hooks, a worktree) can run.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The largest index read: a million-file work tree's index is about 100 MiB.
pub const MAX_INDEX_BYTES: u64 = 256 << 20;

/// The paths one index lists, relative to the top of its work tree.
#[derive(Debug, Default)]
pub struct TrackedFiles {
    files: HashSet<String>,
    /// Directories a sparse index keeps as one entry: every path under them is tracked.
    sparse_dirs: Vec<String>,
}

impl TrackedFiles {
    /// Whether `path` (relative to the top of the work tree, `/`-separated) is in the index.
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains(path)
            || self
                .sparse_dirs
                .iter()
                .any(|d| path.strip_prefix(d.as_str()).is_some_and(|rest| rest.starts_with('/')))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.sparse_dirs.is_empty()
    }
}

/// Why an index could not be used (the answer is then "unknown", never a guess).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    #[error("not a git index (no DIRC signature)")]
    Signature,
    #[error("git index version {0} is not supported")]
    Version(u32),
    #[error("git index truncated or malformed")]
    Malformed,
    #[error("a split index keeps its entries in another file")]
    Split,
}

/// Parses an index file. The object format (SHA-1 or SHA-256) is not stated in the file: the
/// entries are read with each hash length in turn, and only a reading that ends exactly at
/// the trailing checksum is taken.
pub fn parse(bytes: &[u8]) -> Result<TrackedFiles, IndexError> {
    if bytes.len() < 12 || &bytes[..4] != b"DIRC" {
        return Err(IndexError::Signature);
    }
    let version = be32(bytes, 4).ok_or(IndexError::Malformed)?;
    if !(2..=4).contains(&version) {
        return Err(IndexError::Version(version));
    }
    let count = be32(bytes, 8).ok_or(IndexError::Malformed)?;
    let mut last = IndexError::Malformed;
    for hash_len in [20, 32] {
        match parse_entries(bytes, version, count, hash_len) {
            Ok(tracked) => return Ok(tracked),
            Err(IndexError::Split) => return Err(IndexError::Split),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn parse_entries(bytes: &[u8], version: u32, count: u32, hash_len: usize) -> Result<TrackedFiles, IndexError> {
    let bad = IndexError::Malformed;
    // ctime, mtime (seconds, nanoseconds), dev, ino, mode, uid, gid, size: ten 32-bit fields.
    let stat_len = 40;
    let end = bytes.len().checked_sub(hash_len).ok_or(IndexError::Malformed)?;
    let mut tracked = TrackedFiles::default();
    let mut pos = 12usize;
    let mut name: Vec<u8> = Vec::new();
    for _ in 0..count {
        let mode = be32(bytes, pos + 24).ok_or(IndexError::Malformed)?;
        let flags = be16(bytes, pos + stat_len + hash_len).ok_or(IndexError::Malformed)?;
        let mut header = stat_len + hash_len + 2;
        if flags & 0x4000 != 0 {
            if version < 3 {
                return Err(bad);
            }
            header += 2;
        }
        let name_start = pos + header;
        if name_start > end {
            return Err(bad);
        }
        if version == 4 {
            // The name is the previous one less `strip` bytes at its end, plus a suffix.
            let (strip, used) = varint(&bytes[name_start..end]).ok_or(IndexError::Malformed)?;
            let keep = name.len().checked_sub(strip).ok_or(IndexError::Malformed)?;
            name.truncate(keep);
            let suffix = name_start + used;
            let nul =
                memchr::memchr(0, bytes.get(suffix..end).ok_or(IndexError::Malformed)?).ok_or(IndexError::Malformed)?;
            name.extend_from_slice(&bytes[suffix..suffix + nul]);
            pos = suffix + nul + 1;
        } else {
            let nul = memchr::memchr(0, &bytes[name_start..end]).ok_or(IndexError::Malformed)?;
            name.clear();
            name.extend_from_slice(&bytes[name_start..name_start + nul]);
            // Entries are padded with 1 to 8 NULs to a multiple of 8 bytes.
            let next = pos + ((header + nul + 8) & !7);
            if next > end || bytes[name_start + nul..next].iter().any(|b| *b != 0) {
                return Err(bad);
            }
            pos = next;
        }
        let stated = usize::from(flags & 0x0fff);
        if name.is_empty() || (stated != 0x0fff && stated != name.len()) {
            return Err(bad);
        }
        let path = String::from_utf8_lossy(&name);
        if mode & 0o170000 == 0o040000 {
            tracked.sparse_dirs.push(path.trim_end_matches('/').to_string());
        } else {
            tracked.files.insert(path.into_owned());
        }
    }
    // Extensions (tree cache, resolve-undo, …), each a signature and a length, up to the
    // checksum. `link` means the entries are split with a shared index file.
    while pos < end {
        let signature = bytes.get(pos..pos + 4).ok_or(IndexError::Malformed)?;
        let size = be32(bytes, pos + 4).ok_or(IndexError::Malformed)? as usize;
        if signature == b"link" {
            return Err(IndexError::Split);
        }
        pos = pos.checked_add(8 + size).ok_or(IndexError::Malformed)?;
    }
    if pos != end {
        return Err(bad);
    }
    Ok(tracked)
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    bytes
        .get(at..at.checked_add(4)?)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    bytes
        .get(at..at.checked_add(2)?)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
}

/// git's offset encoding: seven bits a byte, high bit set on all but the last, and one added
/// at each continuation so that every number has one encoding.
fn varint(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut used = 0;
    let mut byte = *bytes.first()?;
    used += 1;
    let mut value = u64::from(byte & 0x7f);
    while byte & 0x80 != 0 {
        byte = *bytes.get(used)?;
        used += 1;
        value = ((value + 1) << 7) | u64::from(byte & 0x7f);
        if value > u64::from(u32::MAX) {
            return None;
        }
    }
    Some((usize::try_from(value).ok()?, used))
}

/// Where the index of the work tree holding `dir` is, and `dir`'s `/`-separated path inside
/// that work tree: the nearest `.git` at or above `dir`, a directory or a `gitdir:` file (as
/// worktrees and submodules have). Configuration is never read: `core.worktree`, `GIT_DIR` and
/// the like are not honoured, so the work tree is always the directory holding `.git`.
pub fn locate(dir: &Path) -> Option<(PathBuf, String)> {
    for top in dir.ancestors() {
        let dot_git = top.join(".git");
        let Ok(meta) = std::fs::symlink_metadata(&dot_git) else {
            continue;
        };
        let git_dir = if meta.is_dir() {
            dot_git
        } else if meta.is_file() {
            let bytes = crate::vfs::read_regular_file(&dot_git, 4096).ok()?;
            let text = String::from_utf8(bytes).ok()?;
            let pointed = text.strip_prefix("gitdir:")?.trim();
            if pointed.is_empty() {
                return None;
            }
            top.join(pointed)
        } else {
            // A link named `.git`: not followed.
            return None;
        };
        let prefix = crate::vfs::relative_path(top, dir);
        return Some((git_dir.join("index"), prefix));
    }
    None
}

/// The files git tracks under `dir`, relative to `dir`; `None` when there is no usable
/// index (no checkout, a split index, a malformed file or one over `MAX_INDEX_BYTES`).
pub fn tracked_under(dir: &Path) -> Option<TrackedFiles> {
    let (index, prefix) = locate(dir)?;
    let bytes = crate::vfs::read_regular_file(&index, MAX_INDEX_BYTES).ok()?;
    let tracked = parse(&bytes).ok()?;
    if prefix.is_empty() {
        return Some(tracked);
    }
    let strip = |p: &str| -> Option<String> { p.strip_prefix(prefix.as_str())?.strip_prefix('/').map(str::to_string) };
    // A sparse directory at or above `dir` would track everything: not worth a special case.
    if tracked
        .sparse_dirs
        .iter()
        .any(|d| prefix == *d || prefix.starts_with(&format!("{d}/")))
    {
        return None;
    }
    Some(TrackedFiles {
        files: tracked.files.iter().filter_map(|p| strip(p)).collect(),
        sparse_dirs: tracked.sparse_dirs.iter().filter_map(|d| strip(d)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index as git writes it: `version`, the entries' names, hash length 20 or 32, and
    /// optional extensions.
    pub(crate) fn index(version: u32, names: &[&str], hash_len: usize, extensions: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
        let mut out = b"DIRC".to_vec();
        out.extend(version.to_be_bytes());
        out.extend((names.len() as u32).to_be_bytes());
        let mut previous: &str = "";
        for name in names {
            let start = out.len();
            let mut stat = [0u8; 40];
            let mode: u32 = if name.ends_with('/') { 0o040000 } else { 0o100644 };
            stat[24..28].copy_from_slice(&mode.to_be_bytes());
            out.extend(stat);
            out.extend(std::iter::repeat_n(0xab, hash_len));
            let len = name.len().min(0xfff) as u16;
            out.extend(len.to_be_bytes());
            if version == 4 {
                let common = previous.bytes().zip(name.bytes()).take_while(|(a, b)| a == b).count();
                out.extend(encode_varint(previous.len() - common));
                out.extend(&name.as_bytes()[common..]);
                out.push(0);
            } else {
                out.extend(name.as_bytes());
                let entry = out.len() - start;
                let padded = (entry + 8) & !7;
                out.extend(std::iter::repeat_n(0, padded - entry));
            }
            previous = name;
        }
        for (signature, data) in extensions {
            out.extend(*signature);
            out.extend((data.len() as u32).to_be_bytes());
            out.extend(data);
        }
        out.extend(std::iter::repeat_n(0xcd, hash_len));
        out
    }

    fn encode_varint(mut value: usize) -> Vec<u8> {
        let mut bytes = vec![(value & 0x7f) as u8];
        value >>= 7;
        while value > 0 {
            value -= 1;
            bytes.push(0x80 | (value & 0x7f) as u8);
            value >>= 7;
        }
        bytes.reverse();
        bytes
    }

    #[test]
    fn reads_every_version_and_hash_length() {
        let names = [
            "flake.nix",
            "hosts/a/configuration.nix",
            "hosts/a/disko.nix",
            "hosts/b/key",
        ];
        for version in [2, 3, 4] {
            for hash_len in [20, 32] {
                let bytes = index(version, &names, hash_len, &[(b"TREE", vec![1, 2, 3])]);
                let tracked = parse(&bytes).unwrap_or_else(|e| panic!("v{version}/{hash_len}: {e}"));
                assert_eq!(tracked.len(), 4, "v{version}/{hash_len}");
                for name in names {
                    assert!(tracked.contains(name), "v{version}/{hash_len}: {name}");
                }
                assert!(!tracked.contains("hosts/a"));
            }
        }
    }

    #[test]
    fn long_names_and_large_prefix_strips_are_read() {
        let long = format!("dir/{}", "x".repeat(5000));
        let names = [long.as_str(), "z"];
        for version in [2, 4] {
            let tracked = parse(&index(version, &names, 20, &[])).expect("parses");
            assert!(tracked.contains(&long) && tracked.contains("z"), "v{version}");
        }
        assert_eq!(varint(&encode_varint(5004)), Some((5004, 2)));
        assert_eq!(varint(&[0x80, 0x00]), Some((128, 2)));
    }

    #[test]
    fn sparse_directories_track_what_is_under_them() {
        let tracked = parse(&index(3, &["a.nix", "vendor/"], 20, &[])).expect("parses");
        assert!(tracked.contains("vendor/x/y.nix"));
        assert!(!tracked.contains("vendorx"));
    }

    #[test]
    fn broken_and_split_indexes_are_refused() {
        assert_eq!(parse(b"not an index").err(), Some(IndexError::Signature));
        let good = index(2, &["a", "b"], 20, &[]);
        for cut in [13, 40, 70, good.len() - 21] {
            assert!(parse(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut v5 = good.clone();
        v5[7] = 5;
        assert_eq!(parse(&v5).err(), Some(IndexError::Version(5)));
        let mut more = good.clone();
        more[11] = 200;
        assert!(parse(&more).is_err());
        let split = index(2, &["a"], 20, &[(b"link", vec![0; 20])]);
        assert_eq!(parse(&split).err(), Some(IndexError::Split));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let good = index(4, &["a/b/c", "a/b/d", "e"], 20, &[(b"TREE", vec![9; 7])]);
        for i in 0..good.len() {
            for value in [0u8, 0x7f, 0x80, 0xff] {
                let mut bytes = good.clone();
                bytes[i] = value;
                let _ = parse(&bytes);
            }
        }
    }
}
