//! Foreign keys that lean on a key going away: PostgreSQL ties a foreign key to a unique index
//! of the table it references, so that key (a primary key, a unique constraint or a unique
//! index) can't be dropped while the foreign key stands. Such a foreign key is dropped before
//! and added again after, as if it had changed.

use std::collections::BTreeSet;

use crate::schema::{Constraint, ConstraintKind, QualifiedName, Snapshot, Table};

/// The tables (under their old and new names) that lose or change a primary key, a unique
/// constraint or a unique index. `pairs`: each kept table as (old name, old, new name, new).
pub(super) fn tables<'a>(
    from: &'a Snapshot,
    to: &Snapshot,
    pairs: impl Iterator<Item = (&'a QualifiedName, &'a Table, &'a QualifiedName, &'a Table)>,
) -> BTreeSet<&'a QualifiedName> {
    let mut out = BTreeSet::new();
    for (old_name, old, new_name, new) in pairs {
        let lost_constraint = old.constraints.iter().any(|(name, c)| {
            matches!(c.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique)
                && new
                    .constraints
                    .get(name)
                    .is_none_or(|n| (n.kind, &n.definition) != (c.kind, &c.definition))
        });
        let lost_index = from.indexes.iter().any(|(name, index)| {
            index.table == *old_name
                && index.definition.starts_with("CREATE UNIQUE INDEX")
                && to
                    .indexes
                    .get(name)
                    .is_none_or(|i| i.definition != index.definition)
        });
        if lost_constraint || lost_index {
            out.insert(old_name);
            out.insert(new_name);
        }
    }
    out
}

/// Whether `constraint` is a foreign key referencing one of `tables`.
pub(super) fn leans_on(constraint: &Constraint, tables: &BTreeSet<&QualifiedName>) -> bool {
    constraint.kind == ConstraintKind::ForeignKey
        && tables
            .iter()
            .any(|t| constraint.definition.contains(&format!(" REFERENCES {t}(")))
}
