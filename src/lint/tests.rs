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
