//! Tests of the migration file parser (kept out of `parse.rs`, which the macro crate also
//! compiles and which must not need `proptest`).

use super::*;
use crate::revision::Checksum;
use proptest::prelude::*;

const DESIGN_EXAMPLE: &str = "\
-- revision: 3f2a9c1d7b4e
-- revises: 1a2b3c4d5e6f
-- message: add priority column to tasks
-- created: 2026-11-21T10:00:00Z

-- up
ALTER TABLE tasks ADD COLUMN priority integer NOT NULL DEFAULT 0;

-- down
ALTER TABLE tasks DROP COLUMN priority;
";

const NAME: &str = "migrations/3f2a9c1d7b4e_add_priority.sql";

fn parse(text: &str) -> Result<MigrationFile, ParseError> {
    parse_migration(NAME, text.as_bytes())
}

/// The message of the error parsing `text` as `NAME`.
fn error(text: &str) -> String {
    match parse(text) {
        Ok(file) => panic!("expected an error, parsed {file:?}"),
        Err(err) => err.to_string(),
    }
}

/// A minimal valid SQL file for revision 3f2a9c1d7b4e with `header_extra` appended to the
/// header.
fn with_header(header_extra: &str) -> String {
    format!("-- revision: 3f2a9c1d7b4e\n{header_extra}\n-- up\nSELECT 1;\n-- down\n")
}

#[test]
fn parses_the_design_example() {
    let file = parse(DESIGN_EXAMPLE).unwrap();
    assert_eq!(file.kind(), MigrationKind::Sql);
    assert_eq!(file.file_name(), NAME);
    let rev = file.revision();
    assert_eq!(rev.id(), "3f2a9c1d7b4e");
    assert_eq!(
        rev.parents(),
        ["1a2b3c4d5e6f".parse::<crate::RevisionId>().unwrap()]
    );
    assert_eq!(rev.message(), "add priority column to tasks");
    assert_eq!(rev.created(), Some("2026-11-21T10:00:00Z"));
    assert!(rev.is_transactional());
    assert_eq!(rev.irreversible(), None);
    assert!(rev.depends_on().is_empty());
    assert!(rev.branch_labels().is_empty());
    assert_eq!(*rev.checksum(), Checksum::of(DESIGN_EXAMPLE.as_bytes()));

    let up = file.up().unwrap();
    assert_eq!(
        up.sql(),
        "ALTER TABLE tasks ADD COLUMN priority integer NOT NULL DEFAULT 0;\n\n"
    );
    assert_eq!(up.first_line(), 7);
    let down = file.down().unwrap();
    assert_eq!(down.sql(), "ALTER TABLE tasks DROP COLUMN priority;\n");
    assert_eq!(down.first_line(), 10);

    assert_eq!(file.into_revision().id(), "3f2a9c1d7b4e");
}

#[test]
fn a_merge_has_several_parents_and_may_have_empty_sections() {
    let text = "-- revision: 3f2a9c1d7b4e\n-- revises: aaa111, bbb222,ccc333\n\n-- up\n-- down\n";
    let file = parse(text).unwrap();
    let parents: Vec<&str> = file
        .revision()
        .parents()
        .iter()
        .map(|p| p.as_str())
        .collect();
    assert_eq!(parents, ["aaa111", "bbb222", "ccc333"]);
    assert!(file.revision().is_merge());
    assert_eq!(file.up().unwrap().sql(), "");
    assert_eq!(file.up().unwrap().first_line(), 5);
    assert_eq!(file.down().unwrap().sql(), "");
    assert_eq!(file.down().unwrap().first_line(), 6);
}

#[test]
fn absent_or_empty_revises_is_a_base() {
    assert!(parse(&with_header("")).unwrap().revision().is_base());
    assert!(parse(&with_header("-- revises:"))
        .unwrap()
        .revision()
        .is_base());
}

#[test]
fn depends_on_and_branch_labels_are_comma_separated() {
    let file = parse(&with_header(
        "-- depends-on: aaa111, billing\n-- branch-labels: reporting,audit",
    ))
    .unwrap();
    assert_eq!(file.revision().depends_on(), ["aaa111", "billing"]);
    assert_eq!(file.revision().branch_labels(), ["reporting", "audit"]);
}

