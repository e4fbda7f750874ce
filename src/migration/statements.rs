//! Splitting a SQL migration body into the statements PostgreSQL would see.
//!
//! A migration marked `transaction: false` runs statement by statement in autocommit: sent
//! as one simple query, several statements would form an implicit transaction, where
//! `CREATE INDEX CONCURRENTLY`, `VACUUM` and friends fail. So the body must be cut at exactly
//! the semicolons PostgreSQL itself treats as statement ends, and at no other.
//!
//! [`split_statements`] follows PostgreSQL's lexer: a `;` does not end a statement inside
//!
//! * a string: `'...'` (with `''`), `E'...'` (backslash escapes, so `\'` does not close it),
//!   `U&'...'`, `B'...'`, `X'...'`, `N'...'`;
//! * a quoted identifier `"..."` (with `""`), `U&"..."`;
//! * a dollar-quoted string `$$...$$` or `$tag$...$tag$` (only the identical tag closes it;
//!   `$1` is a parameter and `a$b` an identifier, neither opens a quote);
//! * a comment: `-- ...` up to the end of the line, or `/* ... */`, which nests;
//! * parentheses, as psql does, so the several actions of `CREATE RULE ... DO ( ...; ... )`
//!   stay one statement;
//! * the SQL-standard body of a function or procedure (PostgreSQL 14+):
//!   `CREATE [OR REPLACE] {FUNCTION|PROCEDURE} ... BEGIN ATOMIC ...; ...; END`, where `CASE`
//!   ... `END` inside the body is tracked so that its `END` does not close the body.
//!
//! Two assumptions, both PostgreSQL's defaults: `standard_conforming_strings` is on (a
//! backslash in a plain `'...'` string is an ordinary character), and the body is SQL, not a
//! psql script (backslash meta-commands and `:variables` mean nothing here).

// The migration file parser reads SQL sections with this lexer too (`source/client_side.rs`),
// and the `pelican-macros` proc-macro crate compiles the parser, so this file is compiled
// there as well (through `migrations-macros/shared/statements.rs`): it may use only `std` and
// `thiserror`. Its tests are in `statements/tests.rs`, compiled only as part of `pelican`.

use std::fmt;
use std::ops::Range;

// By path, like `tests` below: the proc-macro crate compiles this file as
// `migrations-macros/shared/statements.rs`.
#[path = "statements/split_error.rs"]
mod split_error;

pub use split_error::SplitError;

/// One statement of a migration body, borrowed from the text it was split from.
///
/// Its [`sql`](Statement::sql) is what is sent to the server: from the first character that is
/// neither whitespace nor part of a comment to the end of the last such token, without the
/// terminating `;`. Comments inside the statement are kept; comments before it or after it
/// (before its `;`) are not part of it, so a comment trailing the previous statement's line
/// never travels with the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement<'a> {
    sql: &'a str,
    start: usize,
    first_line: usize,
}

impl<'a> Statement<'a> {
    /// The statement's text, ready to send: no terminating `;`, no leading or trailing
    /// whitespace or comments.
    pub fn sql(&self) -> &'a str {
        self.sql
    }

    /// Where [`sql`](Statement::sql) lies in the input, in bytes.
    pub fn byte_range(&self) -> Range<usize> {
        self.start..self.start + self.sql.len()
    }

    /// The 1-based line of the input on which the statement starts (its first character that
    /// is neither whitespace nor part of a comment).
    pub fn first_line(&self) -> usize {
        self.first_line
    }

    /// Maps an error position reported by PostgreSQL for this statement (1-based, in
    /// characters, into [`sql`](Statement::sql) as sent) to the 1-based line of the *input*
    /// it came from. See [`line_of_position`] for how positions are counted.
    ///
    /// ```
    /// use pelican::migration::statements::split_statements;
    ///
    /// let body = "SELECT 1;\n\nSELECT\n  nope(;\n";
    /// let statements = split_statements(body)?;
    /// // The server reports `syntax error at or near ";"` at position 15 of "SELECT\n  nope(;".
    /// assert_eq!(statements[1].input_line_of_position(15), 4);
    /// # Ok::<(), pelican::migration::statements::SplitError>(())
    /// ```
    pub fn input_line_of_position(&self, position: usize) -> usize {
        self.first_line + line_of_position(self.sql, position) - 1
    }
}

