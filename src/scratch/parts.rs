//! Verifying a migration written as several revisions (`--online`'s statements that run
//! outside a transaction, enum labels that must be committed before they are used): the
//! parts run one after the other on a scratch copy of the start, and each part's down is
//! planned from the states actually reached, so the downs are as verified as the ups.

use super::verify::{differences, forget_empty_history_schema, Verification};
use super::{ScratchDatabase, ScratchError};
use crate::autogen::{plan_changes, script, AutogenOptions, PlannedStatement};
use crate::schema::Snapshot;

/// One revision of a migration written as several, in the order they run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevisionPart {
    /// Its up.
    pub up: Vec<PlannedStatement>,
    /// Its down: planned from the state its up reached back to the state before it.
    pub down: Vec<PlannedStatement>,
    /// Whether it runs statement by statement outside any transaction (`transaction: false`).
    pub outside_transaction: bool,
    /// Why this part stands alone, for the file's comment.
    pub why: &'static str,
}

impl RevisionPart {
    /// A part to verify: its up, and how it runs.
    pub(crate) fn new(
        up: Vec<PlannedStatement>,
        outside_transaction: bool,
        why: &'static str,
    ) -> Self {
        RevisionPart {
            up,
            down: Vec::new(),
            outside_transaction,
            why,
        }
    }
}

/// Runs `parts` on `database` (which holds the start), plans each part's down from the states
/// reached, and runs the downs back. `Verification::between` compares each intermediate state
/// reached going down with the one reached going up.
pub(crate) async fn verify_parts(
    database: &ScratchDatabase,
    from: &Snapshot,
    to: &Snapshot,
    mut parts: Vec<RevisionPart>,
    history_schema: &str,
    options: &AutogenOptions,
) -> Result<(Vec<RevisionPart>, Verification), ScratchError> {
    let snapshot = || async {
        let mut snapshot = database.snapshot().await?;
        forget_empty_history_schema(&mut snapshot, to, history_schema);
        Ok::<_, ScratchError>(snapshot)
    };
    let mut states = vec![snapshot().await?];
    let mut verification = Verification {
        start: differences(from, &states[0]),
        ..Verification::default()
    };
    for (number, part) in parts.iter().enumerate() {
        let action = format!(
            "the generated up (revision {} of {}) failed",
            number + 1,
            parts.len()
        );
        if let Err(error) = run(database, &action, part).await {
            verification.failed = Some(error.to_string());
            return Ok((parts, verification));
        }
        states.push(snapshot().await?);
    }
    verification.after_up = differences(to, states.last().expect("the start at least"));

    // Downs, last part first. A part that renames renames back; the others rename nothing.
    let back = AutogenOptions {
        renames: options
            .renames
            .iter()
            .map(|(old, new)| (new.clone(), old.clone()))
            .collect(),
        privileges: options.privileges,
    };
    let none = AutogenOptions {
        privileges: options.privileges,
        ..AutogenOptions::default()
    };
    let count = parts.len();
    for number in (0..count).rev() {
        let renames = parts[number].up.iter().any(|s| s.sql.contains(" RENAME "));
        let plan_options = if renames { &back } else { &none };
        let reached = snapshot().await?;
        parts[number].down = plan_changes(&reached, &states[number], plan_options).up;
        let action = format!(
            "the generated down (revision {} of {count}) failed",
            number + 1
        );
        let down = RevisionPart {
            up: parts[number].down.clone(),
            ..parts[number].clone()
        };
        if let Err(error) = run(database, &action, &down).await {
            verification.failed = Some(error.to_string());
            return Ok((parts, verification));
        }
        let back_at = snapshot().await?;
        if number == 0 {
            verification.after_down = differences(&states[0], &back_at);
        } else {
            verification
                .between
                .extend(differences(&states[number], &back_at));
        }
    }
    Ok((parts, verification))
}

async fn run(
    database: &ScratchDatabase,
    action: &str,
    part: &RevisionPart,
) -> Result<(), ScratchError> {
    if part.outside_transaction {
        for statement in &part.up {
            database.execute(action, &statement.sql).await?;
        }
        Ok(())
    } else {
        database.execute(action, &script(&part.up)).await
    }
}