#[test]
fn transaction_false_is_read() {
    let file = parse(&with_header("-- transaction: false")).unwrap();
    assert!(!file.revision().is_transactional());
    let file = parse(&with_header("-- transaction: true")).unwrap();
    assert!(file.revision().is_transactional());
}

#[test]
fn timeouts_are_read_in_postgres_units() {
    use std::time::Duration;
    let file = parse(&with_header(
        "-- lock-timeout: 5s\n-- statement-timeout: 2min",
    ))
    .unwrap();
    assert_eq!(file.revision().lock_timeout(), Some(Duration::from_secs(5)));
    assert_eq!(
        file.revision().statement_timeout(),
        Some(Duration::from_secs(120))
    );
    let file = parse(&with_header(
        "-- lock-timeout: 250ms\n-- statement-timeout: 1h",
    ))
    .unwrap();
    assert_eq!(
        file.revision().lock_timeout(),
        Some(Duration::from_millis(250))
    );
    assert_eq!(
        file.revision().statement_timeout(),
        Some(Duration::from_secs(3600))
    );
    assert_eq!(
        parse(&with_header("")).unwrap().revision().lock_timeout(),
        None
    );
}

#[test]
fn error_bad_timeouts() {
    for bad in ["5", "5 s", "s", "1.5s", "5sec", "-1s"] {
        assert_eq!(
            error(&with_header(&format!("-- lock-timeout: {bad}"))),
            format!(
                "{NAME}:2: invalid 'lock-timeout' value '{bad}': expected a whole number with \
                 a unit, such as '500ms', '5s', '2min' or '1h'"
            )
        );
    }
    assert!(error(&with_header("-- statement-timeout: soon"))
        .contains("invalid 'statement-timeout' value 'soon'"));
}

#[test]
fn error_timeouts_longer_than_postgres_takes() {
    use std::time::Duration;
    for long in ["600h", "597h", "2147483648ms", "99999999999999999999h"] {
        assert_eq!(
            error(&with_header(&format!("-- lock-timeout: {long}"))),
            format!(
                "{NAME}:2: 'lock-timeout' value '{long}' is too long: PostgreSQL's maximum is \
                 2147483647ms, about 24.8 days (596h); write a shorter duration, or '0ms' for no \
                 timeout"
            )
        );
    }
    let err = parse(&with_header(
        "-- message: x\n-- statement-timeout: 40000min",
    ))
    .unwrap_err();
    assert_eq!(err.line(), Some(3));
    assert_eq!(
        err.kind(),
        &ParseErrorKind::TimeoutTooLong {
            key: "statement-timeout",
            value: "40000min".to_owned()
        }
    );
    // The longest PostgreSQL takes, and zero (no timeout), are fine.
    let file = parse(&with_header(
        "-- lock-timeout: 596h\n-- statement-timeout: 0ms",
    ))
    .unwrap();
    assert_eq!(
        file.revision().lock_timeout(),
        Some(Duration::from_secs(596 * 3600))
    );
    assert_eq!(file.revision().statement_timeout(), Some(Duration::ZERO));
    let file = parse(&with_header("-- lock-timeout: 2147483647ms")).unwrap();
    assert_eq!(
        file.revision().lock_timeout(),
        Some(crate::revision::MAX_TIMEOUT)
    );
}

#[test]
fn an_irreversible_revision_may_omit_the_down_section() {
    let text = "-- revision: 3f2a9c1d7b4e\n-- irreversible: drops archived rows\n\n-- up\nDELETE FROM archive;\n";
    let file = parse(text).unwrap();
    assert_eq!(file.revision().irreversible(), Some("drops archived rows"));
    assert!(file.down().is_none());
}

#[test]
fn an_irreversible_revision_may_keep_an_empty_or_comment_only_down_section() {
    let text = "-- revision: 3f2a9c1d7b4e\n-- irreversible: data is gone\n\n-- up\nSELECT 1;\n-- down\n-- nothing can bring it back\n\n";
    let file = parse(text).unwrap();
    assert_eq!(
        file.down().unwrap().sql(),
        "-- nothing can bring it back\n\n"
    );
}

