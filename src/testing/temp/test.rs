//! What `#[pelican::test]` expands to calls: a runtime, the throwaway object, the test body.

use std::future::Future;

use crate::testing::TempSetup;
use crate::testing::Throwaway;

/// Runs one `#[pelican::test]` function: on a fresh `current_thread` runtime (as
/// `#[tokio::test]` uses), makes the test's [`TempSchema`](super::TempSchema) or
/// [`TempDatabase`](super::TempDatabase) as `setup` says, and awaits `body` with it. The
/// object is dropped when the body ends, also when it panics. A setup failure panics with its
/// message, naming the test.
#[doc(hidden)]
pub fn run_test<T, F, Fut>(test: &str, setup: TempSetup, body: F) -> Fut::Output
where
    T: Throwaway,
    F: FnOnce(T) -> Fut,
    Fut: Future,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|error| {
            panic!("#[pelican::test] {test}: could not start a tokio runtime: {error}")
        });
    runtime.block_on(async move {
        let temp = match setup.create::<T>().await {
            Ok(temp) => temp,
            Err(error) => panic!(
                "#[pelican::test] {test}: could not make its {}: {error}",
                T::KIND
            ),
        };
        body(temp).await
    })
}
