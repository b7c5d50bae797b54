//! Where pipeline events go: plain labelled lines (logs, CI, pipes) here; a terminal UI or LSP
//! `$/progress` implements the same trait.

use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Something that happened in a pipeline, labelled by the caller with its host.
#[derive(Debug, Clone)]
pub enum Event {
    StepStarted {
        index: usize,
        total: usize,
        name: String,
    },
    StepFinished {
        index: usize,
        name: String,
        ok: bool,
        elapsed: Duration,
    },
    /// A command is about to run (its command line; never holds a secret).
    Command {
        line: String,
    },
    /// A line a command printed.
    Output {
        stream: Stream,
        line: String,
    },
    /// Free-form progress ("waiting for …", "rolling back to …").
    Progress {
        message: String,
    },
}

/// Receives events from every pipeline of a run, possibly from several threads at once.
pub trait EventSink: Send + Sync {
    fn event(&self, host: &str, event: &Event);
}

/// One line per event, prefixed with the host, for anything that is not a terminal.
pub struct PlainSink<W: Write + Send> {
    out: Mutex<W>,
}

impl<W: Write + Send> PlainSink<W> {
    pub fn new(out: W) -> PlainSink<W> {
        PlainSink { out: Mutex::new(out) }
    }

    pub fn into_inner(self) -> W {
        match self.out.into_inner() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

impl<W: Write + Send> EventSink for PlainSink<W> {
    fn event(&self, host: &str, event: &Event) {
        let line = match event {
            Event::StepStarted { index, total, name } => format!("[{host}] ({index}/{total}) {name}"),
            Event::StepFinished { name, ok, elapsed, .. } => {
                format!(
                    "[{host}] {name} {} ({:.1}s)",
                    if *ok { "done" } else { "FAILED" },
                    elapsed.as_secs_f64()
                )
            }
            Event::Command { line } => format!("[{host}] $ {line}"),
            Event::Output { line, .. } => format!("[{host}]   {line}"),
            Event::Progress { message } => format!("[{host}] {message}"),
        };
        // One lock per line keeps lines of parallel hosts whole.
        if let Ok(mut out) = self.out.lock() {
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }
}