#[test]
fn sections_may_come_in_either_order_with_comments_before_them() {
    let text = "-- revision: 3f2a9c1d7b4e\n\n-- Adds the priority column.\n\n-- down\nDROP;\n-- up\nADD;\n";
    let file = parse(text).unwrap();
    assert_eq!(file.up().unwrap().sql(), "ADD;\n");
    assert_eq!(file.up().unwrap().first_line(), 8);
    assert_eq!(file.down().unwrap().sql(), "DROP;\n");
    assert_eq!(file.down().unwrap().first_line(), 6);
}

#[test]
fn prose_comments_after_the_header_may_contain_colons() {
    let text = "-- revision: 3f2a9c1d7b4e\n\n-- Note: runs before the backfill.\n-- up\n-- down\n";
    assert!(parse(text).is_ok());
    let text = "//! revision: 9c8b7a6f5e4d\n\n//! Note: uses the new column.\npub struct M;\n";
    assert!(parse_migration("9c8b7a6f5e4d_note.rs", text.as_bytes()).is_ok());
    let text = "//! revision: 9c8b7a6f5e4d\n\n//! revises: 3f2a9c1d7b4e\n";
    assert_eq!(
        parse_migration("9c8b7a6f5e4d_note.rs", text.as_bytes())
            .unwrap_err()
            .kind(),
        &ParseErrorKind::KeyAfterHeader {
            key: "revises",
            header_end: 2
        }
    );
}

#[test]
fn header_values_may_contain_colons_and_keys_may_come_in_any_order() {
    let file = parse(
        "-- message: see https://example.com/ticket/1\n-- revision: 3f2a9c1d7b4e\n-- up\n-- down\n",
    )
    .unwrap();
    assert_eq!(
        file.revision().message(),
        "see https://example.com/ticket/1"
    );
}

#[test]
fn reads_a_rust_header() {
    let text = "\
//! revision: 9c8b7a6f5e4d
//! revises: 3f2a9c1d7b4e
//! message: backfill priorities
//! transaction: false

//! Sets a priority on every existing task.

use pelican::Migration;
";
    let file = parse_migration("migrations/9c8b7a6f5e4d_backfill.rs", text.as_bytes()).unwrap();
    assert_eq!(file.kind(), MigrationKind::Rust);
    assert_eq!(file.revision().id(), "9c8b7a6f5e4d");
    assert_eq!(file.revision().parents()[0], "3f2a9c1d7b4e");
    assert_eq!(file.revision().message(), "backfill priorities");
    assert!(!file.revision().is_transactional());
    assert!(file.up().is_none());
    assert!(file.down().is_none());
    assert_eq!(*file.revision().checksum(), Checksum::of(text.as_bytes()));
}

#[test]
fn crlf_files_parse_and_keep_their_line_endings_and_checksum() {
    let text = DESIGN_EXAMPLE.replace('\n', "\r\n");
    let file = parse(&text).unwrap();
    assert_eq!(file.revision().message(), "add priority column to tasks");
    assert_eq!(file.revision().created(), Some("2026-11-21T10:00:00Z"));
    let up = file.up().unwrap();
    assert_eq!(
        up.sql(),
        "ALTER TABLE tasks ADD COLUMN priority integer NOT NULL DEFAULT 0;\r\n\r\n"
    );
    assert_eq!(up.first_line(), 7);
    // Line endings are not content: the checksum is that of the LF file.
    assert_eq!(
        *file.revision().checksum(),
        Checksum::of(DESIGN_EXAMPLE.as_bytes())
    );
}

#[test]
fn a_utf8_bom_and_trailing_whitespace_on_markers_are_tolerated() {
    let text = format!(
        "\u{feff}{}",
        DESIGN_EXAMPLE.replace("-- up\n", "-- up  \t\n")
    );
    let file = parse(&text).unwrap();
    assert_eq!(file.revision().id(), "3f2a9c1d7b4e");
    assert_eq!(file.up().unwrap().first_line(), 7);
    assert_eq!(*file.revision().checksum(), Checksum::of(text.as_bytes()));
}

