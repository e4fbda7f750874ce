//! Who uses what: the dependencies `pg_depend` records between the snapshot's objects, keyed
//! by names (never OIDs), so two databases built by the same DDL give equal snapshots.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::names::{ident, ColumnName, FunctionName, QualifiedName, TriggerName};

/// An object one of [`Snapshot::dependencies`](super::Snapshot::dependencies) names: what
/// depends, or what it depends on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ObjectRef {
    /// A table, view, materialized view or sequence (their names share one namespace). A
    /// view's column is its view: views are dropped and created whole.
    Relation(QualifiedName),
    /// A column of a table.
    Column(ColumnName),
    /// A function, procedure or aggregate.
    Function(FunctionName),
    /// An enum, composite or range type, or a domain (an array of one is the type itself).
    Type(QualifiedName),
    /// The default (or generation expression) of a column.
    Default(ColumnName),
    /// A constraint of a table, by table and name.
    Constraint(QualifiedName, String),
    /// A trigger.
    Trigger(TriggerName),
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectRef::Relation(name) => write!(f, "relation {name}"),
            ObjectRef::Column(name) => write!(f, "column {name}"),
            ObjectRef::Function(name) => write!(f, "function {name}"),
            ObjectRef::Type(name) => write!(f, "type {name}"),
            ObjectRef::Default(name) => write!(f, "default of {name}"),
            ObjectRef::Constraint(table, name) => {
                write!(f, "constraint {} on {table}", ident(name))
            }
            ObjectRef::Trigger(name) => write!(f, "trigger {name}"),
        }
    }
}

/// What each object depends on, as [`Snapshot::dependencies`](super::Snapshot::dependencies)
/// holds it.
pub type Dependencies = BTreeMap<ObjectRef, BTreeSet<ObjectRef>>;
