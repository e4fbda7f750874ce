//! The progress of an upgrade or downgrade: a bar on a terminal, plain lines otherwise.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::output::{Output, Paint, SharedWriter, Style, Verbosity};
use super::redact::Redactor;
use crate::migrator::Progress;
use crate::plan::Direction;
use crate::revision::RevisionId;

/// The bar's width in characters, between its brackets.
const BAR_WIDTH: usize = 24;
/// The longest line drawn on a terminal whose width is unknown.
const DEFAULT_COLUMNS: usize = 80;
/// How often the bar redraws while a long revision runs.
const TICK: Duration = Duration::from_millis(200);

/// The running revision.
struct Running {
    revision: RevisionId,
    direction: Direction,
    position: usize,
    total: usize,
    started: Instant,
}

struct State {
    stderr: SharedWriter,
    style: Style,
    redactor: Redactor,
    verbosity: Verbosity,
    /// Draw a bar (stderr is a terminal) rather than lines.
    bar: bool,
    columns: usize,
    messages: HashMap<RevisionId, String>,
    running: Option<Running>,
    bar_shown: bool,
}

/// Shows a migration run as it goes.
pub(crate) struct ProgressDisplay {
    state: Arc<Mutex<State>>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl ProgressDisplay {
    /// A display on `output`'s stderr; `messages` gives each revision's message.
    pub(crate) fn new(output: &Output, messages: HashMap<RevisionId, String>) -> Self {
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&c| c >= 40)
            .unwrap_or(DEFAULT_COLUMNS);
        let bar = output.err_is_terminal && output.verbosity > Verbosity::Quiet;
        let state = Arc::new(Mutex::new(State {
            stderr: output.stderr_handle(),
            style: output.err_style,
            redactor: output.redactor.clone(),
            verbosity: output.verbosity,
            bar,
            columns,
            messages,
            running: None,
            bar_shown: false,
        }));
        let ticker = bar.then(|| {
            let state = Arc::clone(&state);
            tokio::spawn(async move {
                let mut interval = tokio::time::interval(TICK);
                loop {
                    interval.tick().await;
                    if let Ok(mut state) = state.lock() {
                        if state.running.is_some() {
                            state.draw_bar();
                        }
                    }
                }
            })
        });
        ProgressDisplay { state, ticker }
    }

    /// The callback to give [`crate::Migrator::on_progress`].
    pub(crate) fn callback(&self) -> impl Fn(&Progress) + Send + Sync + 'static {
        let state = Arc::clone(&self.state);
        move |event| {
            if let Ok(mut state) = state.lock() {
                state.handle(event);
            }
        }
    }

    /// Stops the display and clears the bar.
    pub(crate) fn finish(mut self) {
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
        }
        if let Ok(mut state) = self.state.lock() {
            state.clear_bar();
            state.running = None;
        }
    }
}

impl Drop for ProgressDisplay {
    fn drop(&mut self) {
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
        }
    }
}

impl State {
    fn handle(&mut self, event: &Progress) {
        match event {
            Progress::Started {
                revision,
                direction,
                position,
                total,
            } => {
                self.running = Some(Running {
                    revision: revision.clone(),
                    direction: *direction,
                    position: *position,
                    total: *total,
                    started: Instant::now(),
                });
                if self.bar {
                    self.draw_bar();
                } else if self.verbosity >= Verbosity::Normal {
                    let line = format!(
                        "[{position}/{total}] {direction} {}{}",
                        self.style.paint(Paint::Id, revision.as_str()),
                        self.message_suffix(revision)
                    );
                    self.write_line(&line);
                }
            }
            Progress::Finished {
                revision,
                direction,
                position,
                total,
                duration,
            } => {
                self.running = None;
                if self.bar {
                    self.clear_bar();
                    let done = match direction {
                        Direction::Up => "upgraded",
                        Direction::Down => "downgraded",
                    };
                    let line = format!(
                        "{} {}{} {}",
                        self.style.paint(Paint::Good, done),
                        self.style.paint(Paint::Id, revision.as_str()),
                        self.message_suffix(revision),
                        self.style
                            .paint(Paint::Dim, format!("({})", format_duration(*duration)))
                    );
                    self.write_line(&line);
                } else if self.verbosity >= Verbosity::Verbose {
                    self.write_line(&format!(
                        "[{position}/{total}] done in {}",
                        format_duration(*duration)
                    ));
                }
            }
        }
    }

    fn message_suffix(&self, revision: &RevisionId) -> String {
        match self.messages.get(revision) {
            Some(message) if !message.is_empty() => format!(" {message}"),
            _ => String::new(),
        }
    }

    fn write_line(&mut self, line: &str) {
        let line = self.redactor.redact(line);
        if let Ok(mut stderr) = self.stderr.lock() {
            let _ = writeln!(stderr, "{line}");
        }
    }

    fn draw_bar(&mut self) {
        let Some(running) = &self.running else {
            return;
        };
        let done = running.position - 1;
        let filled = BAR_WIDTH * done / running.total.max(1);
        let mut bar = "=".repeat(filled);
        if filled < BAR_WIDTH {
            bar.push('>');
            bar.push_str(&" ".repeat(BAR_WIDTH - filled - 1));
        }
        let counter = format!("{}/{}", running.position, running.total);
        let elapsed = format_duration(running.started.elapsed());
        let fixed = format!(
            "[{bar}] {counter} {} {} ",
            running.direction, running.revision
        );
        // Keep the line within the terminal, or `\r` can't redraw it in place.
        let room = self
            .columns
            .saturating_sub(fixed.chars().count() + elapsed.chars().count() + 3);
        let message = self.message_suffix(&running.revision);
        let message: String = message.trim_start().chars().take(room).collect();
        let line = format!(
            "\r\x1b[2K[{bar}] {counter} {} {} {message} {}",
            running.direction,
            self.style.paint(Paint::Id, running.revision.as_str()),
            self.style.paint(Paint::Dim, elapsed)
        );
        if let Ok(mut stderr) = self.stderr.lock() {
            let _ = write!(stderr, "{line}");
            let _ = stderr.flush();
        }
        self.bar_shown = true;
    }

    fn clear_bar(&mut self) {
        if self.bar_shown {
            if let Ok(mut stderr) = self.stderr.lock() {
                let _ = write!(stderr, "\r\x1b[2K");
                let _ = stderr.flush();
            }
            self.bar_shown = false;
        }
    }
}

/// A duration as a person reads it: `12 ms`, `1.4 s`, `2 min 05 s`.
pub(crate) fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        format!("{millis} ms")
    } else if millis < 60_000 {
        format!("{:.1} s", duration.as_secs_f64())
    } else {
        let secs = duration.as_secs();
        format!("{} min {:02} s", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(Duration::from_millis(12)), "12 ms");
        assert_eq!(format_duration(Duration::from_millis(1400)), "1.4 s");
        assert_eq!(format_duration(Duration::from_secs(125)), "2 min 05 s");
    }
}
