//! Where the CLI writes: results on stdout, narration and errors on stderr.
//!
//! stdout carries only the answer to the command (ids, listings, JSON, SQL), so that it can be
//! piped; everything else (what is happening, warnings, errors, the progress bar) goes to
//! stderr, with passwords hidden. Colors are used only on a terminal, never when `NO_COLOR`
//! is set (unless `--color always`).

use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex};

use super::args::ColorChoice;
use super::redact::Redactor;

/// How much the CLI says on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verbosity {
    /// Errors only (`-q`).
    Quiet,
    /// What happened.
    Normal,
    /// What happened and how (`-v`).
    Verbose,
}

/// A color, as ANSI escape codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Paint {
    /// Revision ids.
    Id,
    /// Good news: applied, ok.
    Good,
    /// Warnings, pending work.
    Warn,
    /// Errors, failures.
    Bad,
    /// Less important text.
    Dim,
}

impl Paint {
    fn code(self) -> &'static str {
        match self {
            Paint::Id => "33",
            Paint::Good => "32",
            Paint::Warn => "33;1",
            Paint::Bad => "31;1",
            Paint::Dim => "2",
        }
    }
}

/// Whether a stream gets colors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    colors: bool,
}

impl Style {
    /// Colors when asked, or on a terminal with `NO_COLOR` unset.
    pub(crate) fn new(choice: ColorChoice, is_terminal: bool, no_color: bool) -> Self {
        let colors = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && !no_color,
        };
        Style { colors }
    }

    /// Whether colors are on.
    pub(crate) fn enabled(&self) -> bool {
        self.colors
    }

    /// `text` in `paint`, when colors are on.
    pub(crate) fn paint(&self, paint: Paint, text: impl AsRef<str>) -> String {
        let text = text.as_ref();
        if self.colors && !text.is_empty() {
            format!("\x1b[{}m{text}\x1b[0m", paint.code())
        } else {
            text.to_owned()
        }
    }
}

/// The stderr stream, shared with the progress display.
pub(crate) type SharedWriter = Arc<Mutex<Box<dyn Write + Send>>>;

/// The CLI's two output streams.
pub(crate) struct Output {
    stdout: Box<dyn Write + Send>,
    stderr: SharedWriter,
    /// How much to say on stderr.
    pub(crate) verbosity: Verbosity,
    /// Colors of stdout.
    pub(crate) out_style: Style,
    /// Colors of stderr.
    pub(crate) err_style: Style,
    /// Whether stderr is a terminal (a progress bar can be drawn).
    pub(crate) err_is_terminal: bool,
    /// Hides passwords in everything written to stderr.
    pub(crate) redactor: Redactor,
}

impl Output {
    /// The process's own stdout and stderr.
    pub(crate) fn standard(choice: ColorChoice, verbosity: Verbosity) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let out_terminal = io::stdout().is_terminal();
        let err_terminal = io::stderr().is_terminal();
        Output {
            stdout: Box::new(io::stdout()),
            stderr: Arc::new(Mutex::new(Box::new(io::stderr()))),
            verbosity,
            out_style: Style::new(choice, out_terminal, no_color),
            err_style: Style::new(choice, err_terminal, no_color),
            err_is_terminal: err_terminal,
            redactor: Redactor::default(),
        }
    }

    /// Writes a line of the command's result to stdout.
    pub(crate) fn print(&mut self, line: impl AsRef<str>) {
        // A closed pipe (`pelican history | head`) is not an error worth reporting.
        let _ = writeln!(self.stdout, "{}", line.as_ref());
    }

    /// Writes text as it is (a script, a drawing) to stdout.
    pub(crate) fn print_raw(&mut self, text: &str) {
        let _ = self.stdout.write_all(text.as_bytes());
    }

    /// Writes a JSON document to stdout.
    pub(crate) fn print_json(&mut self, value: &serde_json::Value) {
        let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_owned());
        self.print(text);
    }

    /// Says what happened, on stderr (not with `-q`).
    pub(crate) fn say(&self, line: impl AsRef<str>) {
        if self.verbosity >= Verbosity::Normal {
            self.to_stderr(line.as_ref());
        }
    }

    /// Says how it happened, on stderr (only with `-v`).
    pub(crate) fn detail(&self, line: impl AsRef<str>) {
        if self.verbosity >= Verbosity::Verbose {
            let line = self.err_style.paint(Paint::Dim, line);
            self.to_stderr(&line);
        }
    }

    /// A warning on stderr (not with `-q`).
    pub(crate) fn warn(&self, message: impl AsRef<str>) {
        if self.verbosity >= Verbosity::Normal {
            let label = self.err_style.paint(Paint::Warn, "warning:");
            self.to_stderr(&format!("{label} {}", message.as_ref()));
        }
    }

    /// An error on stderr (always).
    pub(crate) fn error(&self, message: impl AsRef<str>) {
        let label = self.err_style.paint(Paint::Bad, "error:");
        self.to_stderr(&format!("{label} {}", message.as_ref()));
    }

    fn to_stderr(&self, line: &str) {
        let line = self.redactor.redact(line);
        if let Ok(mut stderr) = self.stderr.lock() {
            let _ = writeln!(stderr, "{line}");
        }
    }

    /// The stderr stream, for the progress display.
    pub(crate) fn stderr_handle(&self) -> SharedWriter {
        Arc::clone(&self.stderr)
    }

    /// Flushes both streams.
    pub(crate) fn flush(&mut self) {
        let _ = self.stdout.flush();
        if let Ok(mut stderr) = self.stderr.lock() {
            let _ = stderr.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_only_on_a_terminal_without_no_color() {
        let on = |choice, terminal, no_color| Style::new(choice, terminal, no_color).colors;
        assert!(on(ColorChoice::Auto, true, false));
        assert!(!on(ColorChoice::Auto, false, false));
        assert!(!on(ColorChoice::Auto, true, true));
        assert!(on(ColorChoice::Always, false, true));
        assert!(!on(ColorChoice::Never, true, false));
        let style = Style::new(ColorChoice::Always, false, false);
        assert_eq!(style.paint(Paint::Id, "a1"), "\x1b[33ma1\x1b[0m");
        let plain = Style::new(ColorChoice::Never, true, false);
        assert_eq!(plain.paint(Paint::Id, "a1"), "a1");
    }
}
