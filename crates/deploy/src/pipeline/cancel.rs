//! Terminating signals as a flag: the first SIGINT, SIGTERM, SIGHUP or SIGQUIT asks every pipeline
//! to stop (children are ended, cleanups run); a second one exits at once, after the same cleanup.
//!
//! The second signal is for a cleanup that hangs, but it must not leave what the cleanup was for:
//! the handler itself SIGKILLs the process groups of the running children and removes the secret
//! files registered with [`SecretPaths`], using only async-signal-safe calls (kill, unlink, rmdir).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicUsize, Ordering};
use std::sync::Arc;

/// A cancellation flag shared by the steps of one or more pipelines.
#[derive(Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    pub fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst) || SIGNALS.load(Ordering::SeqCst) > 0
    }
}

/// The signals a pipeline command catches: the terminal's Ctrl-C and Ctrl-\, `kill`, a closed
/// terminal or SSH session.
pub const CAUGHT: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// Signals seen since `install_signal_handlers`, and the first of them (for the exit code);
/// statics because a signal handler can only touch async-signal-safe state.
static SIGNALS: AtomicUsize = AtomicUsize::new(0);
static FIRST_SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Process groups of running children (0: free slot), for the second signal to kill.
const CHILD_SLOTS: usize = 64;
static CHILD_GROUPS: [AtomicI32; CHILD_SLOTS] = [const { AtomicI32::new(0) }; CHILD_SLOTS];

/// Files and directories holding secrets (null: free slot), for the second signal to remove.
/// The C strings are leaked on purpose: freeing one while the handler reads it would be worse.
const SECRET_SLOTS: usize = 32;
static SECRET_PATHS: [AtomicPtr<libc::c_char>; SECRET_SLOTS] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; SECRET_SLOTS];

extern "C" fn on_signal(signal: libc::c_int) {
    let _ = FIRST_SIGNAL.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
    if SIGNALS.fetch_add(1, Ordering::SeqCst) >= 1 {
        exit_now();
    }
}

/// The second signal: what the interrupted cleanup would have done, then `_exit`.
fn exit_now() -> ! {
    for slot in &CHILD_GROUPS {
        let group = slot.load(Ordering::SeqCst);
        if group > 0 {
            // SAFETY: kill(2) is async-signal-safe; the group is one we created and still track.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
    }
    // Files first, then their directories, innermost first: a few passes cover the nesting
    // without the handler knowing the order they were registered in.
    for _ in 0..4 {
        for slot in &SECRET_PATHS {
            let path = slot.load(Ordering::SeqCst);
            if !path.is_null() {
                // SAFETY: unlink and rmdir are async-signal-safe; `path` is a leaked C string.
                unsafe {
                    libc::unlink(path);
                    libc::rmdir(path);
                }
            }
        }
    }
    // SAFETY: _exit is async-signal-safe.
    unsafe { libc::_exit(exit_code().into()) }
}

/// The exit code for a run stopped by a signal: 128 + the first signal, as a shell reports a
/// process killed by it (130 for Ctrl-C, also when no signal came and the flag was set).
pub fn exit_code() -> u8 {
    match FIRST_SIGNAL.load(Ordering::SeqCst) {
        s @ 1..=127 => 128 + s as u8,
        _ => 130,
    }
}

/// What stopped the run, for `interrupted (…)` messages.
pub fn stopped_by() -> &'static str {
    match FIRST_SIGNAL.load(Ordering::SeqCst) {
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        libc::SIGQUIT => "SIGQUIT",
        _ => "Ctrl-C",
    }
}

/// Makes SIGINT, SIGTERM, SIGHUP and SIGQUIT set every `Cancel` flag instead of killing the
/// process, so cleanups run and children are ended. Children are started in their own process
/// group (see `process`), so the terminal's signals reach only nixpilot, which stops them itself.
pub fn install_signal_handlers() {
    for signal in CAUGHT {
        // SAFETY: the handler only touches atomics and async-signal-safe calls. SA_RESTART keeps
        // blocking calls going; every wait in the pipeline polls the flag.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            action.sa_flags = libc::SA_RESTART;
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// A running child's process group, known to the second-signal handler until dropped.
pub(crate) struct ChildGroup(Option<usize>);

impl ChildGroup {
    pub(crate) fn track(group: libc::pid_t) -> ChildGroup {
        let slot = CHILD_GROUPS
            .iter()
            .position(|s| s.compare_exchange(0, group, Ordering::SeqCst, Ordering::SeqCst).is_ok());
        ChildGroup(slot)
    }
}

impl Drop for ChildGroup {
    fn drop(&mut self) {
        if let Some(i) = self.0 {
            CHILD_GROUPS[i].store(0, Ordering::SeqCst);
        }
    }
}

/// Paths of secret files (and the directories holding them) that a second signal removes even
/// when the cleanup that normally removes them is cut short. Forgotten when dropped.
#[derive(Default)]
pub struct SecretPaths(Vec<usize>);

impl SecretPaths {
    pub fn new() -> SecretPaths {
        SecretPaths::default()
    }

    /// Registers `path`; `false` when every slot is taken (the normal cleanup still removes it).
    pub fn add(&mut self, path: &Path) -> bool {
        let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
            return false;
        };
        let raw = c.into_raw();
        let slot = SECRET_PATHS.iter().position(|s| {
            s.compare_exchange(std::ptr::null_mut(), raw, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        });
        match slot {
            Some(i) => {
                self.0.push(i);
                true
            }
            None => {
                // SAFETY: `raw` came from `into_raw` above and was never shared.
                drop(unsafe { CString::from_raw(raw) });
                false
            }
        }
    }
}

impl Drop for SecretPaths {
    fn drop(&mut self) {
        for &i in &self.0 {
            SECRET_PATHS[i].store(std::ptr::null_mut(), Ordering::SeqCst);
        }
    }
}
