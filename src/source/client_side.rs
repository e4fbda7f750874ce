//! SQL that only a client such as psql can run, refused in the sections of a SQL migration
//! when the file is read: `COPY ... FROM STDIN` and `COPY ... TO STDOUT`, whose rows travel
//! between the server and the client, and psql's backslash meta-commands (`\copy`, `\i`,
//! `\set`...).
//!
//! pelican sends a section to the server as SQL (one simple query, or one per statement for
//! `transaction: false`). A `COPY` to or from the client switches the connection into a copy
//! mode that a simple query can't serve: the server ends the session, and the revision fails
//! with nothing useful to say. A meta-command is a syntax error for the server. Both are
//! written for psql scripts; the sooner they are refused, the better the message.

// Shared with the `pelican-macros` proc-macro crate, like every file of `source/` (see
// `parse.rs`), so that `embed_migrations!` refuses the same files: `std`, `thiserror`,
// `crate::revision` and `crate::migration::statements` only, no I/O, and no tests here
// (they live in `client_side_tests.rs`).

use super::parse_error::ParseErrorKind;
use crate::migration::statements::{tokens, Token, TokenKind};

/// Checks one section: `Err` with the 1-based line of `sql` and what is wrong at the first
/// client-side command, in text order.
///
/// The text is read with the statement splitter, which follows PostgreSQL's lexer, so nothing
/// inside a string, a quoted identifier, a dollar-quoted body or a comment counts. Where the
/// lexer stops early (a quote never closed), the text before is checked; the rest is left to
/// the server, as before.
pub(super) fn check_section(sql: &str) -> Result<(), (usize, ParseErrorKind)> {
    let (tokens, _unclosed) = tokens(sql);
    let text = |token: &Token| &sql[token.range.clone()];
    let line_of = |offset: usize| 1 + sql[..offset].bytes().filter(|&b| b == b'\n').count();
    for statement in tokens.split(|token| token.kind == TokenKind::End) {
        for token in statement {
            if token.kind == TokenKind::Other
                && text(token) == "\\"
                && starts_line(sql, token.range.start)
            {
                let command = meta_command(&sql[token.range.start..]);
                let error = ParseErrorKind::PsqlMetaCommand { command };
                return Err((line_of(token.range.start), error));
            }
        }
        if let Some(error) = copy_with_client(statement, text) {
            return Err((line_of(statement[0].range.start), error));
        }
    }
    Ok(())
}

/// Whether only blanks come before `offset` on its line.
fn starts_line(sql: &str, offset: usize) -> bool {
    sql[..offset]
        .bytes()
        .rev()
        .take_while(|&b| b != b'\n')
        .all(|b| b == b' ' || b == b'\t' || b == b'\r')
}

/// The meta-command at the start of `rest`: the backslash and what follows it up to a blank
/// (`\copy`, `\i`, `\.`), at most 40 characters of it.
fn meta_command(rest: &str) -> String {
    rest.chars()
        .take_while(|c| !c.is_whitespace())
        .take(40)
        .collect()
}

/// `COPY ... {FROM|TO} {STDIN|STDOUT}` at the top level of a `COPY` statement (not inside the
/// parentheses of `COPY (query) TO ...` or of a column list).
fn copy_with_client<'t>(
    statement: &'t [Token],
    text: impl Fn(&Token) -> &'t str,
) -> Option<ParseErrorKind> {
    let is_word = |token: &Token, words: &[&str]| {
        token.kind == TokenKind::Word && words.iter().any(|w| text(token).eq_ignore_ascii_case(w))
    };
    if !is_word(statement.first()?, &["copy"]) {
        return None;
    }
    let mut depth = 0usize;
    for pair in statement.windows(2) {
        let (token, next) = (&pair[0], &pair[1]);
        match (token.kind, text(token)) {
            (TokenKind::Other, "(") => depth += 1,
            (TokenKind::Other, ")") => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 && is_word(token, &["from", "to"]) && is_word(next, &["stdin", "stdout"]) {
            let clause = format!(
                "{} {}",
                text(token).to_ascii_uppercase(),
                text(next).to_ascii_uppercase()
            );
            return Some(if text(token).eq_ignore_ascii_case("from") {
                ParseErrorKind::CopyFromClient { clause }
            } else {
                ParseErrorKind::CopyToClient { clause }
            });
        }
    }
    None
}
