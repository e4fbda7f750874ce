use super::*;

fn rules(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule.as_str()).collect()
}

fn lint(sql: &str, context: &RevisionContext) -> Vec<Finding> {
    lint_sql("m.sql", sql, 10, context)
}

#[test]
fn a_blocking_index_is_an_error_with_its_place_and_recipe() {
    let findings = lint(
        "-- comment\nCREATE INDEX tasks_owner ON tasks (owner);",
        &RevisionContext::default(),
    );
    let index = findings
        .iter()
        .find(|f| f.rule == "require-concurrent-index-creation")
        .expect("found");
    assert_eq!(
        (index.line, index.column),
        (11, 1),
        "line 2 of a section starting at line 10"
    );
    assert_eq!(index.severity, Severity::Error);
    assert_eq!(index.excerpt, "CREATE INDEX tasks_owner ON tasks (owner);");
    assert!(
        index.help.as_deref().unwrap().contains("concurrently"),
        "{index}"
    );
    let text = index.to_string();
    assert!(
        text.starts_with("error[require-concurrent-index-creation]: "),
        "{text}"
    );
    assert!(text.contains("  --> m.sql:11:1\n"), "{text}");
}

#[test]
fn concurrently_is_an_error_in_a_transactional_revision_and_fine_outside_one() {
    let sql = "CREATE INDEX CONCURRENTLY tasks_owner ON tasks (owner);";
    let inside = lint(sql, &RevisionContext::default());
    assert!(
        rules(&inside).contains(&"ban-concurrent-index-creation-in-transaction"),
        "{inside:?}"
    );
    let outside = RevisionContext {
        transactional: false,
        ..RevisionContext::default()
    };
    let findings = lint(sql, &outside);
    assert!(
        !rules(&findings).contains(&"ban-concurrent-index-creation-in-transaction"),
        "{findings:?}"
    );
    assert!(!rules(&findings).contains(&"require-concurrent-index-creation"));
}

#[test]
fn the_header_timeouts_satisfy_require_timeout_settings() {
    let sql = "ALTER TABLE tasks ADD CONSTRAINT tasks_owner_fkey FOREIGN KEY (owner) REFERENCES users (id) NOT VALID;";
    let bare = lint(sql, &RevisionContext::default());
    assert!(rules(&bare).contains(&"require-lock-timeout"), "{bare:?}");
    let with_header = RevisionContext {
        lock_timeout: true,
        statement_timeout: true,
        ..RevisionContext::default()
    };
    let findings = lint(sql, &with_header);
    assert!(
        !rules(&findings).contains(&"require-lock-timeout"),
        "{findings:?}"
    );
    assert!(!rules(&findings).contains(&"require-statement-timeout"));
}

#[test]
fn a_table_created_by_the_same_revision_takes_a_plain_index() {
    let findings = lint(
        "CREATE TABLE tasks (id bigint PRIMARY KEY, owner bigint);\nCREATE INDEX tasks_owner ON tasks (owner);",
        &RevisionContext::default(),
    );
    assert!(
        !rules(&findings).contains(&"require-concurrent-index-creation"),
        "{findings:?}"
    );
}

#[test]
fn bad_sql_is_a_syntax_error_at_its_place() {
    let findings = lint("SELECT 1;\nSELECT (;", &RevisionContext::default());
    let error = &findings[0];
    assert_eq!(error.rule, "syntax-error");
    assert_eq!(error.line, 11);
    assert_eq!(error.severity, Severity::Error);
}

#[test]
fn style_advice_is_a_warning() {
    let findings = lint(
        "CREATE TABLE t (id int PRIMARY KEY);",
        &RevisionContext::default(),
    );
    let int = findings
        .iter()
        .find(|f| f.rule == "prefer-bigint-over-int")
        .expect("found");
    assert_eq!(int.severity, Severity::Warning);
}

#[test]
fn a_downgrade_may_drop_what_its_upgrade_created() {
    let down = RevisionContext {
        downgrade: true,
        ..RevisionContext::default()
    };
    let findings = lint("DROP TABLE tasks;", &down);
    assert!(
        !rules(&findings).contains(&"ban-drop-table"),
        "{findings:?}"
    );
    let up = lint("DROP TABLE tasks;", &RevisionContext::default());
    assert!(rules(&up).contains(&"ban-drop-table"), "{up:?}");
}

