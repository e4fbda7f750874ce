//! # pelican
//!
//! Alembic's revision model for PostgreSQL, done right for Rust: migrations live in the
//! application binary, form a revision DAG (branches, merges, `depends_on`, branch labels),
//! run forward and back, and can never be edited silently once applied.
//!
//! The crate is layered. The **pure core** decides *what* runs and never touches a
//! connection:
//!
//! * [`revision`]: revision ids, metadata and checksums;
//! * [`source`]: migration files (text → [`Revision`] + up/down bodies) and the directory loader;
//! * [`graph`]: the validated [`RevisionGraph`] with heads, bases, ancestry, labels and lookups;
//! * [`target`]: parsing and resolving targets such as `head`, `ae1f@head` or `-2`;
//! * [`plan`]: the ordered [`Plan`] of up/down steps from an applied set to a target;
//! * [`offline`]: a plan rendered as one SQL script (Alembic's `--sql`);
//! * [`guard`]: the opt-in DDL guard, event triggers that log DDL run outside pelican;
//! * `diagram` (feature `diagram`): the DAG drawn for a terminal (like `git log --graph`),
//!   Graphviz or Mermaid.
//!
//! ```
//! use pelican::{plan::Planner, Revision, RevisionGraph, Target};
//! use std::collections::HashSet;
//!
//! let revisions = vec![
//!     Revision::new("a1".parse()?),
//!     Revision::new("a2".parse()?).with_parents(vec!["a1".parse()?]),
//! ];
//! let graph = RevisionGraph::new(revisions)?;
//! let applied: HashSet<String> = HashSet::new();
//! let plan = Planner::new(&graph, &applied)?.upgrade(&"head".parse::<Target>()?)?;
//! let ids: Vec<&str> = plan.steps().iter().map(|s| s.revision.as_str()).collect();
//! assert_eq!(ids, ["a1", "a2"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Cargo features
//!
//! None is on by default: an application that migrates at startup compiles only what it runs.
//!
//! * `testing`: `pelican::testing` (throwaway servers, `TempSchema`, `TempDatabase`,
//!   `#[pelican::test]`, the round-trip checks), for `[dev-dependencies]`; brings `schema`.
//! * `schema`: `pelican::schema`, snapshots of a database's schemas and their diff.
//! * `diagram`: `pelican::diagram`, the revision graph drawn as text, dot or mermaid.
//! * `cli`: the `pelican` binary and `pelican::cli` (brings `diagram`).
#![warn(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(feature = "schema")]
pub mod autogen;
#[path = "build_support.rs"]
pub mod build;
#[cfg(feature = "cli")]
pub mod cli;
// Connection strings: the runtime redacts them in its errors, the tools parse them.
#[cfg_attr(not(all(feature = "testing", feature = "tls")), allow(dead_code))]
mod conninfo;
#[cfg(feature = "diagram")]
pub mod diagram;
pub mod embedded;
pub mod error;
#[cfg(feature = "fleet")]
pub mod fleet;
pub mod graph;
pub mod guard;
pub mod history;
#[cfg(feature = "lint")]
pub mod lint;
pub mod lock;
pub mod migration;
pub mod migrator;
pub mod offline;
pub mod plan;
mod privilege;
mod quote;
pub mod revision;
#[cfg(feature = "schema")]
pub mod schema;
#[cfg(feature = "testing")]
pub mod scratch;
pub mod source;
mod sql;
pub mod target;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "tls")]
pub mod tls;

pub use async_trait::async_trait;
/// The `deadpool-postgres` pelican is built on: a [`Pool`](deadpool_postgres::Pool) made with
/// it is a [`Database`] without a version mismatch in your `Cargo.toml`.
pub use deadpool_postgres;
pub use embedded::EmbeddedMigrations;
pub use error::Error;
pub use graph::{GraphError, RevisionGraph};
pub use lock::{Connection, Database};
pub use migration::{Migration, MigrationSet};
pub use migrator::{Migrator, Progress, Report, StampReport, Status, StepReport, TransactionMode};
/// Embeds a migrations directory in the binary at compile time; see [`embedded`].
#[doc(inline)]
pub use pelican_macros::embed_migrations;
/// Runs an async test with a migrated, throwaway schema or database; see [`testing`].
#[cfg(feature = "testing")]
#[doc(inline)]
pub use pelican_macros::test;
pub use plan::{Direction, Plan, PlanError, Planner, StampPlan, Step};
pub use revision::{Checksum, ChecksumAlgorithm, Revision, RevisionId};
pub use target::{Target, TargetError};
/// The `tokio-postgres` pelican is built on: the [`Client`](tokio_postgres::Client) that
/// Rust migrations receive, and a [`Database`] itself.
pub use tokio_postgres;

/// What macro expansions refer to; not a public API.
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod __private {
    pub use crate::testing::temp::test::run_test;
}
