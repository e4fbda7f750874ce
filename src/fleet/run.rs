//! The fleet's scheduler: `jobs` targets at once, at most `jobs_per_server` connections to a
//! server, a connection pool per database, failures kept to their target.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use deadpool_postgres::Pool;
use tokio::sync::Semaphore;
use tokio_postgres::SimpleQueryMessage;
use tracing::Instrument;

use super::report::{FleetReport, Outcome, TargetReport};
use super::{Fleet, FleetError, FleetProgress, Operation, Target};
use crate::lock::announced_pid;
use crate::quote::ident;

/// How many targets one connection serves before it is closed and a fresh one opened.
const TARGETS_PER_CONNECTION: usize = 20;

/// The connections a run shares: a pool per database, and per database the gate of its
/// server (databases of one server share it).
struct Connections {
    pools: HashMap<String, Pool>,
    gates: HashMap<String, Arc<Semaphore>>,
}

/// How many connections a server can spare: what `max_connections` leaves after the
/// reserved ones and those open now, halved, so that the application keeps its share.
async fn headroom(pool: &Pool) -> Option<usize> {
    let client = pool.get().await.ok()?;
    let row = client
        .query_one(
            "SELECT current_setting('max_connections')::int \
                  - current_setting('superuser_reserved_connections')::int \
                  - (SELECT count(*)::int FROM pg_stat_activity)",
            &[],
        )
        .await
        .ok()?;
    let free: i32 = row.get(0);
    Some(usize::try_from(free / 2).unwrap_or(0).max(1))
}

impl Connections {
    /// The pools and gates of `fleet`'s targets; an error when it has none.
    async fn open(fleet: &Fleet) -> Result<Arc<Connections>, FleetError> {
        if fleet.targets.is_empty() {
            return Err(FleetError::NoTargets(
                "no schema or database was given".to_owned(),
            ));
        }
        let mut pools = HashMap::new();
        let mut gates = HashMap::new();
        let mut servers: HashMap<String, Arc<Semaphore>> = HashMap::new();
        for target in &fleet.targets {
            let url = target.url.clone();
            if !pools.contains_key(&url) {
                let manager = super::connect::manager(&url)?;
                let size = fleet.jobs_per_server.unwrap_or(fleet.jobs);
                let pool = Pool::builder(manager)
                    .max_size(size)
                    .build()
                    .expect("a pool without a runtime-specific option builds");
                pools.insert(url.clone(), pool);
            }
            if gates.contains_key(&url) {
                continue;
            }
            let gate = match servers.entry(target.server()?) {
                std::collections::hash_map::Entry::Occupied(entry) => entry.get().clone(),
                std::collections::hash_map::Entry::Vacant(entry) => {
                    let limit = match fleet.jobs_per_server {
                        Some(limit) => limit,
                        None => headroom(&pools[&url])
                            .await
                            .map_or(fleet.jobs, |free| free.min(fleet.jobs)),
                    };
                    entry.insert(Arc::new(Semaphore::new(limit))).clone()
                }
            };
            gates.insert(url, gate);
        }
        Ok(Arc::new(Connections { pools, gates }))
    }

    /// Closes every pool.
    fn close(&self) {
        for pool in self.pools.values() {
            pool.close();
        }
    }
}

/// Reports of the targets not run, an earlier failure having stopped the run.
fn not_run(targets: &[Target]) -> impl Iterator<Item = TargetReport> + '_ {
    targets.iter().map(|target| TargetReport {
        target: target.clone(),
        outcome: Outcome::NotRun,
        elapsed: Default::default(),
    })
}

/// Whether one of `reports` failed.
fn any_failed(reports: &[TargetReport]) -> bool {
    reports
        .iter()
        .any(|r| matches!(r.outcome, Outcome::Failed { .. }))
}