#[test]
fn an_ignore_with_a_reason_silences_its_rule_for_the_next_statement_only() {
    let sql = "-- pelican-lint: ignore require-concurrent-index-creation -- tasks holds 20 rows\n\
               CREATE INDEX tasks_owner ON tasks (owner);\n\
               CREATE INDEX tasks_done ON tasks (done);";
    let findings = lint(sql, &RevisionContext::default());
    let index: Vec<usize> = findings
        .iter()
        .filter(|f| f.rule == "require-concurrent-index-creation")
        .map(|f| f.line)
        .collect();
    assert_eq!(
        index,
        [12],
        "only the second index is reported: {findings:?}"
    );
    assert!(!rules(&findings).contains(&"unused-lint-ignore"));
}

#[test]
fn an_ignore_without_a_reason_or_silencing_nothing_is_reported() {
    let sql = "-- pelican-lint: ignore require-concurrent-index-creation\n\
               CREATE INDEX tasks_owner ON tasks (owner);\n\
               -- pelican-lint: ignore ban-drop-table -- not dropping anything here\n\
               CREATE TABLE t (id bigint);\n\
               -- pelican-lint: ignored ban-drop-table\n\
               SELECT 1;";
    let findings = lint(sql, &RevisionContext::default());
    let found = |rule: &str| {
        findings
            .iter()
            .find(|f| f.rule == rule)
            .map(|f| (f.line, f.severity))
    };
    assert_eq!(
        found("lint-ignore-without-reason"),
        Some((10, Severity::Error))
    );
    assert_eq!(found("unused-lint-ignore"), Some((12, Severity::Warning)));
    assert_eq!(found("malformed-lint-ignore"), Some((14, Severity::Error)));
    assert!(
        !rules(&findings).contains(&"require-concurrent-index-creation"),
        "still silenced"
    );
}

fn has(findings: &[Finding], rule: &str) -> bool {
    findings.iter().any(|f| f.rule == rule)
}

#[test]
fn json_columns_are_reported_and_jsonb_is_not() {
    let bad = lint(
        "CREATE TABLE e (id bigint, body json);",
        &RevisionContext::default(),
    );
    let finding = bad
        .iter()
        .find(|f| f.rule == "prefer-jsonb")
        .expect("found");
    assert_eq!((finding.line, finding.column), (10, 33));
    assert_eq!(finding.severity, Severity::Warning);
    let added = lint(
        "ALTER TABLE e ADD COLUMN body json[];",
        &RevisionContext::default(),
    );
    assert!(has(&added, "prefer-jsonb"), "{added:?}");
    let good = lint(
        "CREATE TABLE e (id bigint, body jsonb, json_text text);",
        &RevisionContext::default(),
    );
    assert!(!has(&good, "prefer-jsonb"), "{good:?}");
}

#[test]
fn an_exclusion_constraint_on_an_existing_table_is_an_error_without_squawks_not_valid_advice() {
    let sql = "ALTER TABLE b ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =);";
    let bad = lint(sql, &RevisionContext::default());
    assert!(has(&bad, "adding-exclusion-constraint"), "{bad:?}");
    assert!(!has(&bad, "constraint-missing-not-valid"), "{bad:?}");
    let new_table = lint(
        &format!("CREATE TABLE b (room int, during tstzrange);\n{sql}"),
        &RevisionContext::default(),
    );
    assert!(
        !has(&new_table, "adding-exclusion-constraint"),
        "{new_table:?}"
    );
}

#[test]
fn a_non_unique_index_over_four_columns_is_a_warning() {
    let context = RevisionContext {
        transactional: false,
        ..RevisionContext::default()
    };
    let wide = lint(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS w ON t (a, b, c, d);",
        &context,
    );
    let finding = wide
        .iter()
        .find(|f| f.rule == "index-with-many-columns")
        .expect("found");
    assert!(finding.message.contains("over 4 columns"), "{finding}");
    for fine in [
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS w ON t (a, b, c);",
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS w ON t (a, b, c, d);",
    ] {
        assert!(
            !has(&lint(fine, &context), "index-with-many-columns"),
            "{fine}"
        );
    }
}

