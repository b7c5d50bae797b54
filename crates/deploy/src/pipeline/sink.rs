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

    /// Asks the user a yes/no question (a terminal prompt, an editor dialog). Sinks that
    /// cannot ask say no, and the caller falls back to what its flags allow.
    fn ask(&self, _host: &str, _question: &str) -> bool {
        false
    }
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

/// One spinner line per host on a terminal: its step and the last line its command printed.
/// Rollbacks and other progress messages are printed above the bars so they stay visible.
pub struct TerminalSink {
    bars: indicatif::MultiProgress,
    hosts: Mutex<std::collections::BTreeMap<String, indicatif::ProgressBar>>,
}

impl Default for TerminalSink {
    fn default() -> Self {
        TerminalSink {
            bars: indicatif::MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::stderr()),
            hosts: Mutex::new(std::collections::BTreeMap::new()),
        }
    }
}

impl TerminalSink {
    fn bar(&self, host: &str) -> Option<indicatif::ProgressBar> {
        let mut hosts = self.hosts.lock().ok()?;
        let bar = hosts.entry(host.to_string()).or_insert_with(|| {
            let bar = self.bars.add(indicatif::ProgressBar::new_spinner());
            let style = indicatif::ProgressStyle::with_template("{spinner} {prefix:<16} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
            bar.set_style(style);
            bar.set_prefix(host.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Some(bar.clone())
    }
}

impl EventSink for TerminalSink {
    fn event(&self, host: &str, event: &Event) {
        let Some(bar) = self.bar(host) else { return };
        match event {
            Event::StepStarted { index, total, name } => {
                bar.set_length(*total as u64);
                bar.set_position(*index as u64);
                bar.set_message(format!("({index}/{total}) {name}"));
            }
            Event::StepFinished { name, ok: false, .. } => {
                let _ = self.bars.println(format!("{host}: {name} FAILED"));
            }
            Event::StepFinished { index, .. } if Some(*index as u64) == bar.length() => bar.finish_with_message("done"),
            Event::StepFinished { .. } => {}
            Event::Command { line } | Event::Output { line, .. } => {
                let step = bar.message().split(':').next().unwrap_or_default().to_string();
                bar.set_message(format!("{step}: {line}"));
            }
            Event::Progress { message } => {
                let _ = self.bars.println(format!("{host}: {message}"));
            }
        }
    }

    /// The bars stop drawing while the question waits for a typed `yes`.
    fn ask(&self, host: &str, question: &str) -> bool {
        if !TerminalSink::can_ask() {
            return false;
        }
        self.bars.suspend(|| {
            eprint!("{host}: {question}\nType yes to continue: ");
            let _ = std::io::stderr().flush();
            let mut answer = String::new();
            std::io::stdin().read_line(&mut answer).is_ok() && answer.trim() == "yes"
        })
    }
}

impl TerminalSink {
    /// Whether a question can be answered here: someone types at this terminal.
    fn can_ask() -> bool {
        use std::io::IsTerminal;
        std::io::stdin().is_terminal()
    }
}

impl Drop for TerminalSink {
    fn drop(&mut self) {
        // The summary table follows; half-drawn bars would run into it.
        if let Ok(hosts) = self.hosts.lock() {
            for bar in hosts.values() {
                bar.finish_and_clear();
            }
        }
        let _ = self.bars.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_are_labelled_by_host() {
        let sink = PlainSink::new(Vec::new());
        sink.event(
            "web1",
            &Event::StepStarted {
                index: 1,
                total: 2,
                name: "build".into(),
            },
        );
        sink.event(
            "web1",
            &Event::Output {
                stream: Stream::Stderr,
                line: "building…".into(),
            },
        );
        sink.event(
            "web1",
            &Event::StepFinished {
                index: 1,
                name: "build".into(),
                ok: false,
                elapsed: Duration::from_millis(1500),
            },
        );
        let text = String::from_utf8(sink.into_inner()).unwrap();
        assert_eq!(
            text,
            "[web1] (1/2) build\n[web1]   building…\n[web1] build FAILED (1.5s)\n"
        );
    }

    #[test]
    fn terminal_bars_follow_the_steps_and_finish_with_the_last() {
        // Off a terminal indicatif draws nothing; the bar states are still kept.
        let sink = TerminalSink::default();
        for (index, name) in [(1, "connect"), (2, "build")] {
            sink.event(
                "web1",
                &Event::StepStarted {
                    index,
                    total: 2,
                    name: name.into(),
                },
            );
            sink.event(
                "web1",
                &Event::Output {
                    stream: Stream::Stdout,
                    line: "a: b".into(),
                },
            );
            let bar = sink.bar("web1").unwrap();
            assert_eq!(bar.message(), format!("({index}/2) {name}: a: b"));
            sink.event(
                "web1",
                &Event::StepFinished {
                    index,
                    name: name.into(),
                    ok: true,
                    elapsed: Duration::ZERO,
                },
            );
        }
        assert!(sink.bar("web1").unwrap().is_finished());
    }
}
