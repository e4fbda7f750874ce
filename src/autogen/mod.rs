//! Autogenerate, pure: two [`Snapshot`]s in, the ordered DDL that turns the first into the
//! second (`up`) and back (`down`) out, each statement with its hazards. It never touches a
//! connection; where the snapshots come from, and running the result, is the caller's.
//!
//! It writes schemas; extensions; tables (unlogged, storage options, partitioned tables and
//! their partitions, inheritance: parents before children, partitions attached and detached,
//! what PostgreSQL copies from a parent never written twice); columns (type with `USING`,
//! default, `NOT NULL`, collation, identity, generated expression, comment); constraints;
//! indexes; views and materialized views (with their indexes); enum types (created, dropped,
//! labels added in place, or the type replaced when labels are removed or reordered);
//! composite and range types; domains; sequences (a `serial` column's included); functions,
//! procedures and aggregates; triggers (with their firing state); row-level security and
//! policies; the comments of all of these; and renames of tables and columns the caller
//! confirmed. The order follows what each kind may need of another (`tables::statements`
//! sets it out). Every other difference (a domain's base type or collation, a table's
//! partition key changing, a range type redefined, a composite's attribute retyped while in
//! use) is listed in [`ChangePlan::unsupported`], never skipped silently. [`online`] rewrites
//! a plan into its safe forms for a live database.
//!
//! ```
//! use pelican::autogen::{plan_changes, AutogenOptions};
//! use pelican::schema::{Column, QualifiedName, Snapshot, Table};
//!
//! let before = Snapshot::default();
//! let mut after = Snapshot::default();
//! after.schemas.insert("app".into(), Default::default());
//! let mut id = Column::new("id", "bigint");
//! id.not_null = true;
//! let mut table = Table::default();
//! table.columns.push(id);
//! after.tables.insert(QualifiedName::new("app", "tasks"), table);
//!
//! let plan = plan_changes(&before, &after, &AutogenOptions::default());
//! assert_eq!(plan.up_sql(), "CREATE SCHEMA app;\n\nCREATE TABLE app.tasks (\n    id bigint NOT NULL\n);\n");
//! assert_eq!(
//!     plan.down_sql(),
//!     "-- hazard: deletes data\n\
//!      -- hazard: not reversible: the down can't restore what this loses\n\
//!      DROP TABLE app.tasks;\n\nDROP SCHEMA app;\n"
//! );
//! # assert!(plan.unsupported.is_empty());
//! ```

mod columns;
mod comments;
mod depend;
mod domains;
mod dump;
mod enums;
mod extensions;
mod functions;
mod hazard;
mod hierarchy;
mod matviews;
mod mentions;
mod online;
mod phases;
mod policies;
mod privileges;
mod rekeyed;
mod renames;
mod sequences;
mod set_aside;
mod split;
mod statement;
mod storage;
mod tables;
mod triggers;
mod types;
mod unsupported;
mod views;

pub use dump::dump;
pub use hazard::Hazard;
pub use online::{online, OnlinePlan};
pub use renames::{RenameCandidate, RenameKind};
pub use split::labels_first;

use crate::schema::Snapshot;

/// What the caller decides for [`plan_changes`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutogenOptions {
    /// Confirmed renames, as `old=new` with names as [`RenameCandidate`] prints them:
    /// `app.tasks=app.todos` for a table, `app.tasks.title=app.tasks.name` for a column.
    /// A candidate not listed here is written as a drop and an add (its data is lost, and the
    /// statement says so).
    pub renames: Vec<(String, String)>,
    /// Whether to write `GRANT` and `REVOKE` for the privileges that differ (off by default):
    /// take both snapshots with
    /// [`include_privileges`](crate::schema::SnapshotOptions::include_privileges).
    pub privileges: bool,
}

impl AutogenOptions {
    /// Confirms one rename.
    pub fn rename(mut self, old: impl Into<String>, new: impl Into<String>) -> Self {
        self.renames.push((old.into(), new.into()));
        self
    }
}

/// One statement of a generated migration, with what it risks on a live database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStatement {
    /// The statement, without its final `;`.
    pub sql: String,
    /// What it risks; empty when nothing.
    pub hazards: Vec<Hazard>,
}

/// The DDL from one snapshot to another and back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangePlan {
    /// What turns the first snapshot into the second, in order.
    pub up: Vec<PlannedStatement>,
    /// What turns the second back into the first, in order.
    pub down: Vec<PlannedStatement>,
    /// Drops and adds that may be renames: the caller confirms them
    /// ([`AutogenOptions::renames`]) or leaves them as drop + add.
    pub rename_candidates: Vec<RenameCandidate>,
    /// Differences this version can't write yet, one line each, naming the object.
    pub unsupported: Vec<String>,
    /// Differences deliberately not acted on (column order), one line each.
    pub notes: Vec<String>,
}

impl ChangePlan {
    /// Whether the snapshots differ in nothing this plan would write or report.
    pub fn is_empty(&self) -> bool {
        self.up.is_empty() && self.unsupported.is_empty()
    }

    /// `up` as a script: each statement after a comment naming its hazards.
    pub fn up_sql(&self) -> String {
        script(&self.up)
    }

    /// `down` as a script.
    pub fn down_sql(&self) -> String {
        script(&self.down)
    }
}

/// Statements as a script, each after a comment naming its hazards (what
/// [`ChangePlan::up_sql`] writes, for any list: one revision's part of a plan, say).
pub fn script(statements: &[PlannedStatement]) -> String {
    statements
        .iter()
        .map(|statement| {
            let mut text = String::new();
            for hazard in &statement.hazards {
                text.push_str(&format!("-- hazard: {hazard}\n"));
            }
            text.push_str(&statement.sql);
            text.push_str(";\n");
            text
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The ordered DDL that turns `from` into `to` (`up`) and `to` back into `from` (`down`).
/// The same two snapshots always give the same statements, byte for byte.
pub fn plan_changes(from: &Snapshot, to: &Snapshot, options: &AutogenOptions) -> ChangePlan {
    let renames = renames::find(from, to, options);
    let mut up = tables::statements(from, to, &renames.confirmed);
    let mut down = tables::statements(to, from, &renames.reversed());
    if options.privileges {
        for (plan, from, to) in [(&mut up, from, to), (&mut down, to, from)] {
            let (first, last) = privileges::around(from, to, plan);
            plan.splice(0..0, first);
            plan.extend(last);
        }
    }
    ChangePlan {
        up,
        down,
        rename_candidates: renames.unanswered,
        unsupported: unsupported::differences(from, to),
        notes: tables::order_notes(from, to, &renames.confirmed),
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_depend;
#[cfg(test)]
mod tests_kinds;
#[cfg(test)]
mod tests_tables;