/// Runs `operation` on every target of `fleet`.
pub(super) async fn run(fleet: &Fleet, operation: Operation) -> Result<FleetReport, FleetError> {
    let started = Instant::now();
    let connections = Connections::open(fleet).await?;
    let total = fleet.targets.len();
    let canary = fleet.canary.min(total);
    let mut reports = run_wave(fleet, &connections, &operation, 0..canary, false).await;
    let canary_failed = any_failed(&reports);
    let batch = fleet.batch.map_or(total, |(size, _)| size);
    let mut start = canary;
    while start < total {
        // A failed canary stops the rest; with fail_fast, so does a failure in a batch.
        if canary_failed || (fleet.fail_fast && any_failed(&reports)) {
            reports.extend(not_run(&fleet.targets[start..]));
            break;
        }
        if start > canary {
            if let Some((_, pause)) = fleet.batch {
                tokio::time::sleep(pause).await;
            }
        }
        let end = (start + batch).min(total);
        let wave = run_wave(fleet, &connections, &operation, start..end, fleet.fail_fast).await;
        reports.extend(wave);
        start = end;
    }
    connections.close();
    Ok(FleetReport {
        targets: reports,
        elapsed: started.elapsed(),
    })
}

/// The targets of `range`, `jobs` at once; their reports in the targets' order.
async fn run_wave(
    fleet: &Fleet,
    connections: &Arc<Connections>,
    operation: &Operation,
    range: std::ops::Range<usize>,
    fail_fast: bool,
) -> Vec<TargetReport> {
    run_jobs(
        fleet,
        connections,
        &Job::Run(operation.clone()),
        range,
        fail_fast,
    )
    .await
    .into_iter()
    .map(|(target, done, elapsed)| TargetReport {
        target,
        outcome: match done {
            Some(Done::Ran(outcome)) => outcome,
            _ => Outcome::NotRun,
        },
        elapsed,
    })
    .collect()
}

/// `job` on the targets of `range`, `jobs` at once, at most the server's share on each
/// server; in the targets' order, `None` for a target not started (after a failure, with
/// `fail_fast`).
async fn run_jobs(
    fleet: &Fleet,
    connections: &Arc<Connections>,
    job: &Job,
    range: std::ops::Range<usize>,
    fail_fast: bool,
) -> Vec<(Target, Option<Done>, std::time::Duration)> {
    let jobs = Arc::new(Semaphore::new(fleet.jobs));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = tokio::task::JoinSet::new();
    for index in range.clone() {
        let target = fleet.targets[index].clone();
        let migrator = fleet.migrator(&target);
        let job = job.clone();
        let (jobs, stop, connections) = (jobs.clone(), stop.clone(), connections.clone());
        let progress = fleet.progress.clone();
        let span = tracing::info_span!("fleet target", target = %target);
        tasks.spawn(
            async move {
                let _job = jobs
                    .acquire_owned()
                    .await
                    .expect("the semaphore stays open");
                if stop.load(Ordering::SeqCst) {
                    return (index, target, None, Default::default());
                }
                let _server = connections.gates[&target.url]
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("the semaphore stays open");
                let started = Instant::now();
                if let (Some(progress), Job::Run(_)) = (&progress, &job) {
                    progress(&FleetProgress::Started { target: &target });
                }
                let done = run_one(&connections.pools[&target.url], &target, &migrator, &job).await;
                let elapsed = started.elapsed();
                if let Done::Ran(outcome) = &done {
                    if fail_fast && matches!(outcome, Outcome::Failed { .. }) {
                        stop.store(true, Ordering::SeqCst);
                    }
                    if let Some(progress) = &progress {
                        progress(&FleetProgress::Finished {
                            target: &target,
                            outcome,
                            elapsed,
                        });
                    }
                }
                (index, target, Some(done), elapsed)
            }
            .instrument(span),
        );
    }
    let mut done = Vec::with_capacity(range.len());
    while let Some(result) = tasks.join_next().await {
        done.push(result.expect("a fleet task panicked"));
    }
    done.sort_by_key(|(index, ..)| *index);
    done.into_iter()
        .map(|(_, target, done, elapsed)| (target, done, elapsed))
        .collect()
}

/// What a task does on its target.
#[derive(Clone)]
pub(super) enum Job {
    /// An operation that changes the target.
    Run(Operation),
    /// Reads its status.
    Status,
}

