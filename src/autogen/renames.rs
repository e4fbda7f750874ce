//! Rename candidates: a dropped and an added table with the same columns, or a dropped and an
//! added column of one type in one table. They are never guessed: the caller confirms them, or
//! they stay a drop and an add.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::AutogenOptions;
use crate::schema::{QualifiedName, Snapshot, Table};

/// What a candidate renames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RenameKind {
    /// A table (in the same schema).
    Table,
    /// A column of a table.
    Column,
}

/// A drop and an add that may be one rename.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RenameCandidate {
    /// Table or column.
    pub kind: RenameKind,
    /// The old name: `app.tasks`, or `app.tasks.title` for a column.
    pub from: String,
    /// The new name.
    pub to: String,
}

impl fmt::Display for RenameCandidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            RenameKind::Table => "table",
            RenameKind::Column => "column",
        };
        write!(
            f,
            "{kind} {} may have been renamed to {} (confirm with --rename {}={})",
            self.from, self.to, self.from, self.to
        )
    }
}

/// Renames confirmed for one direction of the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Confirmed {
    /// Source table name → target table name.
    pub(super) tables: BTreeMap<QualifiedName, QualifiedName>,
    /// (target table name, source column) → target column.
    pub(super) columns: BTreeMap<(QualifiedName, String), String>,
}

impl Confirmed {
    /// The source table a target table comes from, if it was renamed.
    pub(super) fn table_source(&self, target: &QualifiedName) -> Option<&QualifiedName> {
        self.tables
            .iter()
            .find(|(_, to)| *to == target)
            .map(|(from, _)| from)
    }

    /// The source column a target column comes from, if it was renamed.
    pub(super) fn column_source(&self, table: &QualifiedName, target: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|((t, _), to)| t == table && to.as_str() == target)
            .map(|((_, from), _)| from.as_str())
    }
}

/// The candidates found, split into those the caller confirmed and the others.
pub(super) struct Renames {
    pub(super) confirmed: Confirmed,
    pub(super) unanswered: Vec<RenameCandidate>,
}

impl Renames {
    /// The confirmed renames, the other way round (for `down`).
    pub(super) fn reversed(&self) -> Confirmed {
        let tables: BTreeMap<QualifiedName, QualifiedName> = self
            .confirmed
            .tables
            .iter()
            .map(|(from, to)| (to.clone(), from.clone()))
            .collect();
        let columns = self
            .confirmed
            .columns
            .iter()
            .map(|((target, old), new)| {
                let source_table = self
                    .confirmed
                    .table_source(target)
                    .cloned()
                    .unwrap_or_else(|| target.clone());
                ((source_table, new.clone()), old.clone())
            })
            .collect();
        Confirmed { tables, columns }
    }
}

fn same_columns(a: &Table, b: &Table) -> bool {
    a.columns.len() == b.columns.len()
        && a.columns
            .iter()
            .zip(&b.columns)
            .all(|(x, y)| x.name == y.name && x.data_type == y.data_type)
}

/// Finds the candidates between `from` and `to`, confirmed or not by `options`.
pub(super) fn find(from: &Snapshot, to: &Snapshot, options: &AutogenOptions) -> Renames {
    let confirmed_pair = |old: &str, new: &str| {
        options
            .renames
            .iter()
            .any(|(o, n)| o.as_str() == old && n.as_str() == new)
    };
    let mut confirmed = Confirmed::default();
    let mut unanswered = Vec::new();
    let dropped: Vec<(&QualifiedName, &Table)> = from
        .tables
        .iter()
        .filter(|(name, _)| !to.tables.contains_key(*name))
        .collect();
    let added: Vec<(&QualifiedName, &Table)> = to
        .tables
        .iter()
        .filter(|(name, _)| !from.tables.contains_key(*name))
        .collect();
    let mut taken = BTreeSet::new();
    for (old, old_table) in &dropped {
        for (new, new_table) in &added {
            if old.schema != new.schema
                || taken.contains(*new)
                || !same_columns(old_table, new_table)
            {
                continue;
            }
            let candidate = RenameCandidate {
                kind: RenameKind::Table,
                from: old.to_string(),
                to: new.to_string(),
            };
            if confirmed_pair(&candidate.from, &candidate.to) {
                confirmed.tables.insert((*old).clone(), (*new).clone());
                taken.insert((*new).clone());
                break;
            }
            unanswered.push(candidate);
        }
    }
    // Columns of the tables both sides have (a renamed table counts under its new name).
    for (name, target) in &to.tables {
        let source_name = confirmed.table_source(name).unwrap_or(name).clone();
        let Some(source) = from.tables.get(&source_name) else {
            continue;
        };
        let gone: Vec<_> = source
            .columns
            .iter()
            .filter(|c| target.column(&c.name).is_none())
            .collect();
        let new: Vec<_> = target
            .columns
            .iter()
            .filter(|c| source.column(&c.name).is_none())
            .collect();
        let mut used = BTreeSet::new();
        for old_column in &gone {
            for new_column in &new {
                if old_column.data_type != new_column.data_type || used.contains(&new_column.name) {
                    continue;
                }
                let candidate = RenameCandidate {
                    kind: RenameKind::Column,
                    from: format!("{source_name}.{}", crate::schema::ident(&old_column.name)),
                    to: format!("{name}.{}", crate::schema::ident(&new_column.name)),
                };
                if confirmed_pair(&candidate.from, &candidate.to) {
                    confirmed.columns.insert(
                        ((*name).clone(), old_column.name.clone()),
                        new_column.name.clone(),
                    );
                    used.insert(new_column.name.clone());
                    break;
                }
                unanswered.push(candidate);
            }
        }
    }
    // A candidate sharing an end with a confirmed rename is answered by it.
    let renamed_from: BTreeSet<String> = confirmed
        .tables
        .keys()
        .map(ToString::to_string)
        .chain(options.renames.iter().map(|(old, _)| old.clone()))
        .collect();
    let renamed_to: BTreeSet<&str> = options
        .renames
        .iter()
        .map(|(_, new)| new.as_str())
        .collect();
    unanswered.retain(|c| !renamed_from.contains(&c.from) && !renamed_to.contains(c.to.as_str()));
    unanswered.sort();
    Renames {
        confirmed,
        unanswered,
    }
}
