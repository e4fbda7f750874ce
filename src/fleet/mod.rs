//! Fleets (feature `fleet`): one migration set run over many targets at once, a schema per
//! tenant in one database or a database per tenant over several servers.
//!
//! Each target keeps its own history and takes its own lock (the lock key includes the
//! history schema), so tenants never queue behind each other, and a second run at the same
//! time waits per target, then finds it done: nothing is applied twice. A failing target
//! doesn't stop the others (unless [`Fleet::fail_fast`]); the [`FleetReport`] says what
//! happened to each, and a rerun touches only what is left.
//!
//! ```no_run
//! # async fn example(set: pelican::MigrationSet) -> Result<(), pelican::fleet::FleetError> {
//! use pelican::fleet::{Fleet, Target};
//!
//! let url = "postgresql://app@db1/app";
//! let targets = (1..=50).map(|n| Target::schema(url, format!("tenant_{n}"))).collect();
//! let report = Fleet::new(set, targets).jobs(8).upgrade("head").await?;
//! println!("{}", report.summary());
//! assert!(report.all_succeeded());
//! # Ok(())
//! # }
//! ```

mod connect;
mod discover;
#[cfg(feature = "testing")]
mod drift;
mod progress;
mod report;
mod run;
mod status;
pub(crate) mod target;

use std::sync::Arc;

pub use discover::{databases_from_query, schemas_from_query};
#[cfg(feature = "testing")]
pub use drift::{FleetDriftError, TargetDrift};
pub use progress::FleetProgress;
pub use report::{Counts, FleetReport, Outcome, TargetReport};
pub use status::TargetStatus;
pub use target::{FleetError, Target};

use crate::migration::MigrationSet;
use crate::Migrator;

/// Turns the migrator of one target into the one to run (timeouts, lock wait, ...).
type Configure = Arc<dyn Fn(Migrator) -> Migrator + Send + Sync>;

/// What a fleet run does to each target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// `upgrade` to a target revision (`head`, `heads`, an id).
    Upgrade(String),
    /// `downgrade` to a target revision (`base`, an id, `-1`).
    Downgrade(String),
    /// Records the revisions as applied without running them.
    Stamp(String),
}

/// One migration set and the targets it runs on. See the [module docs](self).
pub struct Fleet {
    migrations: MigrationSet,
    targets: Vec<Target>,
    jobs: usize,
    jobs_per_server: Option<usize>,
    fail_fast: bool,
    canary: usize,
    batch: Option<(usize, std::time::Duration)>,
    configure: Option<Configure>,
    progress: Option<progress::ProgressCallback>,
}

impl Fleet {
    /// A fleet over `targets`, 4 jobs at once by default.
    pub fn new(migrations: MigrationSet, targets: Vec<Target>) -> Self {
        Fleet {
            migrations,
            targets,
            jobs: 4,
            jobs_per_server: None,
            fail_fast: false,
            canary: 0,
            batch: None,
            configure: None,
            progress: None,
        }
    }

    /// How many targets run at once, overall (at least 1).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self
    }

    /// At most this many connections to one server at once (by default as many as
    /// [`jobs`](Self::jobs), capped by the server's `max_connections` headroom).
    pub fn jobs_per_server(mut self, jobs: usize) -> Self {
        self.jobs_per_server = Some(jobs.max(1));
        self
    }

    /// Stops starting targets after the first failure (those not started are reported as
    /// not run).
    pub fn fail_fast(mut self, fail_fast: bool) -> Self {
        self.fail_fast = fail_fast;
        self
    }

    /// Runs the first `canary` targets first; if any fails, the rest are not run.
    pub fn canary(mut self, canary: usize) -> Self {
        self.canary = canary;
        self
    }

    /// After the canary, moves through the targets `size` at a time, waiting `pause` between
    /// batches (to watch the application, say); with [`fail_fast`](Self::fail_fast), a failure
    /// stops the batches after it.
    pub fn batch(mut self, size: usize, pause: std::time::Duration) -> Self {
        self.batch = Some((size.max(1), pause));
        self
    }

    /// Sets up each target's migrator (timeouts, lock wait, transaction mode); the history
    /// schema is the target's own and is set after this.
    pub fn configure(
        mut self,
        configure: impl Fn(Migrator) -> Migrator + Send + Sync + 'static,
    ) -> Self {
        self.configure = Some(Arc::new(configure));
        self
    }

    /// Calls `callback` as the run goes: a target starts, each of its revisions starts and
    /// finishes, a target is done. It is called from the tasks running the targets, so keep
    /// it quick.
    ///
    /// ```
    /// # fn example(fleet: pelican::fleet::Fleet) -> pelican::fleet::Fleet {
    /// use pelican::fleet::FleetProgress;
    ///
    /// fleet.on_progress(|event| {
    ///     if let FleetProgress::Finished { target, outcome, .. } = event {
    ///         eprintln!("{target}: {outcome}");
    ///     }
    /// })
    /// # }
    /// ```
    pub fn on_progress(
        mut self,
        callback: impl Fn(&FleetProgress<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }

    /// The targets.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// Upgrades every target to `target` (`head` for the usual run).
    ///
    /// # Errors
    ///
    /// Only what stops the whole run (no target, a server refusing its first connection is
    /// a failed target, not an error); each target's failure is in the report.
    pub async fn upgrade(&self, target: &str) -> Result<FleetReport, FleetError> {
        self.run(Operation::Upgrade(target.to_owned())).await
    }

    /// Downgrades every target to `target`.
    ///
    /// # Errors
    ///
    /// As [`upgrade`](Self::upgrade).
    pub async fn downgrade(&self, target: &str) -> Result<FleetReport, FleetError> {
        self.run(Operation::Downgrade(target.to_owned())).await
    }

    /// Runs `operation` on every target, `jobs` at once.
    ///
    /// # Errors
    ///
    /// As [`upgrade`](Self::upgrade).
    pub async fn run(&self, operation: Operation) -> Result<FleetReport, FleetError> {
        run::run(self, operation).await
    }

    /// The same fleet over other targets.
    fn with_targets(&self, targets: Vec<Target>) -> Fleet {
        Fleet {
            migrations: self.migrations.clone(),
            targets,
            jobs: self.jobs,
            jobs_per_server: self.jobs_per_server,
            fail_fast: self.fail_fast,
            canary: self.canary,
            batch: self.batch,
            configure: self.configure.clone(),
            progress: self.progress.clone(),
        }
    }

    /// The migrator of one target: the fleet's configuration, then the target's history
    /// schema.
    fn migrator(&self, target: &Target) -> Migrator {
        let mut migrator = Migrator::new(self.migrations.clone());
        if let Some(configure) = &self.configure {
            migrator = configure(migrator);
        }
        if let Some(progress) = &self.progress {
            let (progress, shown) = (progress.clone(), target.clone());
            migrator = migrator.on_progress(move |event| {
                progress(&FleetProgress::Revision {
                    target: &shown,
                    progress: event,
                });
            });
        }
        match &target.schema {
            Some(schema) => migrator.schema(schema.clone()),
            None => migrator,
        }
    }
}

/// The examples of `docs/fleets.md`, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/fleets.md")]
pub struct FleetsGuide;
