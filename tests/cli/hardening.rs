//! Input that used to get through and fail late, or worse: refused when it is read, with a
//! message that names it.

use super::cli::Project;

#[test]
fn a_schema_name_with_a_line_break_is_refused() {
    let p = Project::new("hostile-schema");
    p.migration("a1", "");
    let hostile = "tenant\nDROP TABLE users; --";
    let run = p.pelican(&["--schema", hostile, "upgrade", "a1", "--sql"]);
    assert_eq!(
        run.fails(1),
        "error: the history schema (from --schema) \"tenant\\nDROP TABLE users; --\" contains \
         a control character (a line break, a tab...); give a schema name without them, such \
         as 'tenant_1'\n"
    );
    assert_eq!(run.stdout, "");

    p.write("pelican.toml", "schema = \"a\\tb\"\n");
    assert_eq!(
        p.pelican(&["upgrade", "a1", "--sql"]).fails(1),
        "error: the history schema (from pelican.toml) \"a\\tb\" contains a control character \
         (a line break, a tab...); give a schema name without them, such as 'tenant_1'\n"
    );
}

#[test]
fn durations_longer_than_postgres_takes_are_usage_errors() {
    let p = Project::new("long-durations");
    p.migration("a1", "");
    let run = p.pelican(&["upgrade", "a1", "--sql", "--lock-timeout", "600h"]);
    assert_eq!(
        run.fails(2),
        "error: invalid value '600h' for '--lock-timeout <DURATION>': '600h' is too long: \
         PostgreSQL's maximum is 2147483647ms, about 24.8 days (596h); give a shorter duration \
         (or 0ms for no timeout)\n\nFor more information, try '--help'.\n"
    );
    assert_eq!(run.stdout, "");
    let run = p.pelican(&["upgrade", "--statement-timeout", "35792min"]);
    assert!(
        run.fails(2).contains("'35792min' is too long"),
        "{}",
        run.stderr
    );
    let run = p.pelican(&["stamp", "a1", "--lock-wait", "2147483648ms"]);
    assert!(
        run.fails(2)
            .contains("give a shorter duration (the wait is a lock_timeout)"),
        "{}",
        run.stderr
    );
    // The longest it takes, and zero, are fine.
    let script = p
        .pelican(&[
            "upgrade",
            "a1",
            "--sql",
            "--lock-timeout",
            "596h",
            "--statement-timeout",
            "0ms",
        ])
        .ok()
        .to_owned();
    assert!(
        script.contains("SET LOCAL lock_timeout = 2145600000;\nSET LOCAL statement_timeout = 0;\n"),
        "{script}"
    );
}

#[test]
fn a_header_timeout_longer_than_postgres_takes_names_the_file_and_line() {
    let p = Project::new("long-header-timeout");
    p.migration_with(
        "a1",
        "",
        "lock-timeout: 600h",
        "CREATE TABLE t_a1 (id int);",
    );
    assert_eq!(
        p.pelican(&["upgrade", "--sql"]).fails(1),
        "error: migrations/a1_test.sql:3: 'lock-timeout' value '600h' is too long: PostgreSQL's \
         maximum is 2147483647ms, about 24.8 days (596h); write a shorter duration, or '0ms' \
         for no timeout\n"
    );
}

#[test]
fn copy_from_stdin_and_meta_commands_are_refused_when_the_files_are_read() {
    let p = Project::new("copy-from-stdin");
    p.migration_with(
        "a1",
        "",
        "transaction: false",
        "CREATE TABLE t_a1 (id int);\nCOPY t_a1 (id) FROM STDIN;\n1\n\\.",
    );
    assert_eq!(
        p.pelican(&["heads"]).fails(1),
        "error: migrations/a1_test.sql:7: 'COPY ... FROM STDIN' reads its rows from the client, \
         but pelican sends a migration to the server as SQL, with no rows to follow (in psql, \
         the lines after it would be the rows); load them with INSERT ... VALUES, or COPY ... \
         FROM '/path/on/the/server', or write a Rust migration that uses tokio-postgres' \
         copy_in\n"
    );
    p.migration_with("a1", "", "", "\\i tables.sql");
    assert_eq!(
        p.pelican(&["upgrade", "--sql"]).fails(1),
        "error: migrations/a1_test.sql:5: '\\i' is a psql meta-command, but pelican sends a \
         migration to the server as SQL, where a backslash command is a syntax error; write the \
         SQL it stands for instead; put the SQL of the included file in the migration itself\n"
    );
    // COPY from a file on the server is fine.
    p.migration_with("a1", "", "", "COPY t FROM '/srv/t.csv';");
    assert_eq!(p.pelican(&["heads"]).ok(), "a1 (head)\n");
}
