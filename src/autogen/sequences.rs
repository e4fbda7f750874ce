//! Sequences (not identity ones, which belong to their column): created before the tables
//! (a default `nextval('app.t_id_seq'::regclass)` needs them), owned by their column once the
//! tables exist, and dropped after the tables, except those that go with their owning column
//! (PostgreSQL drops an owned sequence with its column or table, so a `DROP` would fail).

use super::hazard::Hazard;
use super::renames::Confirmed;
use super::statement::{comment_sql, sequence_options, statement};
use super::PlannedStatement;
use crate::schema::{ColumnName, QualifiedName, Sequence, Snapshot};

/// `AS type START WITH ... [NO] CYCLE`: every option, so the result never depends on the
/// defaults of the type.
fn options(sequence: &Sequence) -> String {
    format!(
        "AS {} {}",
        sequence.data_type,
        sequence_options(&sequence.options)
    )
}

/// Where a source column ends up in the target (under a confirmed rename, perhaps), when it
/// is still there.
fn carried(owner: &ColumnName, to: &Snapshot, renames: &Confirmed) -> Option<ColumnName> {
    let table = renames
        .tables
        .get(&owner.table)
        .cloned()
        .unwrap_or_else(|| owner.table.clone());
    let renamed_away = renames.tables.values().any(|new| new == &owner.table)
        && !renames.tables.contains_key(&owner.table);
    if renamed_away {
        return None;
    }
    let name = renames
        .columns
        .get(&(table.clone(), owner.name.clone()))
        .cloned()
        .unwrap_or_else(|| owner.name.clone());
    let column_renamed_away = renames
        .columns
        .iter()
        .any(|((t, _), new)| t == &table && new == &owner.name)
        && !renames
            .columns
            .contains_key(&(table.clone(), owner.name.clone()));
    let exists = to
        .tables
        .get(&table)
        .is_some_and(|t| t.column(&name).is_some());
    (exists && !column_renamed_away).then_some(ColumnName { table, name })
}

fn owned_by(name: &QualifiedName, owner: Option<&ColumnName>) -> PlannedStatement {
    let owner = owner.map_or("NONE".to_owned(), ToString::to_string);
    statement(format!("ALTER SEQUENCE {name} OWNED BY {owner}"), vec![])
}

/// Whether the owner of `old` (carried into the target) differs from that of `new`.
fn owner_changes(old: &Sequence, new: &Sequence, to: &Snapshot, renames: &Confirmed) -> bool {
    old.owned_by.as_ref().and_then(|o| carried(o, to, renames)) != new.owned_by
}

/// Before the tables change: new sequences, changed options, comments, and ownership given up
/// (before a column that owned a sequence that stays is dropped, which would drop it).
pub(super) fn before_tables(
    from: &Snapshot,
    to: &Snapshot,
    renames: &Confirmed,
) -> Vec<PlannedStatement> {
    let mut out = Vec::new();
    for (name, sequence) in &to.sequences {
        let Some(old) = from.sequences.get(name) else {
            out.push(statement(
                format!("CREATE SEQUENCE {name} {}", options(sequence)),
                vec![],
            ));
            if sequence.comment.is_some() {
                out.push(statement(
                    comment_sql("SEQUENCE", &name.to_string(), &sequence.comment),
                    vec![],
                ));
            }
            continue;
        };
        if old.options != sequence.options || old.data_type != sequence.data_type {
            out.push(statement(
                format!("ALTER SEQUENCE {name} {}", options(sequence)),
                vec![],
            ));
        }
        if old.owned_by.is_some() && owner_changes(old, sequence, to, renames) {
            out.push(owned_by(name, None));
        }
        if old.comment != sequence.comment {
            out.push(statement(
                comment_sql("SEQUENCE", &name.to_string(), &sequence.comment),
                vec![],
            ));
        }
    }
    out
}

/// Once the tables exist: the owners of new sequences and of those whose owner changed.
pub(super) fn after_tables(
    from: &Snapshot,
    to: &Snapshot,
    renames: &Confirmed,
) -> Vec<PlannedStatement> {
    to.sequences
        .iter()
        .filter(|(name, sequence)| {
            sequence.owned_by.is_some()
                && from
                    .sequences
                    .get(*name)
                    .is_none_or(|old| owner_changes(old, sequence, to, renames))
        })
        .map(|(name, sequence)| owned_by(name, sequence.owned_by.as_ref()))
        .collect()
}

/// After the tables are dropped: sequences that go away and were not dropped with their
/// owning column.
pub(super) fn drops(from: &Snapshot, to: &Snapshot, renames: &Confirmed) -> Vec<PlannedStatement> {
    from.sequences
        .iter()
        .filter(|(name, sequence)| {
            !to.sequences.contains_key(*name)
                && sequence
                    .owned_by
                    .as_ref()
                    .is_none_or(|owner| carried(owner, to, renames).is_some())
        })
        .map(|(name, _)| statement(format!("DROP SEQUENCE {name}"), vec![Hazard::NotReversible]))
        .collect()
}
