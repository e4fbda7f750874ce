//! `--online`: a plan rewritten so that no statement holds a busy table's lock for long.
//! Where PostgreSQL has a safe form, the statement is split: the part that needs the lock
//! only briefly stays in the transactional migration (a constraint added `NOT VALID`), and the
//! part that scans or builds runs afterwards in a `transaction: false` migration of its own
//! (`CREATE INDEX CONCURRENTLY`, `VALIDATE CONSTRAINT`). Statements on tables the plan
//! creates have no hazard and are left as they are.

use super::hazard::Hazard;
use super::statement::statement;
use super::PlannedStatement;

/// A plan in two parts: the first runs in one transaction, the second statement by statement
/// outside any (`transaction: false`), after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnlinePlan {
    /// The statements that run in the migration's transaction.
    pub transactional: Vec<PlannedStatement>,
    /// The statements that must run outside a transaction, in order: indexes dropped and built
    /// concurrently, unique and primary keys attached to them, constraints validated,
    /// `NOT NULL` set through a validated check.
    pub concurrent: Vec<PlannedStatement>,
}

/// The second part, in the order its sections must run.
#[derive(Default)]
struct Concurrent {
    drops: Vec<PlannedStatement>,
    builds: Vec<PlannedStatement>,
    late_constraints: Vec<PlannedStatement>,
    validations: Vec<PlannedStatement>,
    not_null: Vec<PlannedStatement>,
    comments: Vec<PlannedStatement>,
}

/// `ALTER TABLE <table> ADD CONSTRAINT <name> <definition>`, taken apart.
fn added_constraint(sql: &str) -> Option<(&str, &str, &str)> {
    let rest = sql.strip_prefix("ALTER TABLE ")?;
    let (table, rest) = rest.split_once(" ADD CONSTRAINT ")?;
    let (name, definition) = split_identifier(rest)?;
    Some((table, name, definition))
}

/// `ALTER TABLE <table> ALTER COLUMN <column> SET NOT NULL`, taken apart.
fn set_not_null(sql: &str) -> Option<(&str, &str)> {
    let rest = sql.strip_prefix("ALTER TABLE ")?;
    let (table, rest) = rest.split_once(" ALTER COLUMN ")?;
    let column = rest.strip_suffix(" SET NOT NULL")?;
    Some((table, column))
}

/// The leading identifier of `text` (plain or double-quoted) and what follows its space.
fn split_identifier(text: &str) -> Option<(&str, &str)> {
    let end = if text.starts_with('"') {
        let mut chars = text.char_indices().skip(1).peekable();
        loop {
            match chars.next()? {
                (i, '"') if chars.peek().is_some_and(|(_, c)| *c == '"') => {
                    let _ = i;
                    chars.next();
                }
                (i, '"') => break i + 1,
                _ => {}
            }
        }
    } else {
        text.find(' ')?
    };
    Some((&text[..end], text[end..].strip_prefix(' ')?))
}

/// The index name of `CREATE [UNIQUE] INDEX <name> ON ...`.
fn created_index(sql: &str) -> Option<(&'static str, &str)> {
    let (keyword, rest) = if let Some(rest) = sql.strip_prefix("CREATE UNIQUE INDEX ") {
        ("CREATE UNIQUE INDEX", rest)
    } else {
        ("CREATE INDEX", sql.strip_prefix("CREATE INDEX ")?)
    };
    let (name, _) = split_identifier(rest)?;
    Some((keyword, name))
}

/// A name for the check that stands in for `NOT NULL` while it is validated, within
/// PostgreSQL's 63 bytes.
fn not_null_check_name(column: &str) -> String {
    let bare = column.trim_matches('"').replace('"', "");
    let mut name = format!("{bare}_not_null");
    while name.len() > 63 {
        name.remove(0);
    }
    crate::schema::ident(&name).into_owned()
}