#[test]
fn concurrent_builds_are_an_error_on_postgres_14_0_to_14_3_only() {
    let sql = "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\nREINDEX INDEX CONCURRENTLY i;";
    let on = |version| RevisionContext {
        transactional: false,
        postgres_version: version,
        ..RevisionContext::default()
    };
    let bad = lint(sql, &on(Some((14, 2))));
    let lines: Vec<usize> = bad
        .iter()
        .filter(|f| f.rule == "concurrent-index-before-14-4")
        .map(|f| f.line)
        .collect();
    assert_eq!(lines, [10, 11], "{bad:?}");
    assert!(bad[0].message.contains("14.2"), "{bad:?}");
    for fine in [Some((14, 4)), Some((15, 0)), Some((13, 9)), None] {
        assert!(
            !has(&lint(sql, &on(fine)), "concurrent-index-before-14-4"),
            "{fine:?}"
        );
    }
}

#[test]
fn a_downgrade_may_drop_what_its_upgrade_created_and_nothing_else() {
    let upgrade = "CREATE TABLE e (id bigint);\nALTER TABLE t ADD COLUMN c int;\n\
                   CREATE INDEX CONCURRENTLY e_id ON e (id);\nCREATE TYPE mood AS ENUM ('a');";
    let context = RevisionContext {
        downgrade: true,
        upgrade_sql: Some(upgrade.into()),
        ..RevisionContext::default()
    };
    let own = lint(
        "DROP TYPE mood;\nDROP INDEX e_id;\nALTER TABLE t DROP COLUMN c;\nDROP TABLE e;",
        &context,
    );
    assert!(
        !own.iter()
            .any(|f| f.rule.starts_with("ban-drop") || f.rule.starts_with("downgrade")),
        "{own:?}"
    );
    let other = lint(
        "ALTER TABLE t DROP COLUMN d;\nDROP TABLE users;\nDROP TYPE other;",
        &context,
    );
    let names: Vec<&str> = other
        .iter()
        .filter(|f| f.rule == "downgrade-drops-unrelated-object")
        .map(|f| f.message.split('`').nth(1).unwrap())
        .collect();
    assert_eq!(names, ["t.d", "users", "other"], "{other:?}");
}

#[test]
fn a_non_transactional_revision_with_two_statements_that_cannot_rerun_is_an_error() {
    let context = RevisionContext {
        transactional: false,
        ..RevisionContext::default()
    };
    let bad = lint(
        "CREATE INDEX CONCURRENTLY a ON t (a);\nCREATE INDEX CONCURRENTLY b ON t (b);",
        &context,
    );
    let finding = bad
        .iter()
        .find(|f| f.rule == "non-transactional-revision-not-retryable")
        .expect("found");
    assert_eq!(finding.line, 11, "the second statement");
    for fine in [
        "CREATE INDEX CONCURRENTLY a ON t (a);",
        "SET lock_timeout = '2s';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a ON t (a);\n\
         CREATE INDEX CONCURRENTLY IF NOT EXISTS b ON t (b);\nALTER TYPE m ADD VALUE IF NOT EXISTS 'x';",
    ] {
        assert!(!has(&lint(fine, &context), "non-transactional-revision-not-retryable"), "{fine}");
    }
    let transactional = lint(
        "CREATE TABLE a (id int);\nCREATE TABLE b (id int);",
        &RevisionContext::default(),
    );
    assert!(!has(
        &transactional,
        "non-transactional-revision-not-retryable"
    ));
}

#[test]
fn every_concurrently_statement_in_a_transactional_revision_is_reported_once() {
    let sql = "CREATE INDEX CONCURRENTLY IF NOT EXISTS a ON t (owner);\n\
               DROP INDEX CONCURRENTLY IF EXISTS b;\nREINDEX INDEX CONCURRENTLY a;\n\
               ALTER TABLE e DETACH PARTITION e1 CONCURRENTLY;";
    let findings = lint(sql, &RevisionContext::default());
    let lines: Vec<usize> = findings
        .iter()
        .filter(|f| f.rule == "ban-concurrent-index-creation-in-transaction")
        .map(|f| f.line)
        .collect();
    assert_eq!(lines, [10, 11, 12, 13], "{findings:?}");
}
