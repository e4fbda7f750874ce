//! Self-verification: a generated plan is run on a scratch copy of its start before anyone
//! receives it. `up` must give the desired schema, `down` must give the start back.

use crate::autogen::ChangePlan;
use crate::schema::Snapshot;

use super::{ScratchDatabase, ScratchError};

/// What running a plan on a scratch copy of its start showed. Every list is empty, and
/// `failed` is `None`, when the plan does what it says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verification {
    /// How the scratch copy of the start differs from the start itself (when the start had to
    /// be rebuilt from its snapshot): what the other checks could not see.
    pub start: Vec<String>,
    /// How the schema after `up` differs from the desired one.
    pub after_up: Vec<String>,
    /// How the schema after `down` differs from the start.
    pub after_down: Vec<String>,
    /// For a migration in several revisions: how the schema after a revision's down differs
    /// from the schema its up started from (beyond the first revision, which is `after_down`).
    pub between: Vec<String>,
    /// A script that failed, and PostgreSQL's error.
    pub failed: Option<String>,
}

impl Verification {
    /// Whether the plan did exactly what it says.
    pub fn passed(&self) -> bool {
        self.start.is_empty()
            && self.after_up.is_empty()
            && self.after_down.is_empty()
            && self.between.is_empty()
            && self.failed.is_none()
    }

    /// One line per problem, for a report or the generated file's comment.
    pub fn problems(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(failed) = &self.failed {
            lines.push(failed.clone());
        }
        let sections = [
            ("the scratch copy of the start differs from it", &self.start),
            (
                "after up, the schema differs from the desired one",
                &self.after_up,
            ),
            (
                "after down, the schema differs from the start",
                &self.after_down,
            ),
        ];
        for (what, differences) in sections {
            for difference in differences {
                lines.push(format!("{what}: {difference}"));
            }
        }
        lines
    }
}

/// Column order is not something autogenerate changes (it says so in a note), so it is not
/// compared.
fn comparable(snapshot: &Snapshot) -> Snapshot {
    let mut snapshot = snapshot.clone();
    for table in snapshot.tables.values_mut() {
        table.columns.sort_by(|a, b| a.name.cmp(&b.name));
    }
    snapshot
}

pub(crate) fn differences(expected: &Snapshot, actual: &Snapshot) -> Vec<String> {
    comparable(expected).diff(&comparable(actual)).lines()
}

/// Runs `plan` on `database`, which holds the start, and compares: the start with `from`,
/// the result of `up` with `to`, the result of `down` with the start (the history schema
/// left out of each as [`forget_empty_history_schema`] says).
pub(crate) async fn verify(
    database: &ScratchDatabase,
    from: &Snapshot,
    to: &Snapshot,
    plan: &ChangePlan,
    history_schema: &str,
) -> Result<Verification, ScratchError> {
    let snapshot = || async {
        let mut snapshot = database.snapshot().await?;
        forget_empty_history_schema(&mut snapshot, to, history_schema);
        Ok::<_, ScratchError>(snapshot)
    };
    let start = snapshot().await?;
    let mut verification = Verification {
        start: differences(from, &start),
        ..Verification::default()
    };
    if let Err(error) = database
        .execute("the generated up failed", &plan.up_sql())
        .await
    {
        verification.failed = Some(error.to_string());
        return Ok(verification);
    }
    verification.after_up = differences(to, &snapshot().await?);
    if let Err(error) = database
        .execute("the generated down failed", &plan.down_sql())
        .await
    {
        verification.failed = Some(error.to_string());
        return Ok(verification);
    }
    verification.after_down = differences(&start, &snapshot().await?);
    Ok(verification)
}

/// The history tables' own schema is not the application's: when it holds nothing else and
/// the desired schema doesn't define it, it is not a schema to drop.
pub(crate) fn forget_empty_history_schema(from: &mut Snapshot, to: &Snapshot, schema: &str) {
    if to.schemas.contains_key(schema) {
        return;
    }
    let used = from.tables.keys().any(|n| n.schema == schema)
        || from.views.keys().any(|n| n.schema == schema)
        || from.materialized_views.keys().any(|n| n.schema == schema)
        || from.sequences.keys().any(|n| n.schema == schema)
        || from.functions.keys().any(|n| n.schema == schema)
        || from.enums.keys().any(|n| n.schema == schema)
        || from.domains.keys().any(|n| n.schema == schema)
        || from.indexes.keys().any(|n| n.schema == schema);
    if !used {
        from.schemas.remove(schema);
    }
}