/// Rewrites `up` for a live database (see the module documentation).
pub fn online(up: &[PlannedStatement]) -> OnlinePlan {
    let mut first = Vec::new();
    let mut second = Concurrent::default();
    // Unique and primary keys built concurrently: "table (columns)" a foreign key may need.
    let mut late_keys: Vec<String> = Vec::new();
    let mut moved_names: Vec<String> = Vec::new();
    for planned in up {
        let sql = planned.sql.as_str();
        let lock_only = |hazard: &Hazard| *hazard != Hazard::BuildsIndexUnderWriteLock;
        if planned.hazards.contains(&Hazard::BuildsIndexUnderWriteLock) {
            if let Some((keyword, name)) = created_index(sql) {
                let rest = &sql[keyword.len()..];
                second.builds.push(statement(
                    format!("{keyword} CONCURRENTLY{rest}"),
                    planned.hazards.iter().copied().filter(lock_only).collect(),
                ));
                moved_names.push(name.to_owned());
                continue;
            }
            if let Some((table, name, definition)) = added_constraint(sql) {
                let key = ["UNIQUE ", "PRIMARY KEY "].into_iter().find_map(|kind| {
                    let columns = definition.strip_prefix(kind)?;
                    let simple = columns.starts_with('(')
                        && columns.ends_with(')')
                        && columns.matches('(').count() == 1;
                    simple.then_some((kind.trim_end(), columns))
                });
                if let Some((kind, columns)) = key {
                    second.builds.push(statement(
                        format!("CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} {columns}"),
                        vec![Hazard::FailsOnExistingRows],
                    ));
                    second.builds.push(statement(
                        format!(
                            "ALTER TABLE {table} ADD CONSTRAINT {name} {kind} USING INDEX {name}"
                        ),
                        vec![Hazard::AccessExclusive],
                    ));
                    late_keys.push(format!("{table}{columns}"));
                    moved_names.push(name.to_owned());
                    continue;
                }
            }
        }
        if sql.starts_with("DROP INDEX ") && planned.hazards.contains(&Hazard::AccessExclusive) {
            let name = &sql["DROP INDEX ".len()..];
            second.drops.push(statement(
                format!("DROP INDEX CONCURRENTLY IF EXISTS {name}"),
                vec![],
            ));
            continue;
        }
        if planned.hazards.contains(&Hazard::ScansUnderLock) {
            if let Some((table, name, definition)) = added_constraint(sql) {
                let validates = (definition.starts_with("FOREIGN KEY ")
                    || definition.starts_with("CHECK "))
                    && !definition.ends_with(" NOT VALID");
                if validates {
                    let add = statement(format!("{sql} NOT VALID"), vec![Hazard::AccessExclusive]);
                    let needs_late_key = definition.starts_with("FOREIGN KEY ")
                        && late_keys
                            .iter()
                            .any(|key| definition.contains(&format!(" REFERENCES {key}")));
                    if needs_late_key {
                        second.late_constraints.push(add);
                    } else {
                        first.push(add);
                    }
                    second.validations.push(statement(
                        format!("ALTER TABLE {table} VALIDATE CONSTRAINT {name}"),
                        vec![Hazard::FailsOnExistingRows],
                    ));
                    continue;
                }
            }
            if let Some((table, column)) = set_not_null(sql) {
                let check = not_null_check_name(column);
                first.push(statement(
                    format!(
                        "ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID"
                    ),
                    vec![Hazard::AccessExclusive],
                ));
                second.not_null.push(statement(
                    format!("ALTER TABLE {table} VALIDATE CONSTRAINT {check}"),
                    vec![Hazard::FailsOnExistingRows],
                ));
                // With the check validated, PostgreSQL 12+ sets NOT NULL without a scan.
                second
                    .not_null
                    .push(statement(sql.to_owned(), vec![Hazard::AccessExclusive]));
                second.not_null.push(statement(
                    format!("ALTER TABLE {table} DROP CONSTRAINT {check}"),
                    vec![Hazard::AccessExclusive],
                ));
                continue;
            }
        }
        let names_moved = sql.starts_with("COMMENT ON ")
            && moved_names.iter().any(|name| {
                sql.contains(&format!(" {name} ")) || sql.contains(&format!(".{name} "))
            });
        if names_moved {
            second.comments.push(planned.clone());
            continue;
        }
        first.push(planned.clone());
    }
    let Concurrent {
        drops,
        builds,
        late_constraints,
        validations,
        not_null,
        comments,
    } = second;
    OnlinePlan {
        transactional: first,
        concurrent: [
            drops,
            builds,
            late_constraints,
            validations,
            not_null,
            comments,
        ]
        .concat(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(sql: &str, hazards: &[Hazard]) -> PlannedStatement {
        statement(sql.to_owned(), hazards.to_vec())
    }

    fn sqls(list: &[PlannedStatement]) -> Vec<&str> {
        list.iter().map(|s| s.sql.as_str()).collect()
    }

    #[test]
    fn each_locking_statement_gets_its_safe_form() {
        use Hazard::*;
        let up = [
            planned("DROP INDEX app.old_idx", &[AccessExclusive]),
            planned("ALTER TABLE app.t ALTER COLUMN note SET NOT NULL", &[AccessExclusive, ScansUnderLock, FailsOnExistingRows]),
            planned("CREATE TABLE app.n (id int)", &[]),
            planned("ALTER TABLE app.t ADD CONSTRAINT t_code_key UNIQUE (code)", &[AccessExclusive, BuildsIndexUnderWriteLock, FailsOnExistingRows]),
            planned("ALTER TABLE app.t ADD CONSTRAINT t_positive CHECK ((n > 0))", &[AccessExclusive, ScansUnderLock, FailsOnExistingRows]),
            planned("ALTER TABLE app.u ADD CONSTRAINT u_code_fkey FOREIGN KEY (code) REFERENCES app.t(code)", &[AccessExclusive, ScansUnderLock, FailsOnExistingRows]),
            planned("CREATE INDEX t_n ON app.t USING btree (n)", &[BuildsIndexUnderWriteLock]),
            planned("CREATE INDEX n_id ON app.n USING btree (id)", &[]),
            planned("COMMENT ON INDEX app.t_n IS 'by n'", &[]),
        ];
        let plan = online(&up);
        assert_eq!(
            sqls(&plan.transactional),
            [
                "ALTER TABLE app.t ADD CONSTRAINT note_not_null CHECK (note IS NOT NULL) NOT VALID",
                "CREATE TABLE app.n (id int)",
                "ALTER TABLE app.t ADD CONSTRAINT t_positive CHECK ((n > 0)) NOT VALID",
                "CREATE INDEX n_id ON app.n USING btree (id)",
            ]
        );
        assert_eq!(
            sqls(&plan.concurrent),
            [
                "DROP INDEX CONCURRENTLY IF EXISTS app.old_idx",
                "CREATE UNIQUE INDEX CONCURRENTLY t_code_key ON app.t (code)",
                "ALTER TABLE app.t ADD CONSTRAINT t_code_key UNIQUE USING INDEX t_code_key",
                "CREATE INDEX CONCURRENTLY t_n ON app.t USING btree (n)",
                "ALTER TABLE app.u ADD CONSTRAINT u_code_fkey FOREIGN KEY (code) REFERENCES app.t(code) NOT VALID",
                "ALTER TABLE app.t VALIDATE CONSTRAINT t_positive",
                "ALTER TABLE app.u VALIDATE CONSTRAINT u_code_fkey",
                "ALTER TABLE app.t VALIDATE CONSTRAINT note_not_null",
                "ALTER TABLE app.t ALTER COLUMN note SET NOT NULL",
                "ALTER TABLE app.t DROP CONSTRAINT note_not_null",
                "COMMENT ON INDEX app.t_n IS 'by n'",
            ]
        );
        assert!(plan
            .concurrent
            .iter()
            .all(|s| !s.hazards.contains(&BuildsIndexUnderWriteLock)
                && !s.hazards.contains(&ScansUnderLock)));
    }

    #[test]
    fn a_plan_without_locking_statements_is_left_alone() {
        let up = [
            planned("CREATE TABLE app.n (id int)", &[]),
            planned("CREATE INDEX n_id ON app.n USING btree (id)", &[]),
        ];
        let plan = online(&up);
        assert_eq!(plan.transactional, up);
        assert!(plan.concurrent.is_empty());
    }

    #[test]
    fn quoted_names_are_taken_whole() {
        assert_eq!(
            split_identifier("\"odd \"\"name\" UNIQUE (a)"),
            Some(("\"odd \"\"name\"", "UNIQUE (a)"))
        );
        assert_eq!(not_null_check_name("\"Note\""), "\"Note_not_null\"");
        assert_eq!(not_null_check_name(&"x".repeat(70)).len(), 63);
    }
}