#[test]
fn the_name_may_be_just_the_id_and_ids_may_contain_underscores() {
    let text = "-- revision: django_0001\n-- up\n-- down\n";
    assert!(parse_migration("django_0001.sql", text.as_bytes()).is_ok());
    assert!(parse_migration("django_0001_initial.sql", text.as_bytes()).is_ok());
    assert!(parse_migration(r"migrations\django_0001_initial.sql", text.as_bytes()).is_ok());
}

#[test]
fn the_created_timestamp_accepts_offsets_and_fractions() {
    for created in [
        "2026-11-21T10:00:00Z",
        "2026-11-21T10:00:00.123456Z",
        "2026-11-21T10:00:00+02:00",
        "2026-11-21T10:00:00.5-05:30",
        "2024-02-29T23:59:60z",
    ] {
        let file = parse(&with_header(&format!("-- created: {created}")));
        assert_eq!(file.unwrap().revision().created(), Some(created));
    }
}

// ---- errors, each with its exact message ----

#[test]
fn error_unsupported_extension() {
    let err = parse_migration("migrations/3f2a9c1d7b4e.txt", b"").unwrap_err();
    assert_eq!(err.kind(), &ParseErrorKind::UnsupportedExtension);
    assert_eq!(
        err.to_string(),
        "migrations/3f2a9c1d7b4e.txt: not a migration file: the name must end in '.sql' or '.rs'"
    );
}

#[test]
fn error_not_utf8_names_the_line() {
    let mut bytes = b"-- revision: 3f2a9c1d7b4e\n-- message: caf".to_vec();
    bytes.push(0xe9); // Latin-1 'é'
    bytes.extend_from_slice(b"\n-- up\n-- down\n");
    let err = parse_migration(NAME, &bytes).unwrap_err();
    assert_eq!(err.line(), Some(2));
    assert_eq!(
        err.to_string(),
        format!("{NAME}:2: invalid UTF-8 (byte 0xe9); migration files must be saved as UTF-8")
    );
}

#[test]
fn error_unknown_key_suggests_the_likely_key() {
    assert_eq!(
        error(&with_header("-- revison: 1a2b3c4d5e6f")),
        format!("{NAME}:2: unknown header key 'revison' (did you mean 'revision'?)")
    );
    assert_eq!(
        error(&with_header("-- depends_on: 1a2b3c4d5e6f")),
        format!("{NAME}:2: unknown header key 'depends_on' (did you mean 'depends-on'?)")
    );
    assert_eq!(
        error(&with_header("-- down_revision: 1a2b3c4d5e6f")),
        format!("{NAME}:2: unknown header key 'down_revision' (did you mean 'revises'?)")
    );
    let err = parse(&with_header("-- Message: hi")).unwrap_err();
    assert_eq!(
        err.kind(),
        &ParseErrorKind::UnknownKey {
            key: "Message".into(),
            suggestion: Some("message")
        }
    );
}

#[test]
fn error_unknown_key_without_a_likely_key_lists_the_known_ones() {
    assert_eq!(
        error(&with_header("-- author: ann")),
        format!(
            "{NAME}:2: unknown header key 'author'; the known keys are revision, revises, \
             depends-on, branch-labels, message, created, transaction, irreversible, \
             lock-timeout, statement-timeout, lint-ignore"
        )
    );
}

#[test]
fn error_duplicate_key() {
    assert_eq!(
        error(&with_header("-- message: one\n-- message: two")),
        format!("{NAME}:3: duplicate header key 'message' (first given on line 2)")
    );
}

#[test]
fn error_prose_inside_the_header() {
    assert_eq!(
        error(&with_header("-- This adds the priority column.")),
        format!(
            "{NAME}:2: header line '-- This adds the priority column.' is not 'key: value'; \
             put free comments after a blank line that ends the header"
        )
    );
}

#[test]
fn error_header_key_after_the_end_of_the_header() {
    let text = "-- revision: 3f2a9c1d7b4e\n\n-- revises: 1a2b3c4d5e6f\n-- up\n-- down\n";
    assert_eq!(
        error(text),
        format!(
            "{NAME}:3: header key 'revises' after the end of the header (line 2 ended it); \
             move it up into the header, which is the unbroken run of comment lines at the top"
        )
    );
}

