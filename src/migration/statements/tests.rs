//! The statement splitter against PostgreSQL's lexing rules: strings, quotes, comments, dollar
//! quotes, `BEGIN ATOMIC` bodies, and the tokens the parser checks.

use super::*;
use proptest::prelude::*;

/// The statements' texts, for comparing with what a user expects to be sent.
fn split(sql: &str) -> Vec<&str> {
    match split_statements(sql) {
        Ok(statements) => statements.iter().map(|s| s.sql()).collect(),
        Err(error) => panic!("split_statements({sql:?}) failed: {error}"),
    }
}

fn error(sql: &str) -> SplitError {
    match split_statements(sql) {
        Ok(statements) => panic!("split_statements({sql:?}) succeeded: {statements:?}"),
        Err(error) => error,
    }
}

// ---- plain statements ----

#[test]
fn splits_at_top_level_semicolons_and_trims() {
    assert_eq!(
        split("  CREATE TABLE a (id int);\n\tINSERT INTO a VALUES (1) ;\n"),
        ["CREATE TABLE a (id int)", "INSERT INTO a VALUES (1)"]
    );
}

#[test]
fn keeps_a_last_statement_without_semicolon() {
    assert_eq!(split("SELECT 1;\nSELECT 2\n"), ["SELECT 1", "SELECT 2"]);
}

#[test]
fn drops_empty_and_comment_only_statements() {
    assert_eq!(
        split(";;SELECT 1;;\n ; -- nothing here;\n/* nor; here */;SELECT 2;;"),
        ["SELECT 1", "SELECT 2"]
    );
}

#[test]
fn empty_and_blank_input_have_no_statements() {
    assert_eq!(split(""), Vec::<&str>::new());
    assert_eq!(split(" \n\t\r\n"), Vec::<&str>::new());
    assert_eq!(
        split("-- only a comment\n/* and another */"),
        Vec::<&str>::new()
    );
}

#[test]
fn create_index_concurrently_is_a_statement_of_its_own() {
    let body = "ALTER TABLE tasks ADD COLUMN priority int;\n\
                CREATE INDEX CONCURRENTLY tasks_priority ON tasks (priority);\n\
                ANALYZE tasks;\n";
    assert_eq!(
        split(body),
        [
            "ALTER TABLE tasks ADD COLUMN priority int",
            "CREATE INDEX CONCURRENTLY tasks_priority ON tasks (priority)",
            "ANALYZE tasks",
        ]
    );
}

// ---- strings and identifiers ----

#[test]
fn semicolon_in_single_quoted_string() {
    assert_eq!(
        split("INSERT INTO t VALUES ('a;b', 'it''s; ok');SELECT ';'"),
        ["INSERT INTO t VALUES ('a;b', 'it''s; ok')", "SELECT ';'"]
    );
}

#[test]
fn backslash_in_plain_string_is_ordinary() {
    // standard_conforming_strings: 'a\' is a complete string.
    assert_eq!(
        split(r"SELECT 'a\'; SELECT 'b'"),
        [r"SELECT 'a\'", "SELECT 'b'"]
    );
}

#[test]
fn escape_string_backslash_quote_does_not_close() {
    assert_eq!(
        split(r"SELECT E'it\'s; fine', e'\\'; SELECT E'a''b;'"),
        [r"SELECT E'it\'s; fine', e'\\'", "SELECT E'a''b;'"]
    );
}

#[test]
fn e_at_the_end_of_a_longer_word_is_not_an_escape_prefix() {
    // `type'...'` is the word `type` then a plain string, whose backslash is ordinary.
    assert_eq!(
        split(r"SELECT type'\'; SELECT 1"),
        [r"SELECT type'\'", "SELECT 1"]
    );
}

#[test]
fn unicode_escape_string_is_closed_by_its_quote() {
    assert_eq!(
        split(r"SELECT U&'d\0061t\+000061;\'; SELECT u&'x'"),
        [r"SELECT U&'d\0061t\+000061;\'", "SELECT u&'x'"]
    );
}

