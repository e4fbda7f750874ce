//! What a generated statement risks on a live database, named per statement.

use std::fmt;

/// A risk of one statement, written as a comment above it in the generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Hazard {
    /// Data is lost: a table, a column, a constraint's guarantee.
    DeletesData,
    /// PostgreSQL rewrites the whole table (a type change, most collation changes).
    RewritesTable,
    /// Takes `ACCESS EXCLUSIVE` on a table that exists: every query on it waits meanwhile.
    AccessExclusive,
    /// Scans the whole table while holding its lock (`SET NOT NULL`, validating a
    /// constraint).
    ScansUnderLock,
    /// Builds an index while writes to the table wait (not `CONCURRENTLY`).
    BuildsIndexUnderWriteLock,
    /// Clients that use the old name break (a rename).
    BreaksClients,
    /// The down can't give back what the up took (a lossy cast, dropped data).
    NotReversible,
    /// Fails when the table already holds rows that break the new rule.
    FailsOnExistingRows,
}

impl fmt::Display for Hazard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Hazard::DeletesData => "deletes data",
            Hazard::RewritesTable => "rewrites the table",
            Hazard::AccessExclusive => "takes ACCESS EXCLUSIVE on an existing table",
            Hazard::ScansUnderLock => "scans the table while holding its lock",
            Hazard::BuildsIndexUnderWriteLock => {
                "builds an index while writes wait (not CONCURRENTLY)"
            }
            Hazard::BreaksClients => "breaks clients that use the old name",
            Hazard::NotReversible => "not reversible: the down can't restore what this loses",
            Hazard::FailsOnExistingRows => "fails if existing rows break the new rule",
        })
    }
}