#[test]
fn error_missing_revision() {
    assert_eq!(
        error("-- message: no id\n\n-- up\n-- down\n"),
        format!(
            "{NAME}:1: no 'revision' in the header; the file must begin with a line such as \
             '-- revision: 3f2a9c1d7b4e'"
        )
    );
    let err = parse_migration("x.rs", b"// revision: x\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "x.rs:1: no 'revision' in the header; the file must begin with a line such as \
         '//! revision: 3f2a9c1d7b4e'"
    );
    assert!(parse("").is_err());
}

#[test]
fn error_invalid_revision_id() {
    assert_eq!(
        error("-- revision: 3f2a-9c1d\n-- up\n-- down\n"),
        format!(
            "{NAME}:1: in 'revision': revision id '3f2a-9c1d' contains \"-\"; \
             only ASCII letters, digits and '_' are allowed"
        )
    );
}

#[test]
fn error_invalid_name_in_revises_depends_on_and_labels() {
    assert_eq!(
        error(&with_header("-- revises: aaa111,,bbb222")),
        format!("{NAME}:2: in 'revises': empty revision id")
    );
    assert_eq!(
        error(&with_header("-- depends-on: head")),
        format!(
            "{NAME}:2: in 'depends-on': 'head' can't be used as a revision id: \
             it is a reserved target word"
        )
    );
    assert_eq!(
        error(&with_header("-- branch-labels: my label")),
        format!(
            "{NAME}:2: in 'branch-labels': branch label 'my label' contains \" \"; \
             only ASCII letters, digits and '_' are allowed"
        )
    );
}

#[test]
fn error_revision_listed_twice() {
    assert_eq!(
        error(&with_header("-- revises: aaa111, bbb222, aaa111")),
        format!("{NAME}:2: 'aaa111' is listed twice in 'revises'")
    );
}

#[test]
fn error_revision_revising_or_depending_on_itself() {
    assert_eq!(
        error(&with_header("-- revises: aaa111, 3f2a9c1d7b4e")),
        format!(
            "{NAME}:2: revision '3f2a9c1d7b4e' lists itself in 'revises'; \
             a revision can't come after itself"
        )
    );
    assert_eq!(
        error("-- depends-on: 3f2a9c1d7b4e\n-- revision: 3f2a9c1d7b4e\n-- up\n-- down\n"),
        format!(
            "{NAME}:1: revision '3f2a9c1d7b4e' lists itself in 'depends-on'; \
             a revision can't come after itself"
        )
    );
}

#[test]
fn error_bad_transaction_value() {
    assert_eq!(
        error(&with_header("-- transaction: no")),
        format!("{NAME}:2: invalid 'transaction' value 'no': expected 'true' or 'false'")
    );
}

#[test]
fn error_bad_created_timestamps() {
    let cases = [
        (
            "yesterday",
            "expected YYYY-MM-DDTHH:MM:SS followed by 'Z' or an offset like '+02:00'",
        ),
        (
            "2026-11-21 10:00:00Z",
            "expected YYYY-MM-DDTHH:MM:SS followed by 'Z' or an offset like '+02:00'",
        ),
        ("2026-13-01T10:00:00Z", "month 13 does not exist"),
        ("2026-02-29T10:00:00Z", "day 29 does not exist in 2026-02"),
        ("2026-11-21T24:00:00Z", "time 24:00:00 does not exist"),
        (
            "2026-11-21T10:00:00",
            "the time zone is missing; end with 'Z' or an offset like '+02:00'",
        ),
        (
            "2026-11-21T10:00:00.Z",
            "fractional seconds need at least one digit after '.'",
        ),
        (
            "2026-11-21T10:00:00+2:00",
            "invalid time zone offset '+2:00'",
        ),
        (
            "2026-11-21T10:00:00Zulu",
            "expected YYYY-MM-DDTHH:MM:SS followed by 'Z' or an offset like '+02:00'",
        ),
    ];
    for (value, reason) in cases {
        assert_eq!(
            error(&with_header(&format!("-- created: {value}"))),
            format!(
                "{NAME}:2: invalid 'created' value '{value}': {reason}; \
                 expected an RFC 3339 timestamp such as '2026-11-21T10:00:00Z'"
            )
        );
    }
    assert_eq!(
        error(&with_header("-- created:")),
        format!(
            "{NAME}:2: invalid 'created' value '': the value is empty; \
             expected an RFC 3339 timestamp such as '2026-11-21T10:00:00Z'"
        )
    );
}