#[test]
fn prefixed_bit_hex_and_national_strings() {
    assert_eq!(
        split("SELECT B'01', X'1F', N'a;b'; SELECT 2"),
        ["SELECT B'01', X'1F', N'a;b'", "SELECT 2"]
    );
}

#[test]
fn semicolon_in_quoted_identifier() {
    assert_eq!(
        split(r#"CREATE TABLE "a;b" ("say ""hi"";" int);SELECT U&"x;y" FROM "a;b""#),
        [
            r#"CREATE TABLE "a;b" ("say ""hi"";" int)"#,
            r#"SELECT U&"x;y" FROM "a;b""#
        ]
    );
}

#[test]
fn quote_characters_of_one_kind_are_plain_inside_the_other() {
    assert_eq!(
        split(r#"SELECT '"; $$' AS "'; $$"; SELECT 2"#),
        [r#"SELECT '"; $$' AS "'; $$""#, "SELECT 2"]
    );
}

// ---- dollar quotes ----

#[test]
fn semicolon_in_dollar_quotes() {
    assert_eq!(
        split("SELECT $$a;b$$, $tag$c;d$tag$; SELECT $_x1$;$_x1$"),
        ["SELECT $$a;b$$, $tag$c;d$tag$", "SELECT $_x1$;$_x1$"]
    );
}

#[test]
fn different_tag_inside_does_not_close() {
    assert_eq!(
        split("SELECT $outer$ $$ ; $inner$ ; $OUTER$ ; $outer$; SELECT 2"),
        [
            "SELECT $outer$ $$ ; $inner$ ; $OUTER$ ; $outer$",
            "SELECT 2"
        ]
    );
}

#[test]
fn closing_tag_may_follow_a_dollar_of_something_else() {
    // `$b$a$`: `$b$` is not the tag, and the `$a$` that ends it closes the quote.
    assert_eq!(
        split("SELECT $a$ x $b$a$; SELECT 2"),
        ["SELECT $a$ x $b$a$", "SELECT 2"]
    );
}

#[test]
fn parameters_are_not_dollar_quotes() {
    assert_eq!(
        split("PREPARE p AS SELECT $1 + $12;EXECUTE p(1, 2)"),
        ["PREPARE p AS SELECT $1 + $12", "EXECUTE p(1, 2)"]
    );
}

#[test]
fn dollar_inside_an_identifier_is_not_a_quote() {
    assert_eq!(
        split("SELECT x$$; SELECT $$;$$"),
        ["SELECT x$$", "SELECT $$;$$"]
    );
}

#[test]
fn dollar_after_a_number_opens_a_quote() {
    assert_eq!(
        split("SELECT 1$$;$$; SELECT 2"),
        ["SELECT 1$$;$$", "SELECT 2"]
    );
}

#[test]
fn dollar_tag_without_closing_dollar_is_no_quote() {
    assert_eq!(split("SELECT $foo; SELECT 2"), ["SELECT $foo", "SELECT 2"]);
}

#[test]
fn non_ascii_dollar_tag() {
    assert_eq!(
        split("SELECT $é$ ; $e$ ; $é$; SELECT 2"),
        ["SELECT $é$ ; $e$ ; $é$", "SELECT 2"]
    );
}

#[test]
fn plpgsql_function_with_body_tag_and_nested_dollar_quotes() {
    let body = r#"
CREATE TABLE log (msg text);

CREATE OR REPLACE FUNCTION note(msg text) RETURNS void
LANGUAGE plpgsql AS $body$
DECLARE
    stmt text := 'INSERT INTO log VALUES ($1);';
BEGIN
    EXECUTE stmt USING msg;
    EXECUTE $$SELECT 'nested; still inside'$$;
    /* an unclosed comment in a string is fine: ' */
    RAISE NOTICE 'done; %', msg;
END;
$body$;

SELECT note('hello; world');
"#;
    let statements = split_statements(body).unwrap();
    let sql: Vec<&str> = statements.iter().map(|s| s.sql()).collect();
    assert_eq!(sql.len(), 3, "{sql:#?}");
    assert_eq!(sql[0], "CREATE TABLE log (msg text)");
    assert!(sql[1].starts_with("CREATE OR REPLACE FUNCTION note"));
    assert!(sql[1].ends_with("END;\n$body$"));
    assert_eq!(sql[2], "SELECT note('hello; world')");
    let lines: Vec<usize> = statements.iter().map(|s| s.first_line()).collect();
    assert_eq!(lines, [2, 4, 16]);
}

// ---- comments ----

#[test]
fn semicolon_in_line_comment() {
    assert_eq!(
        split("SELECT 1 -- one; two\n + 1;SELECT 2 --;"),
        ["SELECT 1 -- one; two\n + 1", "SELECT 2"]
    );
}

#[test]
fn semicolon_in_block_comment() {
    assert_eq!(
        split("SELECT /* a; b */ 1;SELECT 2"),
        ["SELECT /* a; b */ 1", "SELECT 2"]
    );
}

#[test]
fn block_comments_nest() {
    assert_eq!(
        split("SELECT /* outer; /* inner; */ still a comment; */ 1; SELECT 2"),
        [
            "SELECT /* outer; /* inner; */ still a comment; */ 1",
            "SELECT 2"
        ]
    );
}

#[test]
fn slash_star_slash_does_not_close_a_comment() {
    assert_eq!(
        split("SELECT /*/ ; */ 1; SELECT /**/ 2"),
        ["SELECT /*/ ; */ 1", "SELECT /**/ 2"]
    );
}

#[test]
fn comment_markers_inside_other_constructs_mean_nothing() {
    assert_eq!(
        split(
            "SELECT '--', '/*', \"--\", $$/*$$; SELECT 2 /* -- ' \" $$ */ + 1; SELECT 3 -- /* '\n"
        ),
        [
            "SELECT '--', '/*', \"--\", $$/*$$",
            "SELECT 2 /* -- ' \" $$ */ + 1",
            "SELECT 3"
        ]
    );
}

#[test]
fn comment_starts_inside_an_operator() {
    assert_eq!(
        split("SELECT 2+--1;\n3; SELECT 4*/*;*/5"),
        ["SELECT 2+--1;\n3", "SELECT 4*/*;*/5"]
    );
}

#[test]
fn leading_and_trailing_comments_are_not_part_of_the_statement() {
    let statements = split_statements(
        "SELECT 1; -- about the first\n\n/* about the second */\nSELECT /* inside */ 2 -- after\n;",
    )
    .unwrap();
    let sql: Vec<&str> = statements.iter().map(|s| s.sql()).collect();
    assert_eq!(sql, ["SELECT 1", "SELECT /* inside */ 2"]);
    assert_eq!(statements[1].first_line(), 4);
}

// ---- parentheses ----

#[test]
fn semicolons_inside_parentheses_belong_to_the_statement() {
    let body = "CREATE RULE r AS ON INSERT TO a DO ALSO (\n\
                INSERT INTO b VALUES (new.id);\n\
                INSERT INTO c VALUES (new.id)\n);\n\
                SELECT 1";
    assert_eq!(
        split(body),
        [
            "CREATE RULE r AS ON INSERT TO a DO ALSO (\nINSERT INTO b VALUES (new.id);\nINSERT INTO c VALUES (new.id)\n)",
            "SELECT 1",
        ]
    );
}

#[test]
fn unclosed_parenthesis_keeps_the_rest_in_one_statement() {
    // As psql does: the server then reports the syntax error, and nothing runs.
    assert_eq!(split("SELECT (1; SELECT 2"), ["SELECT (1; SELECT 2"]);
}

#[test]
fn stray_closing_parenthesis_does_not_stop_splitting() {
    assert_eq!(split("SELECT 1); SELECT 2"), ["SELECT 1)", "SELECT 2"]);
}

// ---- BEGIN ATOMIC bodies ----

#[test]
fn begin_atomic_body_with_several_statements() {
    let body = "\
CREATE FUNCTION add_one(i int) RETURNS int
LANGUAGE sql
BEGIN ATOMIC
    INSERT INTO calls VALUES (i);
    SELECT i + 1;
END;
CREATE INDEX CONCURRENTLY calls_i ON calls (i);
";
    assert_eq!(
        split(body),
        [
            "CREATE FUNCTION add_one(i int) RETURNS int\nLANGUAGE sql\nBEGIN ATOMIC\n    \
             INSERT INTO calls VALUES (i);\n    SELECT i + 1;\nEND",
            "CREATE INDEX CONCURRENTLY calls_i ON calls (i)",
        ]
    );
}

#[test]
fn case_inside_begin_atomic_does_not_close_the_body() {
    let body = "\
create or replace procedure classify(n int)
language sql
begin atomic
    insert into kinds select case when n < 0 then 'neg;' else 'pos' end;
    insert into kinds select (case n when 0 then 'zero' end);
    select case when true then case when false then 1 end end;
end;
select 1;
";
    let sql = split(body);
    assert_eq!(sql.len(), 2, "{sql:#?}");
    assert!(sql[0].ends_with("then 1 end end;\nend"), "{sql:#?}");
    assert_eq!(sql[1], "select 1");
}

#[test]
fn comments_between_begin_and_atomic() {
    assert_eq!(
        split(
            "CREATE FUNCTION f() RETURNS int BEGIN /* ; */ -- x\n ATOMIC SELECT 1; END; SELECT 2"
        ),
        [
            "CREATE FUNCTION f() RETURNS int BEGIN /* ; */ -- x\n ATOMIC SELECT 1; END",
            "SELECT 2"
        ]
    );
}

#[test]
fn transaction_begin_is_not_a_body() {
    assert_eq!(
        split("BEGIN; SELECT 1; END; BEGIN ATOMIC; SELECT 2"),
        ["BEGIN", "SELECT 1", "END", "BEGIN ATOMIC", "SELECT 2"]
    );
}

#[test]
fn begin_atomic_only_opens_a_body_in_create_function_or_procedure() {
    assert_eq!(
        split("CREATE TABLE t (begin int, atomic int); SELECT begin atomic FROM t; SELECT 2"),
        [
            "CREATE TABLE t (begin int, atomic int)",
            "SELECT begin atomic FROM t",
            "SELECT 2"
        ]
    );
    // A routine named `begin`, or a parameter named `atomic`, opens nothing either. (psql 15
    // sends these two as one query; PostgreSQL's parser sees two statements, as we do.)
    assert_eq!(
        split("CREATE FUNCTION begin(atomic int) RETURNS int RETURN atomic; SELECT 2"),
        [
            "CREATE FUNCTION begin(atomic int) RETURNS int RETURN atomic",
            "SELECT 2"
        ]
    );
}

#[test]
fn case_outside_a_body_does_not_count() {
    assert_eq!(
        split(
            "CREATE FUNCTION f(x int DEFAULT CASE WHEN true THEN 1 END) RETURNS int \
             BEGIN ATOMIC SELECT x; END; SELECT 2"
        ),
        [
            "CREATE FUNCTION f(x int DEFAULT CASE WHEN true THEN 1 END) RETURNS int \
             BEGIN ATOMIC SELECT x; END",
            "SELECT 2"
        ]
    );
}

#[test]
fn unclosed_begin_atomic_keeps_the_rest_in_one_statement() {
    assert_eq!(
        split("CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; SELECT 2;"),
        ["CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; SELECT 2;"]
    );
}

// ---- line endings, non-ASCII text, positions ----

#[test]
fn crlf_input() {
    let body = "-- up\r\nCREATE TABLE a (id int);\r\n\r\nSELECT 1 -- c;\r\n+ 1;\r\n";
    let statements = split_statements(body).unwrap();
    let sql: Vec<&str> = statements.iter().map(|s| s.sql()).collect();
    assert_eq!(sql, ["CREATE TABLE a (id int)", "SELECT 1 -- c;\r\n+ 1"]);
    let lines: Vec<usize> = statements.iter().map(|s| s.first_line()).collect();
    assert_eq!(lines, [2, 4]);
}

#[test]
fn lone_carriage_return_ends_a_line_comment() {
    assert_eq!(split("SELECT 1 -- c\r; SELECT 2"), ["SELECT 1", "SELECT 2"]);
}

#[test]
fn non_ascii_text() {
    let body = "INSERT INTO café VALUES ('naïve; ☕');\n\
                SELECT ünïcode, \"ñ;\" FROM 表;\n\
                SELECT 'ok' AS résumé";
    let statements = split_statements(body).unwrap();
    let sql: Vec<&str> = statements.iter().map(|s| s.sql()).collect();
    assert_eq!(
        sql,
        [
            "INSERT INTO café VALUES ('naïve; ☕')",
            "SELECT ünïcode, \"ñ;\" FROM 表",
            "SELECT 'ok' AS résumé"
        ]
    );
    for statement in &statements {
        assert_eq!(&body[statement.byte_range()], statement.sql());
    }
    let lines: Vec<usize> = statements.iter().map(|s| s.first_line()).collect();
    assert_eq!(lines, [1, 2, 3]);
}

#[test]
fn no_break_space_is_not_whitespace_to_postgresql() {
    // Bytes of non-ASCII characters are identifier characters to PostgreSQL's lexer, so a
    // statement made only of a pasted U+00A0 is still sent (and rejected by the server).
    assert_eq!(split("SELECT 1;\u{a0};"), ["SELECT 1", "\u{a0}"]);
}

#[test]
fn byte_range_and_first_line_point_into_the_input() {
    let body = "\n\n  -- header\n  SELECT 1;\n/* x */ SELECT\n2;";
    let statements = split_statements(body).unwrap();
    assert_eq!(statements[0].byte_range(), 16..24);
    assert_eq!(statements[0].first_line(), 4);
    assert_eq!(&body[statements[1].byte_range()], "SELECT\n2");
    assert_eq!(statements[1].first_line(), 5);
}

#[test]
fn statement_displays_as_its_sql() {
    let statements = split_statements("  SELECT 1 ;").unwrap();
    assert_eq!(statements[0].to_string(), "SELECT 1");
}

#[test]
fn line_of_position_counts_characters() {
    let sql = "SELECT 'é',\n  'ü',\r\n  nope";
    assert_eq!(line_of_position(sql, 1), 1);
    assert_eq!(line_of_position(sql, 11), 1); // the `,` before the first newline
    assert_eq!(line_of_position(sql, 12), 1); // the newline ends line 1
    assert_eq!(line_of_position(sql, 13), 2);
    assert_eq!(line_of_position(sql, 19), 2); // `\r` of the CRLF
    assert_eq!(line_of_position(sql, 20), 2); // `\n` of the CRLF
    assert_eq!(line_of_position(sql, 23), 3); // `nope`
}

#[test]
fn line_of_position_out_of_range() {
    assert_eq!(line_of_position("a\nb", 0), 1);
    // One past the end: "syntax error at end of input".
    assert_eq!(line_of_position("a\nb", 4), 2);
    assert_eq!(line_of_position("a\n", 3), 2);
    assert_eq!(line_of_position("a\nb", usize::MAX), 2);
    assert_eq!(line_of_position("", 1), 1);
}

#[test]
fn input_line_of_position_adds_the_statement_line() {
    let body = "SELECT 1;\n\n-- next\nSELECT é,\n  nope(;\n";
    let statements = split_statements(body).unwrap();
    assert_eq!(statements[1].sql(), "SELECT é,\n  nope(;");
    assert_eq!(statements[1].input_line_of_position(1), 4);
    assert_eq!(statements[1].input_line_of_position(16), 5); // the `;`
}

// ---- errors ----

#[test]
fn unterminated_string() {
    let error = error("SELECT 1;\nSELECT 'it's here';");
    assert_eq!(error, SplitError::UnterminatedString { line: 2 });
    assert_eq!(
        error.to_string(),
        "unterminated string literal starting at line 2: the `'` opened there is never closed \
         (a quote inside a string is written `''`)"
    );
}

#[test]
fn unterminated_escape_string() {
    let error = error("SELECT 1;\n\nSELECT E'it\\';\n");
    assert_eq!(error, SplitError::UnterminatedEscapeString { line: 3 });
    assert_eq!(
        error.to_string(),
        "unterminated escape string literal starting at line 3: the `E'` opened there is never \
         closed (inside E'...' a backslash escapes the next character, so `\\'` does not end \
         the string)"
    );
    // A backslash as the very last character escapes nothing, and closes nothing either.
    assert_eq!(
        split_statements("SELECT e'\\"),
        Err(SplitError::UnterminatedEscapeString { line: 1 })
    );
}

#[test]
fn unterminated_quoted_identifier() {
    let error = error("SELECT \"a\"\"b;\nFROM t;");
    assert_eq!(error, SplitError::UnterminatedQuotedIdentifier { line: 1 });
    assert_eq!(
        error.to_string(),
        "unterminated quoted identifier starting at line 1: the `\"` opened there is never \
         closed (a double quote inside an identifier is written `\"\"`)"
    );
}

#[test]
fn unterminated_dollar_quote_names_its_tag() {
    let error = error("SELECT 1;\nCREATE FUNCTION f() RETURNS int AS $body$\nSELECT 1;\n$BODY$;\n");
    assert_eq!(
        error,
        SplitError::UnterminatedDollarQuote {
            line: 2,
            delimiter: "$body$".to_owned()
        }
    );
    assert_eq!(
        error.to_string(),
        "unterminated dollar-quoted string starting at line 2: nothing closes the `$body$` \
         opened there (only the same tag, `$body$` exactly, case included, ends it)"
    );
    assert_eq!(
        split_statements("SELECT $$ x $ $"),
        Err(SplitError::UnterminatedDollarQuote {
            line: 1,
            delimiter: "$$".to_owned()
        })
    );
}

#[test]
fn unterminated_block_comment() {
    let error = error("SELECT 1;\n/* no end;\nSELECT 2;");
    assert_eq!(
        error,
        SplitError::UnterminatedBlockComment {
            line: 2,
            nested_line: None
        }
    );
    assert_eq!(
        error.to_string(),
        "unterminated block comment starting at line 2: the `/*` opened there is never closed \
         by `*/`"
    );
}

#[test]
fn unterminated_block_comment_names_the_nested_opener() {
    let error = error("/* load the files\n   in data/*.sql */\nSELECT 1;");
    assert_eq!(
        error,
        SplitError::UnterminatedBlockComment {
            line: 1,
            nested_line: Some(2)
        }
    );
    assert_eq!(
        error.to_string(),
        "unterminated block comment starting at line 1: PostgreSQL nests block comments, and \
         the `/*` at line 2 opens a comment inside it, so a `*/` closes only that inner one"
    );
}

#[test]
fn error_line_is_where_the_construct_starts() {
    assert_eq!(error("SELECT 1;\r\n\r\nSELECT\r\n'a;\r\nb;").line(), 4);
    assert_eq!(error("SELECT 'é', \"ü\";\n$x$").line(), 2);
}

#[test]
fn unclosed_quote_inside_a_comment_is_no_error() {
    assert_eq!(
        split("-- it's\nSELECT 1 /* \" $$ */ + 1; -- E'\\"),
        ["SELECT 1 /* \" $$ */ + 1"]
    );
}

// ---- properties ----

/// Characters that matter to the splitter, mixed with ordinary ones.
fn tricky_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "'",
        "''",
        "\"",
        "$",
        "$$",
        "$a$",
        "$A$",
        "$1",
        ";",
        "-",
        "--",
        "/",
        "*",
        "/*",
        "*/",
        "\\",
        "E'",
        "e",
        "U&",
        "(",
        ")",
        "\n",
        "\r\n",
        "\r",
        " ",
        "x",
        "é",
        "☕",
        "begin",
        "atomic",
        "end",
        "case",
        "create ",
        "or replace ",
        "function ",
        "procedure ",
        "0",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|pieces| pieces.concat())
}

/// Checks what must hold of any successful split.
fn check_statements(input: &str, statements: &[Statement<'_>]) {
    let mut previous_end = 0;
    for statement in statements {
        let range = statement.byte_range();
        assert!(range.start >= previous_end, "overlap in {input:?}");
        previous_end = range.end;
        assert_eq!(&input[range.clone()], statement.sql());
        assert!(!statement.sql().is_empty());
        // PostgreSQL's whitespace only: a no-break space is part of an identifier to it.
        let pg_whitespace = [' ', '\t', '\n', '\r', '\u{b}', '\u{c}'];
        assert_eq!(statement.sql(), statement.sql().trim_matches(pg_whitespace));
        let newlines_before = input[..range.start].matches('\n').count();
        assert_eq!(statement.first_line(), newlines_before + 1);
    }
}

/// Statement fragments holding `;` (or comment and quote markers) that must not split.
const FRAGMENTS: &[&str] = &[
    "'a;b'",
    "'it''s; ok'",
    r"E'\';'",
    r"e'a\\'",
    r"U&'\;'",
    "N'x;'",
    "\"a;b\"",
    "\"q\"\";\"",
    "$$;$$",
    "$t$ ; $$ ; $T$ ; $t$",
    "$body$ BEGIN RETURN 1; END; $b$ $body$",
    "$é$;$é$",
    "x$$y",
    "$1",
    "1$$;$$",
    "/* ; /* ; */ ; */ x",
    "-- ; it's a comment\n y",
    "/* \" ' $$ */ z",
    "(1; 2)",
    "'é;ü'",
    "☕",
    "a - b / c * d",
];

/// A statement that is not `SELECT ...`: its own semicolons stay inside.
const ROUTINES: &[&str] = &[
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; \
     SELECT CASE WHEN true THEN 2 END; END",
    "create or replace procedure p()\r\nbegin atomic\r\n  insert into t values (';');\r\nend",
];

fn statement() -> impl Strategy<Value = String> {
    let separator = prop::sample::select(vec![" ", "\n", "\r\n", "\t"]);
    let select = (
        prop::collection::vec(prop::sample::select(FRAGMENTS), 1..5),
        separator,
    )
        .prop_map(|(fragments, separator)| {
            format!("SELECT{separator}{}", fragments.join(separator))
        });
    prop_oneof![
        4 => select,
        1 => prop::sample::select(ROUTINES).prop_map(str::to_owned),
    ]
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(input in any::<String>()) {
        if let Ok(statements) = split_statements(&input) {
            check_statements(&input, &statements);
        }
    }

    #[test]
    fn never_panics_on_tricky_text(input in tricky_text()) {
        match split_statements(&input) {
            Ok(statements) => check_statements(&input, &statements),
            Err(error) => {
                prop_assert!(error.line() >= 1);
                prop_assert!(error.line() <= input.matches('\n').count() + 1);
            }
        }
    }

    #[test]
    fn joined_statements_split_back(
        statements in prop::collection::vec(statement(), 1..6),
        terminator in prop::sample::select(vec![";\n", ";\n;;\n", ";\n-- only a comment;\n", "; /* c; */\r\n"]),
        trailing_semicolon in any::<bool>(),
    ) {
        let mut input = statements.join(terminator);
        if trailing_semicolon {
            input.push(';');
        }
        let split = split_statements(&input).unwrap();
        check_statements(&input, &split);
        let sql: Vec<&str> = split.iter().map(|s| s.sql()).collect();
        prop_assert_eq!(sql, statements.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn line_of_position_counts_newlines_before_the_character(
        input in "(\\PC|\n|\r\n){0,40}",
        position in 0usize..50,
    ) {
        let before: String = input.chars().take(position.saturating_sub(1)).collect();
        prop_assert_eq!(line_of_position(&input, position), before.matches('\n').count() + 1);
    }
}
