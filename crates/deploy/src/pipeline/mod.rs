//! The pipeline: steps that describe themselves (for `--dry-run`) and run (for real), with
//! their events streamed to a sink, cleanups that always run, and Ctrl-C handled between and inside steps.

pub mod cancel;
pub mod deploy;
pub mod install;
pub mod process;
pub mod repo;
pub mod sink;
pub mod ssh;
pub mod status;

use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use cancel::Cancel;
pub use sink::{Event, EventSink, PlainSink, Stream, TerminalSink};

/// Everything that can stop a step.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("`{program}` was not found on PATH: {hint}")]
    ProgramMissing { program: String, hint: &'static str },
    #[error("could not start `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` failed ({status}){}", tail_text(.tail))]
    Failed {
        command: String,
        status: String,
        tail: Vec<String>,
    },
    #[error("`{command}` timed out after {}s{}", .after.as_secs(), tail_text(.tail))]
    TimedOut {
        command: String,
        after: Duration,
        tail: Vec<String>,
    },
    /// ssh itself failed (exit 255): refused login, connection lost, …
    #[error("`{command}`: ssh could not connect, log in or stay connected{}", tail_text(.tail))]
    SshFailed { command: String, tail: Vec<String> },
    #[error("interrupted ({})", cancel::stopped_by())]
    Interrupted,
    #[error(
        "{host}: the host at {target} presented another SSH host key than the one pinned in {pinned_file}\n  \
         expected: {expected}\n  presented: {presented}\n\
         nothing was run on it. If the host was reinstalled with a new key, update {pinned_file}; \
         otherwise something else answers at that address"
    )]
    HostKeyMismatch {
        host: String,
        target: String,
        pinned_file: String,
        expected: String,
        presented: String,
    },
    #[error("{host}: {message}")]
    Host { host: String, message: String },
    #[error(
        "{host}: activation failed: {cause}\n{}",
        if *.rolled_back { "ROLLED BACK: the host runs its previous generation again" } else { "NOT rolled back" }
    )]
    ActivationFailed {
        host: String,
        cause: Box<PipelineError>,
        rolled_back: bool,
    },
    #[error("{host}: ROLLBACK FAILED after activation failed ({cause}): {rollback}; the host may run a broken configuration")]
    RollbackFailed {
        host: String,
        cause: Box<PipelineError>,
        rollback: Box<PipelineError>,
    },
}

fn tail_text(tail: &[String]) -> String {
    if tail.is_empty() {
        String::new()
    } else {
        format!("; last output:\n    {}", tail.join("\n    "))
    }
}

/// What a step sees while it runs: where events go, the Ctrl-C flag, the cleanups to run at
/// the end, and which host it works for (events are labelled with it).
pub struct Context<'a> {
    pub host: String,
    pub sink: &'a dyn EventSink,
    pub cancel: &'a Cancel,
    cleanups: Mutex<Vec<Box<dyn FnOnce() + Send + 'a>>>,
}

impl<'a> Context<'a> {
    pub fn new(host: &str, sink: &'a dyn EventSink, cancel: &'a Cancel) -> Context<'a> {
        Context {
            host: host.to_string(),
            sink,
            cancel,
            cleanups: Mutex::new(Vec::new()),
        }
    }

    pub fn emit(&self, event: Event) {
        self.sink.event(&self.host, &event);
    }

    /// A yes/no question to the user through the sink; `false` when nobody can answer.
    pub fn ask(&self, question: &str) -> bool {
        self.sink.ask(&self.host, question)
    }

    /// Registers work that must happen however the pipeline ends (success, failure, Ctrl-C):
    /// removing temporary files, mostly. Runs last-registered first.
    pub fn on_cleanup(&self, f: impl FnOnce() + Send + 'a) {
        if let Ok(mut list) = self.cleanups.lock() {
            list.push(Box::new(f));
        }
    }

    fn run_cleanups(&self) {
        let list = match self.cleanups.lock() {
            Ok(mut list) => std::mem::take(&mut *list),
            Err(_) => return,
        };
        for f in list.into_iter().rev() {
            f();
        }
    }
}