#[test]
fn error_empty_irreversible() {
    assert_eq!(
        error(&with_header("-- irreversible:   ")),
        format!(
            "{NAME}:2: 'irreversible' needs a reason, shown when a downgrade reaches this \
             revision (for example 'irreversible: drops the archived rows')"
        )
    );
}

#[test]
fn error_file_name_mismatch_suggests_a_name() {
    let text = "-- revises: 1a2b3c4d5e6f\n-- revision: 3f2a9c1d7b4e\n-- up\n-- down\n";
    let err =
        parse_migration("migrations/1a2b3c4d5e6f_add_priority.sql", text.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "migrations/1a2b3c4d5e6f_add_priority.sql:2: the header declares revision \
         '3f2a9c1d7b4e' but the file name says '1a2b3c4d5e6f'; rename the file to \
         '3f2a9c1d7b4e_add_priority.sql', or fix the header"
    );
    // An id that is a prefix of the stem but not followed by '_' does not match either.
    let text = "-- revision: django_0001\n-- up\n-- down\n";
    let err = parse_migration("django_00012_initial.sql", text.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "django_00012_initial.sql:1: the header declares revision 'django_0001' but the file \
         name says 'django_00012'; rename the file to 'django_0001_initial.sql', or fix the \
         header"
    );
    let err = parse_migration("initial.rs", b"//! revision: a_b\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "initial.rs:1: the header declares revision 'a_b' but the file name says 'initial'; \
         rename the file to 'a_b.rs', or fix the header"
    );
}

#[test]
fn error_missing_up() {
    assert_eq!(
        error("-- revision: 3f2a9c1d7b4e\n\n-- down\n"),
        format!(
            "{NAME}: no '-- up' section; add a line that is exactly '-- up' above the upgrade SQL"
        )
    );
}

#[test]
fn error_missing_down_tells_both_ways_out() {
    assert_eq!(
        error("-- revision: 3f2a9c1d7b4e\n\n-- up\nSELECT 1;\n"),
        format!(
            "{NAME}: no '-- down' section; add an empty '-- down' section if there is nothing \
             to undo, or declare '-- irreversible: <reason>' in the header"
        )
    );
}

#[test]
fn error_duplicate_section_names_both_lines() {
    assert_eq!(
        error("-- revision: 3f2a9c1d7b4e\n-- up\nSELECT 1;\n-- down\n-- up\n"),
        format!("{NAME}:5: second '-- up' section (the first is on line 2)")
    );
    assert_eq!(
        error("-- revision: 3f2a9c1d7b4e\n-- down\n-- up\n-- down\r\n"),
        format!("{NAME}:4: second '-- down' section (the first is on line 2)")
    );
}

#[test]
fn error_sql_before_the_up_section() {
    assert_eq!(
        error("-- revision: 3f2a9c1d7b4e\nCREATE TABLE t ();\n-- up\n-- down\n"),
        format!(
            "{NAME}:2: SQL before the '-- up' section; only blank lines and '--' comments \
             may come between the header and the first section marker"
        )
    );
}

#[test]
fn error_misspelled_section_markers() {
    assert_eq!(
        error("-- revision: 3f2a9c1d7b4e\n\n-- up\nSELECT 1;\n--down\nSELECT 2;\n"),
        format!("{NAME}:5: '--down' is not a section marker; write the line as exactly '-- down'")
    );
    assert_eq!(
        error("-- revision: 3f2a9c1d7b4e\n-- UP\n"),
        format!("{NAME}:2: '-- UP' is not a section marker; write the line as exactly '-- up'")
    );
}

#[test]
fn error_sql_in_the_down_section_of_an_irreversible_revision() {
    let text = "-- revision: 3f2a9c1d7b4e\n-- irreversible: data is gone\n\n-- up\nSELECT 1;\n-- down\nSELECT 2;\n";
    assert_eq!(
        error(text),
        format!(
            "{NAME}:6: the '-- down' section has SQL, but the header declares the revision \
             irreversible (line 2), so it would never run; remove the SQL or the \
             'irreversible' key"
        )
    );
}