impl fmt::Display for Statement<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sql)
    }
}

/// Splits a migration body into its statements, cutting at exactly the semicolons that end a
/// statement for PostgreSQL (see the [module documentation](self) for what does not end one).
///
/// Statements that are empty or hold only comments (as between `;;`) are dropped; a last
/// statement without a `;` is kept.
///
/// # Errors
///
/// A string, quoted identifier, dollar quote or block comment that is still open at the end
/// of the input: [`SplitError`] names the construct and the line where it starts.
///
/// ```
/// use pelican::migration::statements::split_statements;
///
/// let body = "
/// CREATE TABLE t (id int, note text DEFAULT 'a;b');
/// -- runs alone, outside any transaction:
/// CREATE INDEX CONCURRENTLY t_id ON t (id);;
/// CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$
/// ";
/// let statements = split_statements(body)?;
/// let sql: Vec<&str> = statements.iter().map(|s| s.sql()).collect();
/// assert_eq!(
///     sql,
///     [
///         "CREATE TABLE t (id int, note text DEFAULT 'a;b')",
///         "CREATE INDEX CONCURRENTLY t_id ON t (id)",
///         "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$",
///     ]
/// );
/// assert_eq!(statements[1].first_line(), 4);
///
/// let error = split_statements("SELECT 1;\nSELECT $x$ oops").unwrap_err();
/// assert_eq!(error.line(), 2);
/// # Ok::<(), pelican::migration::statements::SplitError>(())
/// ```
pub fn split_statements(sql: &str) -> Result<Vec<Statement<'_>>, SplitError> {
    let mut splitter = Splitter::new(sql);
    splitter.scan()?;
    Ok(splitter.statements)
}

/// A significant token of SQL text, as the splitter reads it (comments and whitespace are
/// not tokens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// What kind of token.
    pub(crate) kind: TokenKind,
    /// Where it lies in the input, in bytes.
    pub(crate) range: Range<usize>,
}

/// The kinds of [`Token`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A keyword or an unquoted identifier.
    Word,
    /// Anything else inside a statement: a string (`E'...'` and dollar quotes included), a
    /// quoted identifier, a number, a parameter, an operator or punctuation (one byte each).
    Other,
    /// The `;` that ends a statement.
    End,
}

/// The significant tokens of `sql`, in order, cut as [`split_statements`] cuts statements;
/// with the error that stopped the lexer early, if one did (the tokens before it are returned
/// all the same).
pub(crate) fn tokens(sql: &str) -> (Vec<Token>, Option<SplitError>) {
    let mut splitter = Splitter::new(sql);
    splitter.tokens = Some(Vec::new());
    let error = splitter.scan().err();
    (splitter.tokens.unwrap_or_default(), error)
}

/// Maps an error position reported by PostgreSQL to a 1-based line of the query string.
///
/// PostgreSQL reports where in the query an error is (`ErrorPosition`, the `P` field) as a
/// 1-based offset in *characters*, not bytes, into the query string it received. This returns
/// the line holding that character, counting lines by `\n` (so CRLF text counts as one line
/// per CRLF, and a newline belongs to the line it ends). Position 0 (no position) gives line 1;
/// a position past the end (PostgreSQL reports one past the last character for `syntax error
/// at end of input`) gives the last line.
///
/// Characters are Unicode scalar values, which is what the server counts for a UTF-8 query in
/// any multibyte-aware server encoding; in a `SQL_ASCII` database the server counts bytes
/// instead, and lines after non-ASCII text may then come out later than they are.
///
/// ```
/// use pelican::migration::statements::line_of_position;
///
/// let sql = "SELECT 'é',\n  nope";
/// // `nope` starts at character 16 (the byte offset would be 17).
/// assert_eq!(line_of_position(sql, 16), 2);
/// assert_eq!(line_of_position(sql, 11), 1);
/// ```
pub fn line_of_position(sql: &str, position: usize) -> usize {
    let before = position.saturating_sub(1);
    1 + sql.chars().take(before).filter(|&c| c == '\n').count()
}

