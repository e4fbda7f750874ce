//! A fleet run as it goes: on a terminal, an overall bar with a line per running target
//! (indicatif); otherwise a plain line per finished target.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::output::{Output, SharedWriter, Verbosity};
use crate::fleet::{FleetProgress, Outcome};
use crate::migrator::Progress;

/// How a fleet run is shown.
pub(super) enum FleetDisplay {
    /// Bars on a terminal.
    Bars(Arc<Bars>),
    /// A line per finished target, on stderr.
    Lines(Arc<Lines>),
    /// Nothing (`-q`).
    Quiet,
}

pub(super) struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    running: Mutex<HashMap<String, ProgressBar>>,
    failed: AtomicUsize,
}

pub(super) struct Lines {
    stderr: SharedWriter,
    done: AtomicUsize,
    total: usize,
}

impl FleetDisplay {
    /// The display of a run over `total` targets on `output`'s stderr.
    pub(super) fn new(output: &Output, total: usize) -> Self {
        if output.verbosity == Verbosity::Quiet {
            return FleetDisplay::Quiet;
        }
        if !output.err_is_terminal {
            return FleetDisplay::Lines(Arc::new(Lines {
                stderr: output.stderr_handle(),
                done: AtomicUsize::new(0),
                total,
            }));
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new(total as u64));
        overall.set_style(
            ProgressStyle::with_template(
                "[{bar:24}] {pos}/{len} targets{msg} ({elapsed}, about {eta} left)",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        // Drawn from the start, and its clock kept moving while every target runs long.
        overall.enable_steady_tick(Duration::from_millis(200));
        FleetDisplay::Bars(Arc::new(Bars {
            multi,
            overall,
            running: Mutex::new(HashMap::new()),
            failed: AtomicUsize::new(0),
        }))
    }

    /// The callback that draws the run's events.
    pub(super) fn callback(&self) -> Option<impl Fn(&FleetProgress<'_>) + Send + Sync + 'static> {
        let display = match self {
            FleetDisplay::Quiet => return None,
            FleetDisplay::Bars(bars) => FleetDisplay::Bars(bars.clone()),
            FleetDisplay::Lines(lines) => FleetDisplay::Lines(lines.clone()),
        };
        Some(move |event: &FleetProgress<'_>| match &display {
            FleetDisplay::Bars(bars) => bars.show(event),
            FleetDisplay::Lines(lines) => lines.show(event),
            FleetDisplay::Quiet => {}
        })
    }

    /// Takes the bars off the terminal, before the report is printed.
    pub(super) fn finish(&self) {
        if let FleetDisplay::Bars(bars) = self {
            bars.overall.finish_and_clear();
            let _ = bars.multi.clear();
        }
    }
}

impl Bars {
    fn show(&self, event: &FleetProgress<'_>) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            FleetProgress::Started { target } => {
                let bar = self.multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("  {spinner} {prefix}: {msg} ({elapsed})")
                        .expect("a valid template"),
                );
                bar.set_prefix(target.to_string());
                bar.set_message("starting");
                bar.enable_steady_tick(Duration::from_millis(120));
                running.insert(target.to_string(), bar);
            }
            FleetProgress::Revision { target, progress } => {
                if let (
                    Some(bar),
                    Progress::Started {
                        revision,
                        position,
                        total,
                        ..
                    },
                ) = (running.get(&target.to_string()), progress)
                {
                    bar.set_message(format!("{position}/{total} {revision}"));
                }
            }
            FleetProgress::Finished {
                target, outcome, ..
            } => {
                if let Some(bar) = running.remove(&target.to_string()) {
                    bar.finish_and_clear();
                    self.multi.remove(&bar);
                }
                if matches!(outcome, Outcome::Failed { .. }) {
                    let failed = self.failed.fetch_add(1, Ordering::SeqCst) + 1;
                    self.overall.set_message(format!(", {failed} failed"));
                }
                self.overall.inc(1);
            }
        }
    }
}

impl Lines {
    fn show(&self, event: &FleetProgress<'_>) {
        if let FleetProgress::Finished {
            target,
            outcome,
            elapsed,
        } = event
        {
            let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
            let mark = if matches!(outcome, Outcome::Failed { .. }) {
                "failed"
            } else {
                "done"
            };
            if let Ok(mut stderr) = self.stderr.lock() {
                let _ = writeln!(
                    stderr,
                    "[{done}/{}] {mark}: {target} ({} ms)",
                    self.total,
                    elapsed.as_millis()
                );
            }
        }
    }
}
