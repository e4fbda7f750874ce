//! Verifying an `--online` plan: its two parts (one transaction, then statement by statement)
//! run on a scratch copy of the start, and each part's down planned from the states actually
//! reached, so the downs are as verified as the ups.

use super::verify::{differences, forget_empty_history_schema, Verification};
use super::{ScratchDatabase, ScratchError};
use crate::autogen::{plan_changes, AutogenOptions, ChangePlan, OnlinePlan, PlannedStatement};
use crate::schema::Snapshot;

/// An online migration: two revisions, the second `transaction: false`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OnlineMigration {
    /// The first revision's up: runs in one transaction.
    pub first_up: Vec<PlannedStatement>,
    /// The first revision's down.
    pub first_down: Vec<PlannedStatement>,
    /// The second revision's up: statement by statement, outside any transaction.
    pub second_up: Vec<PlannedStatement>,
    /// The second revision's down.
    pub second_down: Vec<PlannedStatement>,
}

fn script(statements: &[PlannedStatement]) -> String {
    ChangePlan {
        up: statements.to_vec(),
        ..ChangePlan::default()
    }
    .up_sql()
}

/// Runs `split` on `database` (which holds the start) and plans the downs from the states it
/// reaches. `Verification::between` compares the state after the second part's down with the
/// state after the first part's up.
pub(crate) async fn verify_online(
    database: &ScratchDatabase,
    from: &Snapshot,
    to: &Snapshot,
    split: OnlinePlan,
    history_schema: &str,
    options: &AutogenOptions,
) -> Result<(OnlineMigration, Verification), ScratchError> {
    let snapshot = || async {
        let mut snapshot = database.snapshot().await?;
        forget_empty_history_schema(&mut snapshot, to, history_schema);
        Ok::<_, ScratchError>(snapshot)
    };
    let mut migration = OnlineMigration {
        first_up: split.transactional,
        second_up: split.concurrent,
        ..OnlineMigration::default()
    };
    let start = snapshot().await?;
    let mut verification = Verification {
        start: differences(from, &start),
        ..Verification::default()
    };
    // The downs are planned between states the database went through; the second part
    // renames nothing.
    let none = AutogenOptions {
        privileges: options.privileges,
        ..AutogenOptions::default()
    };

    let failed = "the generated up (first part) failed";
    if let Err(error) = run(database, failed, &migration.first_up, false).await {
        verification.failed = Some(error.to_string());
        return Ok((migration, verification));
    }
    let middle = snapshot().await?;
    let failed = "the generated up (second part) failed";
    if let Err(error) = run(database, failed, &migration.second_up, true).await {
        verification.failed = Some(error.to_string());
        return Ok((migration, verification));
    }
    let end = snapshot().await?;
    verification.after_up = differences(to, &end);

    migration.second_down = plan_changes(&end, &middle, &none).up;
    let failed = "the generated down (second part) failed";
    if let Err(error) = run(database, failed, &migration.second_down, true).await {
        verification.failed = Some(error.to_string());
        return Ok((migration, verification));
    }
    verification.between = differences(&middle, &snapshot().await?);
    // The first part holds the confirmed renames: its down renames back.
    let back = AutogenOptions {
        renames: options
            .renames
            .iter()
            .map(|(old, new)| (new.clone(), old.clone()))
            .collect(),
        ..none.clone()
    };
    migration.first_down = plan_changes(&middle, &start, &back).up;
    let failed = "the generated down (first part) failed";
    if let Err(error) = run(database, failed, &migration.first_down, false).await {
        verification.failed = Some(error.to_string());
        return Ok((migration, verification));
    }
    verification.after_down = differences(&start, &snapshot().await?);
    Ok((migration, verification))
}

async fn run(
    database: &ScratchDatabase,
    action: &str,
    statements: &[PlannedStatement],
    one_by_one: bool,
) -> Result<(), ScratchError> {
    if one_by_one {
        for statement in statements {
            database.execute(action, &statement.sql).await?;
        }
        Ok(())
    } else {
        database.execute(action, &script(statements)).await
    }
}
