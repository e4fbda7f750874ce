//! Tests of the refusal of client-side commands in SQL sections (`client_side.rs`).

use super::client_side::check_section;
use super::*;

const NAME: &str = "migrations/c0ffee000001_load.sql";

/// A SQL file with `header_extra` on line 2, whose up section is `up` (from line 4) and down
/// section `down`.
fn file(header_extra: &str, up: &str, down: &str) -> String {
    format!("-- revision: c0ffee000001\n{header_extra}\n-- up\n{up}\n-- down\n{down}\n")
}

fn parse(text: &str) -> Result<MigrationFile, ParseError> {
    parse_migration(NAME, text.as_bytes())
}

/// The line (of the section) and kind `check_section` reports, if any.
fn refused(sql: &str) -> Option<(usize, ParseErrorKind)> {
    check_section(sql).err()
}

fn copy_from(clause: &str) -> ParseErrorKind {
    ParseErrorKind::CopyFromClient {
        clause: clause.to_owned(),
    }
}

fn copy_to(clause: &str) -> ParseErrorKind {
    ParseErrorKind::CopyToClient {
        clause: clause.to_owned(),
    }
}

fn meta(command: &str) -> ParseErrorKind {
    ParseErrorKind::PsqlMetaCommand {
        command: command.to_owned(),
    }
}

#[test]
fn copy_from_stdin_is_refused_in_any_spelling() {
    assert_eq!(
        refused("COPY users FROM STDIN;"),
        Some((1, copy_from("FROM STDIN")))
    );
    assert_eq!(
        refused("select 1;\n\ncopy users from stdin;\n"),
        Some((3, copy_from("FROM STDIN")))
    );
    assert_eq!(
        refused("Copy users (id, name)\n  From Stdin With (FORMAT csv, HEADER true)"),
        Some((1, copy_from("FROM STDIN")))
    );
    assert_eq!(
        refused("COPY BINARY users FROM stdin"),
        Some((1, copy_from("FROM STDIN")))
    );
    assert_eq!(
        refused("COPY users /* the table */ FROM -- where from?\n STDIN;"),
        Some((1, copy_from("FROM STDIN")))
    );
    // The server reads from the client whichever of the two words follows.
    assert_eq!(
        refused("COPY users FROM STDOUT;"),
        Some((1, copy_from("FROM STDOUT")))
    );
}

#[test]
fn copy_to_stdout_is_refused() {
    assert_eq!(
        refused("COPY users TO STDOUT;"),
        Some((1, copy_to("TO STDOUT")))
    );
    assert_eq!(
        refused("COPY (SELECT * FROM users WHERE id IN (1, 2)) TO stdout WITH (FORMAT csv)"),
        Some((1, copy_to("TO STDOUT")))
    );
}

#[test]
fn the_rows_psql_would_send_after_copy_are_not_what_is_reported() {
    // As in a pg_dump: the rows follow, with quotes the lexer can't close, and `\.`.
    let sql = "CREATE TABLE users (id int, name text);\n\
               COPY users (id, name) FROM stdin;\n\
               1\tO'Brien\n\
               \\.\n";
    assert_eq!(refused(sql), Some((2, copy_from("FROM STDIN"))));
}

#[test]
fn copy_with_a_file_or_program_on_the_server_is_fine() {
    for sql in [
        "COPY users FROM '/tmp/users.csv';",
        "COPY users (id, name) FROM '/tmp/users.csv' WITH (FORMAT csv)",
        "COPY users TO '/tmp/users.csv';",
        "COPY users FROM PROGRAM 'gunzip -c /tmp/users.csv.gz';",
        "COPY (SELECT 'FROM STDIN') TO '/tmp/x';",
        // A table named stdin, inside the query's parentheses.
        "COPY (SELECT * FROM stdin) TO '/tmp/x';",
        "copy_users();",
        "SELECT copy FROM stdin;",
        "INSERT INTO copy VALUES (1); SELECT 1 FROM stdin;",
    ] {
        assert_eq!(refused(sql), None, "{sql}");
    }
}

#[test]
fn nothing_in_strings_comments_or_bodies_counts() {
    for sql in [
        "SELECT 'COPY users FROM STDIN';",
        "SELECT E'COPY users FROM STDIN; \\' \\\\copy';",
        "SELECT 'a\n\\copy users from x';",
        "SELECT \"\n\\copy\";",
        "-- COPY users FROM STDIN;\n-- \\copy users from 'x'\nSELECT 1;",
        "/* COPY users FROM STDIN;\n\\copy users from 'x' */ SELECT 1;",
        "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\n\
         BEGIN\n  COPY users FROM STDIN;\nEND\n$$;",
        "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $body$\n\\copy\n$body$;",
        "DO $$ BEGIN EXECUTE 'COPY users TO STDOUT'; END $$;",
    ] {
        assert_eq!(refused(sql), None, "{sql}");
    }
}

