//! Pipelined apply: consecutive transactional SQL revisions sent in one simple-query message,
//! each its own transaction with its history rows, and a failure attributed to its revision.
//!
//! PostgreSQL runs a message's statements in order and stops at the first error, so the
//! revisions before a failure are committed and recorded. Which revision failed is read from
//! the server's responses, not guessed: the first statement of each revision's transaction
//! (the mark of its start time, see `crate::sql::history::STEP_MARK`) returns a row in a
//! column named `pelican.step`, so the responses received before the error say how many
//! revisions began; the last of them failed, the ones before it committed (revision `i + 1`
//! begins only after revision `i`'s `COMMIT` completed). This holds when the connection
//! breaks too, as far as the client can know (as without a pipeline, the failing revision's
//! own `COMMIT` may then have happened). After the error, the failed transaction is rolled
//! back, as without a pipeline: a failure costs no more round trips.
//!
//! One exception: PostgreSQL parses a whole message before it runs any of it, so a syntax
//! error in a later revision stops the message before the earlier ones run. The error's
//! position then falls in that later revision: the revisions before it run again (the
//! earlier ones never ran), and it fails as it would have on its own.

use std::pin::Pin;
use std::time::Instant;

use futures_core::Stream;
use tokio_postgres::{Client, SimpleQueryMessage};
use tracing::Instrument;

use super::*;
use crate::migration::statements::split_statements;
use crate::migration::Body;
use crate::plan::Step;
use crate::sql::history::STEP_MARK_COLUMN;
use crate::sql::pipeline::PipelineSql;
use crate::sql::step::section;

/// A plan being run: its steps, what ran, and which `Started` events were given.
pub(super) struct PlanRun<'a> {
    /// The plan's steps.
    pub(super) steps: &'a [Step],
    /// The steps that ran.
    pub(super) report: Report,
    /// How many steps' `Started` events were given (they are given in order, once).
    pub(super) announced: usize,
    /// The connection `transaction: false` revisions run on: the run's, or a direct one
    /// when the run's goes through a pooler.
    pub(super) autocommit: &'a tokio_postgres::Client,
    /// Whether they must mark their session as pelican's (the lock did not).
    pub(super) mark_session: bool,
}

/// How a pipeline ended.
pub(super) enum PipelineOutcome {
    /// Every revision committed.
    Done,
    /// A revision failed: the ones before it are committed, its failure is logged.
    Failed(Error),
    /// The server could not parse revision `at`, so nothing ran but the first `committed`
    /// revisions (none, in practice): the ones before `at` must run, then `at` fails with
    /// `error`.
    Unparsed {
        committed: usize,
        at: usize,
        error: Error,
    },
}

impl Migrator {
    /// The longest pipeline the steps begin with: transactional SQL revisions whose bodies
    /// close their quotes and comments (so that none can run into the next one's text),
    /// within [`MAX_REVISIONS`](crate::sql::pipeline::MAX_REVISIONS) and
    /// [`MAX_BYTES`](crate::sql::pipeline::MAX_BYTES).
    pub(super) fn pipeline_of(&self, steps: &[Step]) -> PipelineSql {
        let builder = self.step_sql();
        let mut pipeline = PipelineSql::default();
        for step in steps {
            let entry = self.entry(&step.revision);
            let Body::Sql { up, down } = entry.body() else {
                break;
            };
            if !entry.revision().is_transactional() {
                break;
            }
            let body = section(entry, step.direction, up, down.as_ref());
            if split_statements(body.sql()).is_err() {
                break;
            }
            let sql = builder.pipelined(entry, body, step.direction);
            if !pipeline.fits(&sql) {
                break;
            }
            pipeline.push(sql, body.sql().chars().count());
        }
        pipeline
    }

    /// Sends a pipeline of the steps from `first`, and reports each revision that ran.
    pub(super) async fn run_pipeline(
        &self,
        client: &Client,
        run: &mut PlanRun<'_>,
        first: usize,
        pipeline: &PipelineSql,
    ) -> PipelineOutcome {
        let steps = &run.steps[first..first + pipeline.len()];
        self.announce(run, first);
        let span = tracing::info_span!(
            "pelican.pipeline",
            revisions = steps.len(),
            first = %steps[0].revision,
            last = %steps[steps.len() - 1].revision,
        );
        let started = Instant::now();
        let (began, sent) = send(client, pipeline.sql()).instrument(span.clone()).await;
        let share = started.elapsed() / u32::try_from(steps.len()).unwrap_or(u32::MAX);
        let err = match sent {
            Ok(()) => {
                self.report_committed(run, first, pipeline.len(), share, &span);
                return PipelineOutcome::Done;
            }
            Err(err) => err,
        };
        // The revision that began last failed; the ones before it committed.
        let committed = began.saturating_sub(1);
        let _ = client.batch_execute("ROLLBACK").await;
        self.report_committed(run, first, committed, share, &span);
        let located = super::error_position(&err).and_then(|pos| pipeline.locate(pos));
        let failure = |index: usize, err| {
            let step = &steps[index];
            let entry = self.entry(&step.revision);
            let line = located
                .filter(|l| l.index == index)
                .and_then(|l| l.body_position)
                .map(|pos| {
                    let Body::Sql { up, down } = entry.body() else {
                        unreachable!("pipelines hold SQL revisions")
                    };
                    section(entry, step.direction, up, down.as_ref()).file_line_of(pos)
                });
            sql_failure(entry, step.direction, line, err)
        };
        match located {
            Some(l) if l.index > committed => {
                tracing::debug!(
                    revision = %steps[l.index].revision,
                    "the server could not parse a pipelined revision; running the ones before it"
                );
                PipelineOutcome::Unparsed {
                    committed,
                    at: l.index,
                    error: failure(l.index, err),
                }
            }
            _ => {
                let index = first + committed;
                self.announce(run, index);
                let error = failure(committed, err);
                let step = &steps[committed];
                self.log_failure(client, self.entry(&step.revision), step.direction, &error)
                    .await;
                PipelineOutcome::Failed(error)
            }
        }
    }

    /// Reports the first `count` revisions of the pipeline from `first` as run, each with
    /// `share` of the pipeline's time.
    fn report_committed(
        &self,
        run: &mut PlanRun<'_>,
        first: usize,
        count: usize,
        share: std::time::Duration,
        pipeline_span: &tracing::Span,
    ) {
        for index in first..first + count {
            self.announce(run, index);
            let step = &run.steps[index];
            let span = tracing::info_span!(parent: pipeline_span, "pelican.revision", revision = %step.revision, direction = %step.direction);
            self.finished(run, index, share, &span);
        }
    }
}

/// Sends a pipeline and reads its responses: how many of its revisions began (their marks'
/// rows), and how it ended.
async fn send(client: &Client, sql: &str) -> (usize, Result<(), tokio_postgres::Error>) {
    let mut stream = match client.simple_query_raw(sql).await {
        Ok(stream) => Box::pin(stream),
        Err(err) => return (0, Err(err)),
    };
    let mut began = 0;
    loop {
        match std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
            None => return (began, Ok(())),
            Some(Ok(SimpleQueryMessage::RowDescription(columns)))
                if columns.len() == 1 && columns[0].name() == STEP_MARK_COLUMN =>
            {
                began += 1;
            }
            Some(Ok(_)) => {}
            Some(Err(err)) => return (began, Err(err)),
        }
    }
}
