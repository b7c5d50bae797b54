//! Ctrl-C as a flag: the first SIGINT asks every pipeline to stop (children are killed, cleanups
//! run); a second one exits at once, for when a cleanup itself hangs.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
        self.0.load(Ordering::SeqCst) || SIGINTS.load(Ordering::SeqCst) > 0
    }
}

/// SIGINTs seen since `install_sigint_handler`; a static because a signal handler can only
/// touch async-signal-safe state.
static SIGINTS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_sigint(_: libc::c_int) {
    if SIGINTS.fetch_add(1, Ordering::SeqCst) >= 1 {
        // SAFETY: _exit is async-signal-safe; 130 is the shell's code for "killed by SIGINT".
        unsafe { libc::_exit(130) };
    }
}

/// Makes Ctrl-C set every `Cancel` flag instead of killing the process, so cleanups run.
/// Children are started in their own process group (see `process`), so the terminal's
/// SIGINT reaches only nixpilot, which stops them itself.
pub fn install_sigint_handler() {
    // SAFETY: the handler only touches an atomic and calls _exit.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
}
