//! The statements of every kind beyond tables, enum types and schemas, grouped by where they
//! go among the tables' statements (`tables::statements` places each group).

use std::collections::BTreeSet;

use super::depend::Reshaped;
use super::renames::Confirmed;
use super::set_aside::SetAside;
use super::PlannedStatement;
use crate::schema::{QualifiedName, Snapshot};

/// Each group, in the order `tables::statements` places them.
pub(super) struct Phases {
    /// Right after the schemas are created: extensions.
    pub(super) after_schemas: Vec<PlannedStatement>,
    /// Before anything changes: triggers, then views and materialized views, that go away or
    /// are created again; then the defaults and checks that call a routine created again,
    /// and that routine.
    pub(super) drops_first: Vec<PlannedStatement>,
    /// After the enum types, before the tables: domains, sequences, routines.
    pub(super) before_tables: Vec<PlannedStatement>,
    /// Once the tables are created and altered: sequence owners, `LANGUAGE sql` routines that
    /// name them.
    pub(super) after_tables: Vec<PlannedStatement>,
    /// After the tables are dropped, before the enum types: routines, domains, sequences.
    pub(super) after_dropped_tables: Vec<PlannedStatement>,
    /// Before the schemas are dropped: extensions.
    pub(super) before_dropped_schemas: Vec<PlannedStatement>,
    /// Defaults and checks dropped before the routines they call are (`drops_first` has
    /// their statements).
    pub(super) set_aside: SetAside,
    /// Last: views and materialized views, the routines that read them, triggers, comments.
    pub(super) last: Vec<PlannedStatement>,
}

/// The groups from `from` to `to`; `reshaped` what the tables' changes take from under a
/// view; `changed_tables` the tables of `to` the plan
/// creates, renames or whose columns change.
pub(super) fn plan(
    from: &Snapshot,
    to: &Snapshot,
    renames: &Confirmed,
    reshaped: &Reshaped,
    changed_tables: &BTreeSet<&QualifiedName>,
) -> Phases {
    let rebuilt_functions = super::functions::rebuilt(from, to);
    let views = super::views::statements(from, to, reshaped, &rebuilt_functions);
    let functions = super::functions::statements(from, to, changed_tables, &views.created);
    let mut set_aside = super::set_aside::plan(from, &functions.rebuilt);
    let rebuilt = super::triggers::Rebuilt {
        functions: &functions.rebuilt,
        views: &views.created,
        dependencies: &from.dependencies,
    };
    let mut drops_first = super::triggers::drops(from, to, &rebuilt);
    drops_first.extend(views.drops);
    drops_first.append(&mut set_aside.drops);
    drops_first.extend(functions.drops_first);
    let mut before_tables = super::domains::creates(&from.domains, &to.domains);
    before_tables.extend(super::sequences::before_tables(from, to, renames));
    before_tables.extend(functions.before_tables);
    let mut after_tables = super::sequences::after_tables(from, to, renames);
    after_tables.extend(functions.after_tables);
    let mut after_dropped_tables = functions.drops;
    after_dropped_tables.extend(super::domains::drops(&from.domains, &to.domains));
    after_dropped_tables.extend(super::sequences::drops(from, to, renames));
    let mut last = views.creates;
    last.extend(functions.after_views);
    last.extend(super::triggers::creates(from, to, &rebuilt));
    last.extend(super::comments::statements(
        from,
        to,
        renames,
        &views.created,
    ));
    Phases {
        after_schemas: super::extensions::creates(&from.extensions, &to.extensions),
        drops_first,
        before_tables,
        after_tables,
        after_dropped_tables,
        before_dropped_schemas: super::extensions::drops(&from.extensions, &to.extensions),
        set_aside,
        last,
    }
}
