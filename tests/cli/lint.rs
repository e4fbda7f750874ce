//! `pelican lint`: findings with each revision's context, in three formats; exit 1 on errors.

use super::cli::Project;

#[test]
fn lint_reads_each_revision_in_its_context() {
    let p = Project::new("lint-context");
    // A plain index on a table the same revision creates is fine.
    p.migration_sections(
        "a1",
        "",
        "lock-timeout: 2s\nstatement-timeout: 10min",
        "CREATE TABLE tasks (id bigint PRIMARY KEY, owner bigint);\n\
         CREATE INDEX tasks_owner ON tasks (owner);",
        "DROP TABLE tasks;",
    );
    // Runs outside a transaction, with its timeouts in the header: nothing to say.
    p.migration_sections(
        "b2",
        "a1",
        "transaction: false\nlock-timeout: 2s\nstatement-timeout: 10min",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_owner_2 ON tasks (owner);",
        "DROP INDEX CONCURRENTLY IF EXISTS tasks_owner_2;",
    );
    let clean = p.pelican(&["lint"]);
    assert_eq!(clean.ok(), "", "{}", clean.stderr);
    assert!(
        clean.stderr.contains("0 error(s), 0 warning(s), 0 note(s)"),
        "{}",
        clean.stderr
    );

    // The same statement in a transactional revision can't run.
    p.migration_sections(
        "c3",
        "b2",
        "lock-timeout: 2s\nstatement-timeout: 10min",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_owner_3 ON tasks (owner);",
        "DROP INDEX CONCURRENTLY IF EXISTS tasks_owner_3;",
    );
    let run = p.pelican(&["lint"]);
    let stderr = run.fails(1);
    assert!(stderr.contains("error: lint found 2 error(s)"), "{stderr}");
    let out = &run.stdout;
    assert!(
        out.starts_with(
            "error[ban-concurrent-index-creation-in-transaction]: `CONCURRENTLY` can't run \
             inside a transaction, and this revision runs in one\n  --> migrations/c3_test.sql:"
        ),
        "{out}"
    );
    assert!(
        out.contains("(revision c3)\n   |  CREATE INDEX CONCURRENTLY"),
        "{out}"
    );
    assert!(
        out.contains("= help: put the statement in a revision of its own"),
        "{out}"
    );

    let json = p.pelican(&["lint", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        value[0]["rule"],
        "ban-concurrent-index-creation-in-transaction"
    );
    assert_eq!(value[0]["severity"], "error");
    assert_eq!(value[0]["revision"], "c3");
    let github = p.pelican(&["lint", "--format", "github"]);
    assert!(
        github.stdout.starts_with(
            "::error file=migrations/c3_test.sql,line=8,col=14,title=ban-concurrent-index-creation-in-transaction::"
        ),
        "{}",
        github.stdout
    );
}

#[test]
fn lint_takes_files_and_reports_bad_sql() {
    let p = Project::new("lint-files");
    p.write(
        "loose.sql",
        "ALTER TABLE tasks ADD COLUMN n int NOT NULL;\nSELECT (;\n",
    );
    let run = p.pelican(&["lint", "loose.sql"]);
    run.fails(1);
    assert!(
        run.stdout.contains("error[adding-required-field]"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("error[syntax-error]"), "{}", run.stdout);
    assert!(run.stdout.contains("  --> loose.sql:2:"), "{}", run.stdout);
}

#[tokio::test]
async fn check_lints_the_revisions_still_to_run() {
    let p = Project::with_db("lint-check").await;
    let concurrently = "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a1_id ON t_a1 (id);";
    p.migration_with("a1", "", "", "CREATE TABLE t_a1 (id int);");
    p.migration_sections(
        "a2",
        "a1",
        "",
        concurrently,
        "DROP INDEX IF EXISTS t_a1_id;",
    );
    let run = p.pelican(&["check", "--files-only"]);
    assert_eq!(
        run.stdout,
        "ok   a single head: a2\n\
         FAIL 2 lint errors in revisions: a2 (`pelican lint` shows them)\n"
    );
    assert_eq!(run.fails(8), "error: 1 check failed: lint\n");

    // Against a database, only what is still to run is linted: once a2 is recorded as
    // applied, its error is history.
    p.pelican(&["stamp", "a2"]).ok();
    let run = p.pelican(&["check"]);
    assert!(
        run.stdout
            .contains("ok   no lint error in the pending revisions\n"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn upgrade_lint_deny_refuses_before_anything_runs() {
    let p = Project::with_db("lint-deny").await;
    p.migration_with(
        "a1",
        "",
        "lock-timeout: 2s\nstatement-timeout: 1min",
        "CREATE TABLE t_a1 (id bigint);",
    );
    p.migration_sections(
        "a2",
        "a1",
        "lock-timeout: 2s\nstatement-timeout: 1min",
        "ALTER TABLE t_a1 ADD COLUMN n bigint NOT NULL;",
        "ALTER TABLE t_a1 DROP COLUMN n;",
    );
    let run = p.pelican(&["upgrade", "--lint", "deny"]);
    let stderr = run.fails(1);
    assert!(
        stderr.contains("warning: error[adding-required-field]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: nothing ran: 1 lint error(s) in the revisions about to run"),
        "{stderr}"
    );
    assert!(
        !super::db::table_exists(&p.client().await, "t_a1").await,
        "nothing ran"
    );

    let run = p.pelican(&["upgrade", "--lint", "warn"]);
    run.ok();
    assert!(
        run.stderr.contains("error[adding-required-field]"),
        "{}",
        run.stderr
    );
    assert!(super::db::table_exists(&p.client().await, "t_a1").await);
}

#[test]
fn pelican_toml_turns_rules_off_and_changes_severities() {
    let p = Project::new("lint-config");
    p.write(
        "loose.sql",
        "ALTER TABLE tasks ADD COLUMN n int NOT NULL;\n",
    );
    p.pelican(&["lint", "loose.sql"]).fails(1);
    p.write(
        "pelican.toml",
        "[lint]\ndisable = [\"prefer-bigint-over-int\"]\n\n\
         [lint.severity]\nadding-required-field = \"warning\"\n",
    );
    let run = p.pelican(&["lint", "loose.sql"]);
    let out = run.ok();
    assert!(out.contains("warning[adding-required-field]"), "{out}");
    assert!(!out.contains("prefer-bigint-over-int"), "{out}");
    p.write("pelican.toml", "[lint]\ndisable = [\"prefer-bigints\"]\n");
    assert_eq!(
        p.pelican(&["lint", "loose.sql"]).fails(1),
        "error: pelican.toml: [lint] names the rule 'prefer-bigints', which the linter doesn't \
         have (docs/lint.md lists them)\n"
    );
}

#[test]
fn a_header_lint_ignore_silences_its_rules_in_the_whole_file_and_is_checked() {
    let p = Project::new("lint-header-ignore");
    p.migration_sections(
        "a1",
        "",
        "lock-timeout: 2s\nstatement-timeout: 1min\n\
         lint-ignore: require-concurrent-index-creation -- tasks holds 40 rows",
        "CREATE INDEX tasks_a ON tasks (a);\nCREATE INDEX tasks_b ON tasks (b);",
        "DROP INDEX tasks_a;\nDROP INDEX tasks_b;",
    );
    let run = p.pelican(&["lint", "--format", "json"]);
    let findings: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rules: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        !rules.contains(&"require-concurrent-index-creation"),
        "{rules:?}"
    );
    assert_eq!(
        rules
            .iter()
            .filter(|r| **r == "require-concurrent-index-deletion")
            .count(),
        2,
        "other rules still speak: {rules:?}"
    );

    p.migration_sections(
        "b2",
        "a1",
        "lint-ignore: prefer-jsonb",
        "CREATE TABLE t_b2 (id bigint);",
        "DROP TABLE t_b2;",
    );
    let run = p.pelican(&["lint", "migrations/b2_test.sql"]);
    let out = &run.stdout;
    assert!(
        out.contains(
            "error[lint-ignore-without-reason]: an ignore without a reason\n  \
             --> migrations/b2_test.sql:4:1 (revision b2)\n   |  -- lint-ignore: prefer-jsonb\n"
        ),
        "{out}{}",
        run.stderr
    );
    assert!(
        out.contains(
            "warning[unused-lint-ignore]: this ignore silences nothing in the file (prefer-jsonb)"
        ),
        "{out}"
    );
    run.fails(1);
}

#[test]
fn lint_settings_give_the_server_version_and_leave_files_out() {
    let p = Project::new("lint-settings-version");
    p.migration_sections(
        "a1",
        "",
        "transaction: false\nlock-timeout: 2s\nstatement-timeout: 1h",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a ON t (a);",
        "DROP INDEX CONCURRENTLY IF EXISTS t_a;",
    );
    p.pelican(&["lint"]).ok();
    p.write("pelican.toml", "[lint]\npostgres = \"14.3\"\n");
    let run = p.pelican(&["lint"]);
    assert!(
        run.stdout.starts_with(
            "error[concurrent-index-before-14-4]: PostgreSQL 14.3 can silently corrupt an index"
        ),
        "{}",
        run.stdout
    );
    run.fails(1);
    p.write(
        "pelican.toml",
        "[lint]\npostgres = \"14.3\"\nexclude = [\"a1_*.sql\"]\n",
    );
    p.pelican(&["lint"]).ok();
    p.write("pelican.toml", "[lint]\npostgres = \"fourteen\"\n");
    let run = p.pelican(&["lint"]);
    let stderr = run.fails(1);
    assert!(
        stderr.contains("[lint] postgres = \"fourteen\" is not a PostgreSQL version: write it as \"16\" or \"14.2\""),
        "{stderr}"
    );
}

#[test]
fn a_migration_file_with_a_bad_header_is_an_error_not_plain_sql() {
    let p = Project::new("lint-bad-header");
    p.write(
        "0123456789ab_idx.sql",
        "-- revision: 0123456789ab\n-- transacton: false\n\n-- up\nSELECT 1;\n",
    );
    let run = p.pelican(&["lint", "0123456789ab_idx.sql"]);
    let stderr = run.fails(1);
    assert!(
        stderr.contains(
            "0123456789ab_idx.sql:2: unknown header key 'transacton' (did you mean 'transaction'?)"
        ),
        "{stderr}"
    );
}

#[tokio::test]
async fn against_a_database_only_pending_revisions_are_linted_and_weighed_by_table_size() {
    let p = Project::with_db("lint-sizes").await;
    let timeouts = "lock-timeout: 2s\nstatement-timeout: 1h";
    p.migration_sections(
        "a1",
        "",
        timeouts,
        "CREATE TABLE small_t (id bigint, owner int);\n\
         CREATE TABLE big_t (id bigint, owner bigint);\n\
         CREATE INDEX big_t_id ON big_t (id);",
        "DROP TABLE big_t;\nDROP TABLE small_t;",
    );
    p.pelican(&["upgrade", "head"]).ok();
    p.client()
        .await
        .batch_execute(
            "INSERT INTO small_t SELECT g, g FROM generate_series(1, 20) g;\n\
             INSERT INTO big_t SELECT g, g FROM generate_series(1, 20000) g;\n\
             ANALYZE small_t; ANALYZE big_t;",
        )
        .await
        .unwrap();
    p.migration_sections(
        "a2",
        "a1",
        timeouts,
        "CREATE INDEX small_t_owner ON small_t (owner);\n\
         CREATE INDEX big_t_owner ON big_t (owner);\n\
         CREATE TABLE fresh (id bigint);",
        "DROP TABLE fresh;\nDROP INDEX big_t_owner;\nDROP INDEX small_t_owner;",
    );
    p.migration_sections(
        "a3",
        "a2",
        timeouts,
        "CREATE INDEX fresh_id ON fresh (id);",
        "DROP INDEX fresh_id;",
    );
    p.write("pelican.toml", "[lint]\nsmall-table = \"256kB\"\n");
    let findings = |args: &[&str], rule: &str| {
        let run = p.pelican(args);
        let findings: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        findings
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| {
                (
                    f["revision"].as_str().unwrap().to_owned(),
                    f["severity"].as_str().unwrap().to_owned(),
                    f["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect::<Vec<_>>()
    };
    let creations = |args: &[&str]| findings(args, "require-concurrent-index-creation");
    let found = creations(&["lint", "--format", "json"]);
    assert_eq!(found.len(), 3, "a1 is applied: not linted\n{found:#?}");
    let (revision, severity, message) = &found[0];
    assert_eq!((revision.as_str(), severity.as_str()), ("a2", "note"));
    assert!(
        message.contains("(`small_t` holds about 20 rows (")
            && message.ends_with("): the lock is brief)"),
        "{message}"
    );
    let (_, severity, message) = &found[1];
    assert_eq!(severity, "error", "{message}");
    assert!(
        message.contains("(`big_t` holds about 20000 rows ("),
        "{message}"
    );
    let (revision, severity, message) = &found[2];
    assert_eq!((revision.as_str(), severity.as_str()), ("a3", "note"));
    assert!(
        message.contains("(`fresh` isn't in the database yet: a revision still to run creates it"),
        "{message}"
    );

    let int = |args: &[&str]| findings(args, "prefer-bigint-over-int");
    assert!(
        int(&["lint", "--format", "json"]).is_empty(),
        "a1 is applied"
    );
    let all = int(&["lint", "--format", "json", "--all"]);
    assert_eq!(all.len(), 1, "--all lints a1 too: {all:#?}");
    assert_eq!(all[0].0, "a1");
    let since = creations(&["lint", "--format", "json", "--all", "--since", "a2"]);
    assert_eq!(
        since.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        ["a3"],
        "{since:#?}"
    );
}