/// What a task found.
pub(super) enum Done {
    /// What the operation did.
    Ran(Outcome),
    /// The status read.
    Status(Result<crate::migrator::Status, crate::Error>),
}

/// One target: a pooled connection, its `search_path` set to the tenant's schema for the
/// job (and reset after, whatever happened), the job.
async fn run_one(pool: &Pool, target: &Target, migrator: &crate::Migrator, job: &Job) -> Done {
    let failed = |error: crate::Error| match job {
        Job::Run(_) => Done::Ran(outcome(Err(error))),
        Job::Status => Done::Status(Err(error)),
    };
    let client = match pool.get().await {
        Ok(client) => client,
        Err(error) => return failed(crate::Error::from(error)),
    };
    if let Some(schema) = &target.schema {
        // The same round trip says which server process holds the setting: through a
        // pooler it is not the one the connection announced, and the setting won't last.
        let set = format!(
            "SET search_path TO {}; SELECT pg_catalog.pg_backend_pid()",
            ident(schema)
        );
        let backend = match client.simple_query(&set).await {
            Ok(messages) => messages.iter().find_map(|message| match message {
                SimpleQueryMessage::Row(row) => row.get(0).and_then(|pid| pid.parse::<i32>().ok()),
                _ => None,
            }),
            Err(error) => {
                return failed(crate::Error::database(
                    "setting the tenant's search_path",
                    error,
                ))
            }
        };
        if matches!(job, Job::Run(_)) && backend != announced_pid(&client).await {
            drop(deadpool_postgres::Object::take(client));
            return failed(crate::Error::SchemaTargetBehindPooler {
                schema: schema.clone(),
            });
        }
    }
    let revisions = |report: crate::migrator::Report| {
        report
            .steps
            .into_iter()
            .map(|s| s.revision)
            .collect::<Vec<_>>()
    };
    let done = match job {
        Job::Run(Operation::Upgrade(to)) => Done::Ran(outcome(
            migrator.upgrade(&**client, to).await.map(revisions),
        )),
        Job::Run(Operation::Downgrade(to)) => Done::Ran(outcome(
            migrator.downgrade(&**client, to).await.map(revisions),
        )),
        Job::Run(Operation::Stamp(to)) => Done::Ran(outcome(
            migrator
                .stamp(&**client, &[to.as_str()], false)
                .await
                .map(|r| r.added),
        )),
        Job::Status => Done::Status(migrator.status(&**client).await),
    };
    let reset = target.schema.is_none() || client.batch_execute("RESET search_path").await.is_ok();
    // A connection that can't be reset is not given back to the pool, nor one that has
    // served many tenants: a server process that touched the relations of many schemas keeps
    // them all in its caches, and each statement then costs more (a fleet of 300 schemas on
    // one connection took 2.6x as long per schema as one of 50).
    let served = deadpool_postgres::Object::metrics(&client).recycle_count;
    if !reset || served >= TARGETS_PER_CONNECTION {
        drop(deadpool_postgres::Object::take(client));
    }
    done
}

/// The outcome of a run's result.
fn outcome(result: Result<Vec<crate::revision::RevisionId>, crate::Error>) -> Outcome {
    match result {
        Ok(revisions) if revisions.is_empty() => Outcome::AlreadyThere,
        Ok(revisions) => Outcome::Migrated { revisions },
        Err(error) => {
            let revision = match &error {
                crate::Error::MigrationFailed { revision, .. } => Some(revision.clone()),
                _ => None,
            };
            Outcome::Failed { revision, error }
        }
    }
}

/// Reads the status of every target of `fleet`, `jobs` at once.
pub(super) async fn statuses(
    fleet: &Fleet,
) -> Result<Vec<(Target, Result<crate::migrator::Status, crate::Error>)>, FleetError> {
    let connections = Connections::open(fleet).await?;
    let done = run_jobs(
        fleet,
        &connections,
        &Job::Status,
        0..fleet.targets.len(),
        false,
    )
    .await;
    connections.close();
    Ok(done
        .into_iter()
        .map(|(target, done, _)| match done {
            Some(Done::Status(status)) => (target, status),
            _ => unreachable!("a status job reads a status"),
        })
        .collect())
}