/// The first keywords of a statement, as far as they tell whether it creates a routine
/// (`CREATE [OR REPLACE] {FUNCTION|PROCEDURE}`), the only place a `BEGIN ATOMIC` body exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Header {
    Start,
    Create,
    CreateOr,
    CreateOrReplace,
    Routine,
    Other,
}

/// What the splitter knows about the statement being scanned.
#[derive(Debug)]
struct Current {
    /// Byte offset of the first significant character, if any was seen.
    first: Option<usize>,
    /// Byte offset just past the last significant token.
    end: usize,
    paren_depth: usize,
    header: Header,
    /// The previous significant token was a `BEGIN` that could open a body.
    after_begin: bool,
    /// Open `BEGIN ATOMIC` body plus `CASE` expressions inside it, each closed by `END`.
    body_depth: usize,
}

impl Current {
    fn new() -> Self {
        Current {
            first: None,
            end: 0,
            paren_depth: 0,
            header: Header::Start,
            after_begin: false,
            body_depth: 0,
        }
    }

    fn note_token(&mut self, start: usize, end: usize) {
        self.first.get_or_insert(start);
        self.end = end;
    }

    /// Any significant token other than a word.
    fn note_symbol(&mut self) {
        if self.header != Header::Routine {
            self.header = Header::Other;
        }
        self.after_begin = false;
    }

    fn note_word(&mut self, word: &str) {
        let is = |keyword: &str| word.eq_ignore_ascii_case(keyword);
        self.header = match self.header {
            Header::Start if is("create") => Header::Create,
            Header::Create if is("or") => Header::CreateOr,
            Header::CreateOr if is("replace") => Header::CreateOrReplace,
            Header::Create | Header::CreateOrReplace if is("function") || is("procedure") => {
                Header::Routine
            }
            Header::Routine => Header::Routine,
            _ => Header::Other,
        };
        if self.header != Header::Routine {
            return;
        }
        if self.body_depth == 0 {
            if self.after_begin && is("atomic") {
                self.body_depth = 1;
            }
            self.after_begin = self.body_depth == 0 && self.paren_depth == 0 && is("begin");
        } else if is("case") {
            self.body_depth += 1;
        } else if is("end") {
            self.body_depth -= 1;
        }
    }
}

struct Splitter<'a> {
    sql: &'a str,
    bytes: &'a [u8],
    pos: usize,
    current: Current,
    statements: Vec<Statement<'a>>,
    /// Every significant token, when asked for ([`tokens`]).
    tokens: Option<Vec<Token>>,
    /// Lines counted so far: `counted_line` is the line of byte `counted_to`.
    counted_to: usize,
    counted_line: usize,
}

/// PostgreSQL's `ident_start`: a letter, `_`, or any byte of a non-ASCII character.
fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80
}

/// PostgreSQL's `ident_cont`: identifiers may contain digits and `$` after the first character.
fn is_ident_cont(byte: u8) -> bool {
    is_ident_start(byte) || byte.is_ascii_digit() || byte == b'$'
}

/// Characters of a dollar-quote tag after the first (like an identifier, but no `$`).
fn is_tag_cont(byte: u8) -> bool {
    is_ident_start(byte) || byte.is_ascii_digit()
}