#[test]
fn psql_meta_commands_are_refused_at_the_start_of_a_line() {
    assert_eq!(
        refused("\\copy users from 'users.csv' csv"),
        Some((1, meta("\\copy")))
    );
    assert_eq!(
        refused("SELECT 1;\n  \\i other.sql\n"),
        Some((2, meta("\\i")))
    );
    assert_eq!(
        refused("\\set ON_ERROR_STOP on\nSELECT 1;"),
        Some((1, meta("\\set")))
    );
    assert_eq!(refused("SELECT 1\n\\gset\n"), Some((2, meta("\\gset"))));
    assert_eq!(
        refused("CREATE TABLE t (id int);\r\n\\connect other\r\n"),
        Some((2, meta("\\connect")))
    );
    // The first, in text order.
    assert_eq!(
        refused("\\set x 1\nCOPY users FROM STDIN;"),
        Some((1, meta("\\set")))
    );
    assert_eq!(
        refused("COPY users FROM STDIN;\n\\set x 1"),
        Some((1, copy_from("FROM STDIN")))
    );
    // After other text on the line, a backslash is left to the server (a syntax error there).
    assert_eq!(refused("SELECT 1 \\gset"), None);
}

#[test]
fn the_user_sees_the_file_the_line_and_what_to_do() {
    let text = file(
        "-- message: load users",
        "CREATE TABLE users (id int, name text);\n\nCOPY users (id, name) FROM stdin;\n1\tann\n\\.",
        "DROP TABLE users;",
    );
    assert_eq!(
        parse(&text).unwrap_err().to_string(),
        "migrations/c0ffee000001_load.sql:6: 'COPY ... FROM STDIN' reads its rows from the \
         client, but pelican sends a migration to the server as SQL, with no rows to follow (in \
         psql, the lines after it would be the rows); load them with INSERT ... VALUES, or \
         COPY ... FROM '/path/on/the/server', or write a Rust migration that uses \
         tokio-postgres' copy_in"
    );

    let text = file("", "COPY (SELECT * FROM users) TO STDOUT;", "");
    assert_eq!(
        parse(&text).unwrap_err().to_string(),
        "migrations/c0ffee000001_load.sql:4: 'COPY ... TO STDOUT' sends its rows to the client, \
         but pelican sends a migration to the server as SQL and reads no rows back; write them \
         to a file on the server with COPY ... TO '/path/on/the/server', or write a Rust \
         migration that uses tokio-postgres' copy_out"
    );

    let text = file("", "SELECT 1;\n\\copy users from 'users.csv' csv", "");
    assert_eq!(
        parse(&text).unwrap_err().to_string(),
        "migrations/c0ffee000001_load.sql:5: '\\copy' is a psql meta-command, but pelican \
         sends a migration to the server as SQL, where a backslash command is a syntax error; \
         write the SQL it stands for instead; to load rows, use INSERT ... VALUES, or COPY ... \
         FROM '/path/on/the/server', or write a Rust migration that uses tokio-postgres' \
         copy_in"
    );

    let text = file("", "\\ir schema.sql", "");
    assert_eq!(
        parse(&text).unwrap_err().to_string(),
        "migrations/c0ffee000001_load.sql:4: '\\ir' is a psql meta-command, but pelican sends \
         a migration to the server as SQL, where a backslash command is a syntax error; write \
         the SQL it stands for instead; put the SQL of the included file in the migration itself"
    );

    let text = file("", "SELECT 1;", "SELECT 1;\n\\set x 1");
    assert_eq!(
        parse(&text).unwrap_err().to_string(),
        "migrations/c0ffee000001_load.sql:7: '\\set' is a psql meta-command, but pelican sends \
         a migration to the server as SQL, where a backslash command is a syntax error; write \
         the SQL it stands for instead"
    );
}

#[test]
fn transactional_or_not_and_either_section() {
    let no_transaction = file(
        "-- transaction: false",
        "CREATE INDEX CONCURRENTLY i ON t (x);",
        "COPY t TO STDOUT;",
    );
    let err = parse(&no_transaction).unwrap_err();
    assert_eq!(err.line(), Some(6));
    assert_eq!(err.kind(), &copy_to("TO STDOUT"));

    // The down section first in the file: the first in the file is reported.
    let text = "-- revision: c0ffee000001\n\n-- down\n\\echo bye\n-- up\nCOPY t FROM STDIN;\n";
    let err = parse(text).unwrap_err();
    assert_eq!(err.line(), Some(4));
    assert_eq!(err.kind(), &meta("\\echo"));
}

#[test]
fn files_with_server_side_copy_parse() {
    let text = file(
        "-- transaction: false",
        "COPY users FROM '/srv/users.csv' WITH (FORMAT csv);\nSELECT '\\copy';",
        "TRUNCATE users;",
    );
    let parsed = parse(&text).unwrap();
    assert!(parsed
        .up()
        .unwrap()
        .sql()
        .starts_with("COPY users FROM '/srv"));
    // An unclosed quote is left to the server, as before; what precedes it is still checked.
    assert!(parse(&file("", "SELECT 'oops;\n\\copy x", "")).is_ok());
    assert_eq!(
        parse(&file("", "\\copy x\nSELECT 'oops;", ""))
            .unwrap_err()
            .kind(),
        &meta("\\copy")
    );
}
