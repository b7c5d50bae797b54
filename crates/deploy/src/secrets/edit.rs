//! The plaintext side of `secrets edit`: a 0600 file in a private (0700) temp directory,
//! the user's `$EDITOR` on it, and a wipe of everything in that directory on every exit.
//!
//! While a session is open, SIGINT/SIGTERM/SIGHUP/SIGQUIT only set a flag (the editor,
//! started after the handlers, gets the default actions back on exec), so Ctrl-C ends
//! the editor but never skips the wipe; the caller then gives up without writing.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("cannot create a private temp directory in {dir}: {source}")]
    TempDir { dir: PathBuf, source: io::Error },
    #[error("temp file for editing: {0}")]
    TempFile(io::Error),
    #[error("cannot start the editor `{editor}`: {source} (set EDITOR to your editor's command)")]
    Spawn { editor: String, source: io::Error },
    #[error("the editor `{editor}` {status}")]
    EditorFailed { editor: String, status: String },
    #[error("interrupted")]
    Interrupted,
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn note_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

const CAUGHT: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// Catches the terminating signals until dropped (then restores the old actions).
pub struct SignalGuard {
    old: Vec<(libc::c_int, libc::sigaction)>,
}

impl SignalGuard {
    pub fn install() -> SignalGuard {
        INTERRUPTED.store(false, Ordering::SeqCst);
        let mut old = Vec::new();
        for sig in CAUGHT {
            // SAFETY: the handler only stores to an atomic (async-signal-safe); no
            // SA_RESTART, so a blocking read in `ask_to_retry` returns on Ctrl-C.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = note_signal as *const () as libc::sighandler_t;
                libc::sigemptyset(&mut action.sa_mask);
                action.sa_flags = 0;
                let mut previous: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &action, &mut previous) == 0 {
                    old.push((sig, previous));
                }
            }
        }
        SignalGuard { old }
    }

    pub fn interrupted(&self) -> bool {
        INTERRUPTED.load(Ordering::SeqCst)
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        for (sig, previous) in &self.old {
            // SAFETY: restores an action returned by sigaction above.
            unsafe {
                libc::sigaction(*sig, previous, std::ptr::null_mut());
            }
        }
    }
}

/// The plaintext on disk while the editor runs. Dropping it overwrites every
/// file in the private directory (the editor's swap and backup files too) with
/// zeros and removes the directory.
pub struct EditSession {
    dir: PathBuf,
    file: PathBuf,
}

/// Where the private directory goes: `$XDG_RUNTIME_DIR` (per user, in memory on
/// systemd systems) when set, else the system temp directory (`$TMPDIR`, `/tmp`).
pub fn temp_base() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(d) if d.is_absolute() && d.is_dir() => d,
        _ => std::env::temp_dir(),
    }
}

impl EditSession {
    /// Writes `text` to `<base>/nixpilot-edit-XXXX/<file_name>` (directory 0700, file 0600).
    /// The name keeps the extension so the editor picks the right syntax.
    pub fn create(base: &Path, file_name: &OsString, text: &[u8]) -> Result<EditSession, EditError> {
        let dir = tempfile::Builder::new()
            .prefix("nixpilot-edit-")
            .permissions(fs::Permissions::from_mode(0o700))
            .tempdir_in(base)
            .map_err(|source| EditError::TempDir {
                dir: base.to_path_buf(),
                source,
            })?
            // Removal is ours (with the wipe), not tempfile's.
            .keep();
        let session = EditSession {
            file: dir.join(file_name),
            dir,
        };
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&session.file)
            .map_err(EditError::TempFile)?;
        f.write_all(text)
            .and_then(|()| f.sync_all())
            .map_err(EditError::TempFile)?;
        Ok(session)
    }

    pub fn path(&self) -> &Path {
        &self.file
    }

    /// Runs `editor FILE` through `sh -c` (so `EDITOR="code --wait"` works, as in git)
    /// and waits for it. A caught signal ends the editor (SIGTERM, then SIGKILL), so the
    /// plaintext is wiped now rather than whenever someone closes an editor left running.
    pub fn run_editor(&self, editor: &str, signals: &SignalGuard) -> Result<(), EditError> {
        let mut command = Command::new("sh");
        crate::pipeline::process::without_age_keys(&mut command);
        let mut child = command
            .arg("-c")
            .arg(format!("{editor} \"$@\""))
            .arg(editor)
            .arg(&self.file)
            .spawn()
            .map_err(|source| EditError::Spawn {
                editor: editor.to_string(),
                source,
            })?;
        let status = loop {
            if signals.interrupted() {
                crate::pipeline::process::stop_tree(&mut child);
                return Err(EditError::Interrupted);
            }
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => std::thread::sleep(std::time::Duration::from_millis(50)),
                Err(source) => {
                    return Err(EditError::Spawn {
                        editor: editor.to_string(),
                        source,
                    })
                }
            }
        };
        if signals.interrupted() {
            return Err(EditError::Interrupted);
        }
        if !status.success() {
            let status = match status.code() {
                Some(127) => "was not found (exit status 127); set EDITOR to your editor's command".to_string(),
                Some(c) => format!("exited with status {c}"),
                None => "was killed by a signal".to_string(),
            };
            return Err(EditError::EditorFailed {
                editor: editor.to_string(),
                status,
            });
        }
        Ok(())
    }

    /// The file as the editor left it.
    pub fn read(&self) -> Result<Zeroizing<Vec<u8>>, EditError> {
        let mut buf = Zeroizing::new(Vec::new());
        File::open(&self.file)
            .and_then(|mut f| f.read_to_end(&mut buf))
            .map_err(EditError::TempFile)?;
        Ok(buf)
    }
}