impl<'a> Splitter<'a> {
    fn new(sql: &'a str) -> Self {
        Splitter {
            sql,
            bytes: sql.as_bytes(),
            pos: 0,
            current: Current::new(),
            statements: Vec::new(),
            tokens: None,
            counted_to: 0,
            counted_line: 1,
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    /// The 1-based line of a byte offset; cheap when offsets are asked in increasing order.
    fn line_at(&mut self, offset: usize) -> usize {
        if offset < self.counted_to {
            self.counted_to = 0;
            self.counted_line = 1;
        }
        let newlines = self.bytes[self.counted_to..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.counted_line += newlines;
        self.counted_to = offset;
        self.counted_line
    }

    /// Reads the whole input into `statements` (and `tokens`, when asked for).
    fn scan(&mut self) -> Result<(), SplitError> {
        while let Some(byte) = self.peek(0) {
            let start = self.pos;
            match byte {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => self.pos += 1,
                b'-' if self.peek(1) == Some(b'-') => self.skip_line_comment(),
                b'/' if self.peek(1) == Some(b'*') => self.skip_block_comment()?,
                b';' => {
                    self.pos += 1;
                    if self.current.paren_depth == 0 && self.current.body_depth == 0 {
                        self.record(TokenKind::End, start);
                        self.finish_statement();
                    } else {
                        self.symbol(start);
                    }
                }
                b'\'' => {
                    self.skip_plain_quoted(b'\'').ok_or_else(|| {
                        SplitError::UnterminatedString {
                            line: self.line_at(start),
                        }
                    })?;
                    self.symbol(start);
                }
                b'"' => {
                    self.skip_plain_quoted(b'"').ok_or_else(|| {
                        SplitError::UnterminatedQuotedIdentifier {
                            line: self.line_at(start),
                        }
                    })?;
                    self.symbol(start);
                }
                b'$' => {
                    self.skip_dollar()?;
                    self.symbol(start);
                }
                b'(' => {
                    self.pos += 1;
                    self.current.paren_depth += 1;
                    self.symbol(start);
                }
                b')' => {
                    self.pos += 1;
                    self.current.paren_depth = self.current.paren_depth.saturating_sub(1);
                    self.symbol(start);
                }
                b'0'..=b'9' => {
                    // A number, with whatever junk follows it; unlike an identifier it never
                    // swallows a `$`, so `1$$x$$` is a number then a dollar quote.
                    self.pos += 1;
                    while self
                        .peek(0)
                        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
                    {
                        self.pos += 1;
                    }
                    self.symbol(start);
                }
                _ if is_ident_start(byte) => self.word(start)?,
                _ => {
                    // Operators and punctuation: one byte at a time is enough, since `--` and
                    // `/*` start a comment wherever they appear in an operator.
                    self.pos += 1;
                    self.symbol(start);
                }
            }
        }
        self.finish_statement();
        Ok(())
    }

    /// Records the token from `start` to the current position, when tokens are asked for.
    fn record(&mut self, kind: TokenKind, start: usize) {
        if let Some(tokens) = &mut self.tokens {
            tokens.push(Token {
                kind,
                range: start..self.pos,
            });
        }
    }

    fn symbol(&mut self, start: usize) {
        self.record(TokenKind::Other, start);
        self.current.note_token(start, self.pos);
        self.current.note_symbol();
    }

    fn word(&mut self, start: usize) -> Result<(), SplitError> {
        self.pos += 1;
        while self.peek(0).is_some_and(is_ident_cont) {
            self.pos += 1;
        }
        let word = &self.sql[start..self.pos];
        if word.eq_ignore_ascii_case("e") && self.peek(0) == Some(b'\'') {
            self.skip_escape_string()
                .ok_or_else(|| SplitError::UnterminatedEscapeString {
                    line: self.line_at(start),
                })?;
            self.symbol(start);
            return Ok(());
        }
        // `U&'...'`, `B'...'` and the like need nothing special: the prefix is a word (and
        // `&`), and the quoted part follows the rules of a plain string or identifier.
        self.record(TokenKind::Word, start);
        self.current.note_token(start, self.pos);
        self.current.note_word(word);
        Ok(())
    }

    fn finish_statement(&mut self) {
        if let Some(first) = self.current.first {
            let first_line = self.line_at(first);
            self.statements.push(Statement {
                sql: &self.sql[first..self.current.end],
                start: first,
                first_line,
            });
        }
        self.current = Current::new();
    }

    /// `--` up to the end of the line; like PostgreSQL, a lone `\r` ends it too.
    fn skip_line_comment(&mut self) {
        self.pos += 2;
        while self.peek(0).is_some_and(|b| b != b'\n' && b != b'\r') {
            self.pos += 1;
        }
    }

    fn skip_block_comment(&mut self) -> Result<(), SplitError> {
        let start = self.pos;
        let mut depth = 1;
        // The first `/*` inside, kept for the error: it is the usual culprit.
        let mut first_nested = None;
        self.pos += 2;
        while depth > 0 {
            match (self.peek(0), self.peek(1)) {
                (Some(b'/'), Some(b'*')) => {
                    first_nested.get_or_insert(self.pos);
                    depth += 1;
                    self.pos += 2;
                }
                (Some(b'*'), Some(b'/')) => {
                    depth -= 1;
                    self.pos += 2;
                }
                (Some(_), _) => self.pos += 1,
                (None, _) => {
                    let line = self.line_at(start);
                    let nested_line = first_nested.map(|nested| self.line_at(nested));
                    return Err(SplitError::UnterminatedBlockComment { line, nested_line });
                }
            }
        }
        Ok(())
    }

    /// A quoted run closed by `quote`, where a doubled `quote` stands for itself. `None` when
    /// the input ends first.
    fn skip_plain_quoted(&mut self, quote: u8) -> Option<()> {
        self.pos += 1;
        loop {
            let offset = self.bytes[self.pos..].iter().position(|&b| b == quote)?;
            self.pos += offset + 1;
            if self.peek(0) != Some(quote) {
                return Some(());
            }
            self.pos += 1;
        }
    }

    /// `E'...'`, with `pos` on the quote: a backslash escapes whatever follows it.
    fn skip_escape_string(&mut self) -> Option<()> {
        self.pos += 1;
        loop {
            match self.peek(0)? {
                b'\\' => {
                    self.peek(1)?;
                    self.pos += 2;
                }
                b'\'' if self.peek(1) == Some(b'\'') => self.pos += 2,
                b'\'' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => self.pos += 1,
            }
        }
    }

    /// At a `$`: a parameter (`$1`), a dollar-quoted string, or a lone `$`.
    fn skip_dollar(&mut self) -> Result<(), SplitError> {
        let start = self.pos;
        if self.peek(1).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
            while self.peek(0).is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
            return Ok(());
        }
        let Some(delimiter_end) = self.dollar_delimiter_end() else {
            // `$tag` without its closing `$` is no quote: PostgreSQL reads the `$` alone.
            self.pos += 1;
            return Ok(());
        };
        let delimiter = &self.sql[start..delimiter_end];
        // Only the identical delimiter closes the quote. A plain search is exact: tags cannot
        // contain `$`, so every `$` inside the body is where PostgreSQL tries a delimiter.
        match self.sql[delimiter_end..].find(delimiter) {
            Some(offset) => {
                self.pos = delimiter_end + offset + delimiter.len();
                Ok(())
            }
            None => Err(SplitError::UnterminatedDollarQuote {
                line: self.line_at(start),
                delimiter: delimiter.to_owned(),
            }),
        }
    }

    /// With `pos` on a `$`, the end of a dollar-quote delimiter (`$$` or `$tag$`) starting
    /// there, if one does.
    fn dollar_delimiter_end(&self) -> Option<usize> {
        let mut end = self.pos + 1;
        if self.bytes.get(end).is_some_and(|&b| is_ident_start(b)) {
            end += 1;
            while self.bytes.get(end).is_some_and(|&b| is_tag_cont(b)) {
                end += 1;
            }
        }
        (self.bytes.get(end) == Some(&b'$')).then_some(end + 1)
    }
}

// By path, so that the proc-macro crate, which compiles this file as
// `migrations-macros/shared/statements.rs`, finds the same file (tools such as rustfmt look
// for it there; `migrations-macros/shared/statements` links to `statements/` here).
#[cfg(test)]
#[path = "statements/tests.rs"]
mod tests;
