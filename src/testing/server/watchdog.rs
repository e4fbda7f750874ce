//! The watchdog that removes a throwaway cluster when the test process is gone, however it
//! ends: normal exit, panic, `SIGKILL`.
//!
//! Statics are never dropped and a killed process runs no code, so the cleanup can't live in
//! the test process. It lives in a tiny `sh` process whose stdin is a pipe: the test process
//! holds the only write end (std opens pipes close-on-exec, so no other program inherits
//! it). When the test process ends, in whatever way, the kernel closes that end, the
//! watchdog's `read` sees end-of-file, and it stops the server (`pg_ctl stop -m immediate`)
//! and deletes the directory. Unlike polling the test process's pid, this reacts at once,
//! can't be fooled by a reused pid, and works across users.
//!
//! The watchdog runs in its own process group and ignores the terminal's signals, so a
//! Ctrl-C on `cargo test` reaches the tests, not the cleanup.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

use crate::testing::server::account::{run_as, Account};
use crate::testing::TestingError;

/// `$1` = the cluster's directory, `$2` = its data directory, `$3` = `pg_ctl`.
const SCRIPT: &str = r#"trap '' INT TERM HUP QUIT
while read -r _; do :; done
if [ -f "$2/postmaster.pid" ]; then
    "$3" stop -D "$2" -m immediate -w -t 10 >/dev/null 2>&1 ||
        kill -KILL "$(head -n 1 "$2/postmaster.pid")" 2>/dev/null
fi
for attempt in 1 2 3 4 5; do
    rm -rf "$1"
    [ -e "$1" ] || exit 0
    sleep 1
done
exit 1
"#;

/// A running watchdog. Dropping it (or [`Watchdog::finish`]) triggers the cleanup and waits
/// for it.
pub(crate) struct Watchdog {
    process: Child,
    /// The write end of the watchdog's stdin; closing it starts the cleanup.
    lifeline: Option<ChildStdin>,
}

impl Watchdog {
    /// Starts a watchdog for the cluster in `dir`, running as `account` when given (it must
    /// be allowed to stop the server and delete `dir`).
    pub(crate) fn spawn(
        dir: &Path,
        data_dir: &Path,
        pg_ctl: &Path,
        account: Option<&Account>,
    ) -> Result<Watchdog, TestingError> {
        let shell = Path::new("/bin/sh");
        let mut command = Command::new(shell);
        command
            .arg("-c")
            .arg(SCRIPT)
            .arg("pelican-watchdog")
            .arg(dir)
            .arg(data_dir)
            .arg(pg_ctl)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .current_dir("/")
            .process_group(0);
        run_as(&mut command, account);
        let mut process = command
            .spawn()
            .map_err(|error| TestingError::spawn(shell, error))?;
        let lifeline = process.stdin.take();
        Ok(Watchdog { process, lifeline })
    }

    /// Lets the watchdog clean up now and waits until it has.
    pub(crate) fn finish(&mut self) {
        if self.lifeline.take().is_some() {
            // An error here means the watchdog is already gone; nothing left to wait for.
            let _ = self.process.wait();
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.finish();
    }
}
