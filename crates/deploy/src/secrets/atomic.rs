//! Safe writes of secret files: a lock file stops two writers on one file, and
//! the new contents go to a temp file in the same directory, fsynced, then renamed.
//! Neither follows a symbolic link: a repository may carry one where they are made.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt;

/// Mode of newly created secret files.
pub const NEW_FILE_MODE: u32 = 0o600;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path} is being written by another process (lock file {lock})")]
    Locked { path: PathBuf, lock: PathBuf },
    #[error(
        "the lock file {lock} is a symbolic link or not a regular file; nixpilot does not follow it \
         (it could point outside the repository). Remove it and try again"
    )]
    NotAFile { lock: PathBuf },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An exclusive lock on one secret file, held until dropped. The lock file
/// `.<name>.lock` sits beside it and is removed on release.
#[derive(Debug)]
pub struct WriteLock {
    target: PathBuf,
    lock_path: PathBuf,
    file: File,
}

pub fn lock_path_for(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.lock"))
}

impl WriteLock {
    /// Takes the lock or fails at once (a second writer should not wait on an
    /// editor session that may last minutes).
    pub fn acquire(target: &Path) -> Result<WriteLock, WriteError> {
        let lock_path = lock_path_for(target);
        loop {
            // O_NOFOLLOW: a committed `.<name>.lock` link must not make us create or touch
            // its target; O_NONBLOCK: a FIFO there must not hang the open.
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .mode_0600()
                .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
                .open(&lock_path)
                .map_err(|e| match e.raw_os_error() {
                    Some(libc::ELOOP | libc::ENXIO) => WriteError::NotAFile {
                        lock: lock_path.clone(),
                    },
                    _ => io_err(&lock_path)(e),
                })?;
            if !file.metadata().map_err(io_err(&lock_path))?.is_file() {
                return Err(WriteError::NotAFile { lock: lock_path });
            }
            let got = FileExt::try_lock_exclusive(&file).map_err(io_err(&lock_path))?;
            if !got {
                return Err(WriteError::Locked {
                    path: target.to_path_buf(),
                    lock: lock_path,
                });
            }
            // The previous holder may have removed the file between our open
            // and our lock; then we hold a lock nobody else can see: retry.
            let ours = file.metadata().map_err(io_err(&lock_path))?;
            match fs::metadata(&lock_path) {
                Ok(now) if now.ino() == ours.ino() && now.dev() == ours.dev() => {
                    return Ok(WriteLock {
                        target: target.to_path_buf(),
                        lock_path,
                        file,
                    })
                }
                _ => continue,
            }
        }
    }

    pub fn target(&self) -> &Path {
        &self.target
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        // Remove while still holding the lock, so a waiter re-checks the inode.
        let _ = fs::remove_file(&self.lock_path);
        let _ = FileExt::unlock(&self.file);
    }
}

trait Mode0600 {
    fn mode_0600(&mut self) -> &mut Self;
}

impl Mode0600 for OpenOptions {
    fn mode_0600(&mut self) -> &mut Self {
        self.mode(0o600)
    }
}

/// Replaces the locked file's contents atomically; keeps an existing file's
/// mode, gives a new file `NEW_FILE_MODE`.
pub fn write_atomic(lock: &WriteLock, bytes: &[u8]) -> Result<(), WriteError> {
    write_atomic_with(lock, |f| f.write_all(bytes))
}

/// Like `write_atomic`, with the writing done by `fill`; if `fill` fails the
/// old file is untouched and the temp file is removed.
pub fn write_atomic_with(lock: &WriteLock, fill: impl FnOnce(&mut File) -> io::Result<()>) -> Result<(), WriteError> {
    let target = lock.target();
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mode = match fs::metadata(target) {
        Ok(m) => m.permissions().mode() & 0o7777,
        Err(e) if e.kind() == io::ErrorKind::NotFound => NEW_FILE_MODE,
        Err(e) => return Err(io_err(target)(e)),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    remove_stale_temps(&dir, &name);
    // tempfile creates the file 0600 with O_CREAT | O_EXCL, which never follows a symbolic
    // link (an existing name, link or not, is skipped for another random one), so secrets
    // never sit in a readable file or outside this directory.
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(io_err(&dir))?;
    fill(tmp.as_file_mut()).map_err(io_err(target))?;
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))
        .map_err(io_err(target))?;
    tmp.as_file().sync_all().map_err(io_err(target))?;
    tmp.persist(target).map_err(|e| io_err(target)(e.error))?;
    // Make the rename itself durable.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Temp files of a writer that was killed before its rename (`.<name>.XXXXXX.tmp`). Only a
/// writer holding the lock makes them, and the caller holds it now, so any left are stale.
fn remove_stale_temps(dir: &Path, name: &str) {
    let prefix = format!(".{name}.");
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let stale = rest
            .strip_suffix(".tmp")
            .is_some_and(|random| random.len() == 6 && random.bytes().all(|b| b.is_ascii_alphanumeric()));
        if stale && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_writer_is_refused_and_lock_is_released() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("s.yaml");
        let first = WriteLock::acquire(&target).expect("first lock");
        assert!(matches!(WriteLock::acquire(&target), Err(WriteError::Locked { .. })));
        drop(first);
        assert!(!lock_path_for(&target).exists());
        let _again = WriteLock::acquire(&target).expect("lock after release");
    }

    #[test]
    fn new_files_are_0600_and_modes_are_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("s.yaml");
        let lock = WriteLock::acquire(&target).expect("lock");
        write_atomic(&lock, b"one").expect("write");
        let mode = fs::metadata(&target).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).expect("chmod");
        write_atomic(&lock, b"two").expect("write");
        let mode = fs::metadata(&target).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(fs::read(&target).expect("read"), b"two");
    }

    #[test]
    fn interrupted_write_leaves_old_file_and_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("s.yaml");
        let lock = WriteLock::acquire(&target).expect("lock");
        write_atomic(&lock, b"old contents").expect("write");
        let r = write_atomic_with(&lock, |f| {
            f.write_all(b"half of the new")?;
            Err(io::Error::other("simulated crash"))
        });
        assert!(r.is_err());
        assert_eq!(fs::read(&target).expect("read"), b"old contents");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("ls")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }

    #[test]
    fn temps_of_a_killed_writer_are_removed_by_the_next() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("s.yaml");
        for stale in [".s.yaml.a1B2c3.tmp", ".s.yaml.zzzzzz.tmp"] {
            fs::write(dir.path().join(stale), "ENC[…]").expect("stale");
        }
        // Not ours: another file's temp, a name of another shape, the lock.
        for kept in [".t.yaml.a1B2c3.tmp", ".s.yaml.toolong1.tmp", "s.yaml.a1B2c3.tmp"] {
            fs::write(dir.path().join(kept), "x").expect("kept");
        }
        let lock = WriteLock::acquire(&target).expect("lock");
        write_atomic(&lock, b"new").expect("write");
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ".s.yaml.lock",
                ".s.yaml.toolong1.tmp",
                ".t.yaml.a1B2c3.tmp",
                "s.yaml",
                "s.yaml.a1B2c3.tmp"
            ]
        );
    }
}
