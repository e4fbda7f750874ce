//! Async clean-up from `Drop`, which can't await.
//!
//! Blocking on the test's own runtime from `Drop` would panic (and on a `current_thread`
//! runtime, as `#[tokio::test]` uses, would deadlock), so the clean-up runs on a thread of its
//! own with a runtime of its own, and `drop` waits for it: the object is gone when `drop`
//! returns, also when the test panicked (`Drop` runs during unwinding).

use std::future::Future;
use std::time::Duration;

/// Runs the future `work()` makes on a fresh thread and runtime, waits at most `timeout` for
/// it, and returns its outcome; the error says why the work did not happen.
pub(crate) fn run_aside<F, Fut>(thread_name: &str, timeout: Duration, work: F) -> Result<(), String>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), String>>,
{
    let worker = std::thread::Builder::new()
        .name(thread_name.to_owned())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| format!("could not start a runtime: {error}"))?;
            runtime.block_on(async {
                tokio::time::timeout(timeout, work())
                    .await
                    .unwrap_or_else(|_| Err(format!("timed out after {}s", timeout.as_secs())))
            })
        });
    match worker {
        Ok(thread) => thread
            .join()
            .unwrap_or_else(|_| Err(format!("the {thread_name} thread panicked"))),
        Err(error) => Err(format!("could not start the {thread_name} thread: {error}")),
    }
}