// ---- no panic on any input ----

/// Lines that reach every branch of the parser when shuffled together.
fn interesting_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("-- revision: a1".to_owned()),
        Just("-- revision: b-2".to_owned()),
        Just("-- revises: a0, z9".to_owned()),
        Just("-- revises: a1".to_owned()),
        Just("-- depends-on: a1".to_owned()),
        Just("-- branch-labels: x,,y".to_owned()),
        Just("-- created: 2026-02-29T25:61:61+99:99".to_owned()),
        Just("-- created: 2026-11-21T10:00:00.1Z".to_owned()),
        Just("-- transaction: false".to_owned()),
        Just("-- irreversible:".to_owned()),
        Just("-- irreversible: reason".to_owned()),
        Just("-- revison: a1".to_owned()),
        Just("//! revision: a1".to_owned()),
        Just("-- up".to_owned()),
        Just("-- down".to_owned()),
        Just("--UP".to_owned()),
        Just("-- prose".to_owned()),
        Just("SELECT 1;".to_owned()),
        Just(String::new()),
        Just("\u{feff}\r".to_owned()),
        "[ -~é\u{1F600}:,_-]{0,24}",
    ]
}

fn header_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("-- revises: a0".to_owned()),
        Just("-- message: fuzz: all the way".to_owned()),
        Just("-- irreversible: gone".to_owned()),
        Just("-- transaction: false".to_owned()),
    ]
}

fn body_line() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("-- up".to_owned()),
        1 => Just("-- down  ".to_owned()),
        2 => Just(String::new()),
        2 => Just("-- a comment".to_owned()),
        4 => "SELECT [a-z0-9 ,;']{0,12}",
    ]
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(text in "\\PC*", name in "[a-z0-9_./]{0,12}") {
        let _ = parse_migration(&name, text.as_bytes());
        let _ = parse_migration("a1_fuzz.sql", text.as_bytes());
        let _ = parse_migration("a1_fuzz.rs", text.as_bytes());
    }

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_migration("a1_fuzz.sql", &bytes);
        let _ = parse_migration("a1_fuzz.rs", &bytes);
    }

    #[test]
    fn never_panics_on_shuffled_migration_lines(
        lines in proptest::collection::vec(interesting_line(), 0..16),
        crlf in any::<bool>(),
    ) {
        let text = lines.join(if crlf { "\r\n" } else { "\n" });
        let _ = parse_migration("a1_fuzz.sql", text.as_bytes());
        let _ = parse_migration("a1_fuzz.rs", text.as_bytes());
    }

    #[test]
    fn section_lines_point_just_after_their_markers(
        header in proptest::collection::vec(header_line(), 0..3),
        first_marker in prop_oneof![Just("-- up"), Just("-- down")],
        body in proptest::collection::vec(body_line(), 0..12),
        crlf in any::<bool>(),
    ) {
        let mut lines = vec!["-- revision: a1".to_owned()];
        lines.extend(header);
        lines.push(String::new());
        lines.push(first_marker.to_owned());
        lines.extend(body);
        let text = lines.join(if crlf { "\r\n" } else { "\n" });
        match parse_migration("a1_fuzz.sql", text.as_bytes()) {
            Ok(file) => {
                let file_lines: Vec<&str> = text.split('\n').collect();
                let up = file.up().expect("a parsed SQL file has an up section");
                for (section, marker) in [(Some(up), "-- up"), (file.down(), "-- down")] {
                    if let Some(section) = section {
                        let marker_line = file_lines[section.first_line() - 2];
                        prop_assert_eq!(marker_line.trim_end(), marker);
                        // The body is the text right after the marker line, verbatim.
                        let after_marker = file_lines[section.first_line() - 1..].join("\n");
                        prop_assert!(after_marker.starts_with(section.sql()));
                    }
                }
            }
            Err(err) => prop_assert!(err.to_string().starts_with("a1_fuzz.sql")),
        }
    }
}
