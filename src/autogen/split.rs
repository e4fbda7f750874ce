//! Enum labels that the same migration uses: PostgreSQL refuses a label added by
//! `ALTER TYPE ... ADD VALUE` until the transaction that added it commits ("unsafe use of new
//! value"), so such a plan is split, the labels first, in a revision of their own.

use super::PlannedStatement;

/// The label an `ALTER TYPE ... ADD VALUE '<label>' ...` statement adds, as its literal.
fn added_label(sql: &str) -> Option<&str> {
    if !sql.starts_with("ALTER TYPE ") {
        return None;
    }
    let rest = &sql[sql.find(" ADD VALUE ")? + " ADD VALUE ".len()..];
    // The literal: from its quote to the quote that closes it ('' is a quote inside).
    let mut end = None;
    let mut chars = rest.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if chars.peek().is_some_and(|(_, next)| *next == '\'') {
                chars.next();
            } else {
                end = Some(i + 1);
                break;
            }
        }
    }
    rest.starts_with('\'').then_some(())?;
    Some(&rest[..end?])
}

/// `up` as two parts when a label it adds is used by a later statement: the labels added
/// (to be committed first), then the rest. `None` when one transaction can run it all.
pub fn labels_first(
    up: &[PlannedStatement],
) -> Option<(Vec<PlannedStatement>, Vec<PlannedStatement>)> {
    let used = up.iter().enumerate().any(|(at, statement)| {
        added_label(&statement.sql)
            .is_some_and(|label| up[at + 1..].iter().any(|later| later.sql.contains(label)))
    });
    if !used {
        return None;
    }
    let (labels, rest) = up
        .iter()
        .cloned()
        .partition(|statement| added_label(&statement.sql).is_some());
    Some((labels, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(sql: &str) -> PlannedStatement {
        PlannedStatement {
            sql: sql.into(),
            hazards: vec![],
        }
    }

    #[test]
    fn labels_used_later_go_first_and_alone() {
        let up = [
            planned("DROP VIEW app.v"),
            planned("ALTER TYPE app.mood ADD VALUE 'happy' AFTER 'ok'"),
            planned("ALTER TYPE app.mood ADD VALUE 'it''s' AFTER 'happy'"),
            planned("ALTER TABLE app.t ALTER COLUMN m SET DEFAULT 'happy'::app.mood"),
        ];
        let (labels, rest) = labels_first(&up).unwrap();
        let sqls =
            |list: &[PlannedStatement]| list.iter().map(|s| s.sql.clone()).collect::<Vec<_>>();
        assert_eq!(
            sqls(&labels),
            [
                "ALTER TYPE app.mood ADD VALUE 'happy' AFTER 'ok'",
                "ALTER TYPE app.mood ADD VALUE 'it''s' AFTER 'happy'"
            ]
        );
        assert_eq!(
            sqls(&rest),
            [
                "DROP VIEW app.v",
                "ALTER TABLE app.t ALTER COLUMN m SET DEFAULT 'happy'::app.mood"
            ]
        );
        assert_eq!(
            added_label("ALTER TYPE app.mood ADD VALUE 'it''s' AFTER 'x'"),
            Some("'it''s'")
        );
    }

    #[test]
    fn labels_nobody_uses_stay_in_one_transaction() {
        let up = [
            planned("ALTER TYPE app.mood ADD VALUE 'happy' AFTER 'ok'"),
            planned("ALTER TABLE app.t ADD COLUMN n int"),
        ];
        assert!(labels_first(&up).is_none());
    }
}