impl Drop for Context<'_> {
    fn drop(&mut self) {
        // A panic or an early return must not leave temporary files behind either.
        self.run_cleanups();
    }
}

/// One unit of work. `S` is the state the steps of one pipeline share (the built path, the
/// generation to roll back to, …).
pub trait Step<S>: Send + Sync {
    /// A short name shown in progress lines (`build`, `copy`, …).
    fn name(&self) -> &str;
    /// What the step will do, as the commands it runs; values not known before the run
    /// (the built path) appear as `<placeholders>`.
    fn describe(&self) -> Vec<String>;
    fn run(&self, state: &mut S, cx: &Context<'_>) -> Result<(), PipelineError>;
}

/// What a recovery did after a step failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// The failure came before anything on the host changed.
    NothingToUndo,
    RolledBack,
    /// Something changed but the user opted out of undoing it (`--no-rollback`).
    Skipped,
}

/// Undoes what the steps changed when one of them fails (the rollback).
pub trait Recover<S>: Send + Sync {
    fn name(&self) -> &str;
    fn describe(&self) -> Vec<String>;
    /// Whether the steps changed anything to undo (no "rollback" step is shown otherwise).
    fn needed(&self, state: &S) -> bool;
    fn recover(&self, state: &mut S, cx: &Context<'_>) -> Result<Recovery, PipelineError>;
}

/// Steps in order, and what to do when one fails. The recovery decides from the state whether
/// there is anything to undo.
pub struct Pipeline<S> {
    pub steps: Vec<Box<dyn Step<S>>>,
    pub recover: Option<Box<dyn Recover<S>>>,
}

impl<S> Pipeline<S> {
    /// The plan, one line per command, numbered by step.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            for (j, line) in step.describe().into_iter().enumerate() {
                let label = if j == 0 {
                    format!("{}. {}", i + 1, step.name())
                } else {
                    String::new()
                };
                out.push(format!("{label:14} {line}"));
            }
        }
        if let Some(r) = &self.recover {
            out.push(format!("on failure, {}:", r.name()));
            for line in r.describe() {
                out.push(format!("{:14} {line}", ""));
            }
        }
        out
    }

    /// Runs every step in order; stops at the first error (then runs the recovery, except
    /// after Ctrl-C, which stops as soon as possible) and always runs the cleanups.
    pub fn run(&self, state: &mut S, cx: &Context<'_>) -> Result<(), PipelineError> {
        let result = self.run_steps(state, cx);
        cx.run_cleanups();
        result
    }

    fn run_steps(&self, state: &mut S, cx: &Context<'_>) -> Result<(), PipelineError> {
        let total = self.steps.len();
        for (i, step) in self.steps.iter().enumerate() {
            if cx.cancel.is_set() {
                return Err(PipelineError::Interrupted);
            }
            let result = timed(cx, i + 1, total, step.name(), || step.run(state, cx));
            let Err(cause) = result else { continue };
            let Some(recover) = &self.recover else {
                return Err(cause);
            };
            if matches!(cause, PipelineError::Interrupted) || !recover.needed(state) {
                return Err(cause);
            }
            let recovery = timed(cx, i + 1, total, recover.name(), || recover.recover(state, cx));
            return Err(match recovery {
                Ok(Recovery::NothingToUndo) => cause,
                Ok(r) => PipelineError::ActivationFailed {
                    host: cx.host.clone(),
                    cause: Box::new(cause),
                    rolled_back: r == Recovery::RolledBack,
                },
                Err(rollback) => PipelineError::RollbackFailed {
                    host: cx.host.clone(),
                    cause: Box::new(cause),
                    rollback: Box::new(rollback),
                },
            });
        }
        Ok(())
    }
}

