//! Extensions: created right after the schemas (their types and functions may be used by
//! everything else), dropped last, before the schemas; a version change is `ALTER EXTENSION
//! ... UPDATE TO`, which works only where the extension ships a script for that step (most
//! have none going back: the statement says so).

use std::collections::BTreeMap;

use super::hazard::Hazard;
use super::statement::{comment_sql, statement};
use super::PlannedStatement;
use crate::quote::literal;
use crate::schema::{ident, Extension};

/// New extensions, updated and moved ones, and comments.
pub(super) fn creates(
    from: &BTreeMap<String, Extension>,
    to: &BTreeMap<String, Extension>,
) -> Vec<PlannedStatement> {
    let mut out = Vec::new();
    for (name, extension) in to {
        let quoted = ident(name);
        match from.get(name) {
            None => {
                out.push(statement(
                    format!(
                        "CREATE EXTENSION IF NOT EXISTS {quoted} WITH SCHEMA {} VERSION {}",
                        ident(&extension.schema),
                        literal(&extension.version)
                    ),
                    vec![],
                ));
                // The control file sets a comment of its own: always say which one.
                out.push(statement(
                    comment_sql("EXTENSION", &quoted, &extension.comment),
                    vec![],
                ));
            }
            Some(old) => {
                if old.version != extension.version {
                    out.push(statement(
                        format!(
                            "ALTER EXTENSION {quoted} UPDATE TO {}",
                            literal(&extension.version)
                        ),
                        vec![Hazard::NotReversible],
                    ));
                }
                if old.schema != extension.schema {
                    out.push(statement(
                        format!(
                            "ALTER EXTENSION {quoted} SET SCHEMA {}",
                            ident(&extension.schema)
                        ),
                        vec![Hazard::BreaksClients],
                    ));
                }
                if old.comment != extension.comment {
                    out.push(statement(
                        comment_sql("EXTENSION", &quoted, &extension.comment),
                        vec![],
                    ));
                }
            }
        }
    }
    out
}

/// Extensions that go away: after everything that could use them.
pub(super) fn drops(
    from: &BTreeMap<String, Extension>,
    to: &BTreeMap<String, Extension>,
) -> Vec<PlannedStatement> {
    from.keys()
        .filter(|name| !to.contains_key(*name))
        .map(|name| statement(format!("DROP EXTENSION {}", ident(name)), vec![]))
        .collect()
}
