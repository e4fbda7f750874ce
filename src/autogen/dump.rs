//! A schema as one SQL file: deterministic (the same snapshot gives the same bytes, whatever
//! order its objects were created in), in dependency order, grouped by kind, and loadable
//! into an empty database, where it gives the same snapshot back.

use super::{plan_changes, AutogenOptions};
use crate::schema::Snapshot;

/// What every new database has already: the `public` schema and the `plpgsql` extension.
fn new_database(snapshot: &Snapshot) -> Snapshot {
    let mut start = Snapshot::default();
    if let Some(public) = snapshot.schemas.get("public") {
        start.schemas.insert("public".to_owned(), public.clone());
    }
    if let Some(plpgsql) = snapshot.extensions.get("plpgsql") {
        start
            .extensions
            .insert("plpgsql".to_owned(), plpgsql.clone());
    }
    start
}

/// The SQL that builds `snapshot` in a new database, after a header comment that names no
/// time or host, so that two dumps of the same schema are byte for byte the same.
///
/// ```
/// use pelican::autogen::dump;
/// use pelican::schema::Snapshot;
///
/// let text = dump(&Snapshot::default(), "an empty database");
/// assert!(text.starts_with("-- pelican dump of an empty database"));
/// ```
pub fn dump(snapshot: &Snapshot, source: &str) -> String {
    let options = AutogenOptions {
        privileges: !snapshot.privileges.is_empty(),
        ..AutogenOptions::default()
    };
    let plan = plan_changes(&new_database(snapshot), snapshot, &options);
    let mut text = format!(
        "-- pelican dump of {source}: the schema, in dependency order. It loads into an empty\n\
         -- database (`psql -f`, or as autogenerate's desired schema). Written by pelican; the\n\
         -- same schema always gives the same bytes.\n"
    );
    for line in &plan.unsupported {
        text.push_str(&format!(
            "-- not written (pelican can't write this yet): {line}\n"
        ));
    }
    for statement in &plan.up {
        text.push('\n');
        text.push_str(&statement.sql);
        text.push_str(";\n");
    }
    text
}