/// Runs `f` for every item, `parallel` at a time, on scoped threads; results in the items' order.
pub fn run_parallel<T: Sync, R: Send>(items: &[T], parallel: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..parallel.clamp(1, items.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                if let Ok(mut all) = results.lock() {
                    all.push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Runs `f` between a started and a finished event.
fn timed<T>(
    cx: &Context<'_>,
    index: usize,
    total: usize,
    name: &str,
    f: impl FnOnce() -> Result<T, PipelineError>,
) -> Result<T, PipelineError> {
    cx.emit(Event::StepStarted {
        index,
        total,
        name: name.to_string(),
    });
    let started = Instant::now();
    let result = f();
    cx.emit(Event::StepFinished {
        index,
        name: name.to_string(),
        ok: result.is_ok(),
        elapsed: started.elapsed(),
    });
    result
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Records every event as a line.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl EventSink for Recorder {
        fn event(&self, host: &str, event: &Event) {
            let line = match event {
                Event::StepStarted { name, .. } => format!("{host} start {name}"),
                Event::StepFinished { name, ok, .. } => format!("{host} end {name} {ok}"),
                Event::Command { line } => format!("{host} $ {line}"),
                Event::Output { line, .. } => format!("{host} > {line}"),
                Event::Progress { message } => format!("{host} : {message}"),
            };
            self.0.lock().unwrap().push(line);
        }
    }

    /// A step that records into the state and fails when told to.
    struct Mark {
        name: &'static str,
        fail: bool,
        cancel_after: bool,
    }

    impl Step<Vec<&'static str>> for Mark {
        fn name(&self) -> &str {
            self.name
        }
        fn describe(&self) -> Vec<String> {
            vec![format!("do {}", self.name), "and more".into()]
        }
        fn run(&self, state: &mut Vec<&'static str>, cx: &Context<'_>) -> Result<(), PipelineError> {
            state.push(self.name);
            if self.cancel_after {
                cx.cancel.set();
            }
            if self.fail {
                return Err(PipelineError::Host {
                    host: cx.host.clone(),
                    message: format!("{} broke", self.name),
                });
            }
            Ok(())
        }
    }

    struct Undo(Recovery);

    impl Recover<Vec<&'static str>> for Undo {
        fn name(&self) -> &str {
            "undo"
        }
        fn describe(&self) -> Vec<String> {
            vec!["undo it".into()]
        }
        fn needed(&self, _: &Vec<&'static str>) -> bool {
            true
        }
        fn recover(&self, state: &mut Vec<&'static str>, _: &Context<'_>) -> Result<Recovery, PipelineError> {
            state.push("undo");
            Ok(self.0)
        }
    }

    fn mark(name: &'static str, fail: bool) -> Box<dyn Step<Vec<&'static str>>> {
        Box::new(Mark {
            name,
            fail,
            cancel_after: false,
        })
    }

    #[test]
    fn steps_run_in_order_and_describe_numbers_them() {
        let p = Pipeline {
            steps: vec![mark("a", false), mark("b", false)],
            recover: Some(Box::new(Undo(Recovery::RolledBack))),
        };
        assert_eq!(
            p.describe(),
            vec![
                "1. a           do a",
                "               and more",
                "2. b           do b",
                "               and more",
                "on failure, undo:",
                "               undo it",
            ]
        );
        let sink = Recorder::default();
        let cancel = Cancel::new();
        let cx = Context::new("h", &sink, &cancel);
        let mut state = Vec::new();
        p.run(&mut state, &cx).unwrap();
        assert_eq!(state, ["a", "b"]);
        assert_eq!(
            *sink.0.lock().unwrap(),
            ["h start a", "h end a true", "h start b", "h end b true"]
        );
    }

    #[test]
    fn a_failure_stops_the_steps_runs_the_recovery_and_the_cleanups() {
        let cleaned = Arc::new(AtomicUsize::new(0));
        for (recovery, expect) in [
            (Recovery::RolledBack, "ROLLED BACK"),
            (Recovery::Skipped, "NOT rolled back"),
            (Recovery::NothingToUndo, "b broke"),
        ] {
            let p = Pipeline {
                steps: vec![mark("a", false), mark("b", true), mark("c", false)],
                recover: Some(Box::new(Undo(recovery))),
            };
            let sink = Recorder::default();
            let cancel = Cancel::new();
            let cx = Context::new("h", &sink, &cancel);
            let c = cleaned.clone();
            cx.on_cleanup(move || {
                c.fetch_add(1, Ordering::SeqCst);
            });
            let mut state = Vec::new();
            let err = p.run(&mut state, &cx).unwrap_err().to_string();
            assert!(err.contains(expect), "{err}");
            assert_eq!(state, ["a", "b", "undo"]);
        }
        assert_eq!(cleaned.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn ctrl_c_stops_before_the_next_step_without_recovery_but_with_cleanups() {
        let p = Pipeline {
            steps: vec![
                Box::new(Mark {
                    name: "a",
                    fail: false,
                    cancel_after: true,
                }),
                mark("b", false),
            ],
            recover: Some(Box::new(Undo(Recovery::RolledBack))),
        };
        let sink = Recorder::default();
        let cancel = Cancel::new();
        let cx = Context::new("h", &sink, &cancel);
        let cleaned = Arc::new(AtomicUsize::new(0));
        let c = cleaned.clone();
        cx.on_cleanup(move || {
            c.fetch_add(1, Ordering::SeqCst);
        });
        let mut state = Vec::new();
        assert!(matches!(p.run(&mut state, &cx), Err(PipelineError::Interrupted)));
        assert_eq!(state, ["a"]);
        assert_eq!(cleaned.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn commands_stream_their_lines_and_report_failures_with_their_tail() {
        let sink = Recorder::default();
        let cancel = Cancel::new();
        let cx = Context::new("h", &sink, &cancel);
        let cmd = process::Cmd::new("sh", ["-c", "echo out; echo err >&2; exit 3"]);
        let err = process::run_ok(&cmd, &cx).unwrap_err().to_string();
        assert!(
            err.contains("failed (exit code 3)") && err.contains("out") && err.contains("err"),
            "{err}"
        );
        let events = sink.0.lock().unwrap().clone();
        assert!(
            events.contains(&"h > out".to_string()) && events.contains(&"h > err".to_string()),
            "{events:?}"
        );
    }

    #[test]
    fn a_missing_program_names_what_to_install() {
        let sink = Recorder::default();
        let cancel = Cancel::new();
        let cx = Context::new("h", &sink, &cancel);
        let mut cmd = process::Cmd::new("nixos-anywhere", ["--help"]);
        cmd.env.push(("PATH".into(), "/nonexistent".into()));
        let err = process::run(&cmd, &cx).unwrap_err().to_string();
        assert!(
            err.starts_with("`nixos-anywhere` was not found on PATH: run nixpilot inside `nix --extra-experimental-features 'nix-command flakes' develop`"),
            "{err}"
        );
    }

    #[test]
    fn a_command_past_its_time_or_cancelled_is_killed() {
        let sink = Recorder::default();
        let cancel = Cancel::new();
        let cx = Context::new("h", &sink, &cancel);
        let mut cmd = process::Cmd::new("sh", ["-c", "echo started; sleep 30"]);
        cmd.timeout = Some(Duration::from_millis(300));
        let started = Instant::now();
        let err = process::run(&cmd, &cx).unwrap_err();
        assert!(matches!(err, PipelineError::TimedOut { .. }), "{err}");
        assert!(err.to_string().contains("started"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));

        let stopper = cancel.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            stopper.set();
        });
        let started = Instant::now();
        let err = process::run(&process::Cmd::new("sleep", ["30"]), &cx).unwrap_err();
        assert!(matches!(err, PipelineError::Interrupted), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        t.join().unwrap();
    }
}