impl Drop for EditSession {
    fn drop(&mut self) {
        wipe_dir(&self.dir);
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Overwrites every regular file below `dir` with zeros (symlinks are not followed).
fn wipe_dir(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            wipe_dir(&path);
        } else if meta.is_file() {
            if let Ok(mut f) = OpenOptions::new().write(true).open(&path) {
                let zeros = [0u8; 8192];
                let mut left = meta.len();
                while left > 0 {
                    let n = left.min(zeros.len() as u64) as usize;
                    if f.write_all(&zeros[..n]).is_err() {
                        break;
                    }
                    left -= n as u64;
                }
                let _ = f.sync_all();
            }
        }
    }
}

/// Shows `message` and asks on the terminal whether to go back to the editor.
/// Returns false on Ctrl-C, end of input or `n`.
pub fn ask_to_retry(message: &str, signals: &SignalGuard) -> bool {
    let mut err = io::stderr();
    let _ = write!(
        err,
        "{message}\nPress Enter to return to the editor, or Ctrl-C (or n, Enter) to discard your changes: "
    );
    let _ = err.flush();
    let mut answer = Vec::new();
    loop {
        let mut byte = 0u8;
        // A raw read: std's line reading retries on EINTR, which would swallow Ctrl-C.
        // SAFETY: reads one byte into a valid buffer.
        let n = unsafe { libc::read(0, (&mut byte as *mut u8).cast(), 1) };
        if signals.interrupted() || n <= 0 {
            let _ = writeln!(err);
            return false;
        }
        if byte == b'\n' {
            break;
        }
        answer.push(byte);
    }
    !matches!(answer.trim_ascii(), b"n" | b"N" | b"no")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_file_is_wiped_and_removed() {
        let base = tempfile::tempdir().expect("tempdir");
        let s = EditSession::create(base.path(), &OsString::from("s.yaml"), b"a: secret\n").expect("session");
        let dir = s.path().parent().expect("dir").to_path_buf();
        assert_eq!(fs::metadata(&dir).expect("dir").permissions().mode() & 0o777, 0o700);
        assert_eq!(
            fs::metadata(s.path()).expect("file").permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(s.path().file_name(), Some(std::ffi::OsStr::new("s.yaml")));
        // An editor's swap file is wiped too.
        fs::write(dir.join(".s.yaml.swp"), b"secret").expect("swap");
        let signals = SignalGuard::install();
        s.run_editor("sed -i s/secret/changed/", &signals).expect("editor runs");
        assert_eq!(&s.read().expect("read")[..], b"a: changed\n");
        drop(s);
        assert!(!dir.exists());
        assert_eq!(fs::read_dir(base.path()).expect("ls").count(), 0);
    }

    #[test]
    fn failing_editor_is_an_error() {
        let base = tempfile::tempdir().expect("tempdir");
        let s = EditSession::create(base.path(), &OsString::from("s.env"), b"A=1\n").expect("session");
        let signals = SignalGuard::install();
        let e = s.run_editor("false", &signals).expect_err("fails");
        assert_eq!(e.to_string(), "the editor `false` exited with status 1");
        let e = s.run_editor("/nonexistent/editor", &signals).expect_err("fails");
        assert!(e.to_string().contains("was not found"), "{e}");
    }
}
