//! [`SplitError`]: why a migration body could not be cut into statements.
//!
//! Part of `statements.rs` (compiled by the proc-macro crate too): `std` and `thiserror` only.

/// Why a migration body could not be split: a quote or comment opened and never closed.
///
/// Each variant carries the 1-based line of the input where the unclosed construct starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// A `'...'` string literal (also `B'`, `X'`, `N'`, `U&'`) has no closing quote.
    #[error(
        "unterminated string literal starting at line {line}: the `'` opened there is never \
         closed (a quote inside a string is written `''`)"
    )]
    UnterminatedString {
        /// Line where the string starts.
        line: usize,
    },
    /// An `E'...'` string literal has no closing quote.
    #[error(
        "unterminated escape string literal starting at line {line}: the `E'` opened there is \
         never closed (inside E'...' a backslash escapes the next character, so `\\'` does not \
         end the string)"
    )]
    UnterminatedEscapeString {
        /// Line where the string starts.
        line: usize,
    },
    /// A `"..."` quoted identifier has no closing double quote.
    #[error(
        "unterminated quoted identifier starting at line {line}: the `\"` opened there is never \
         closed (a double quote inside an identifier is written `\"\"`)"
    )]
    UnterminatedQuotedIdentifier {
        /// Line where the identifier starts.
        line: usize,
    },
    /// A dollar-quoted string has no closing delimiter.
    #[error(
        "unterminated dollar-quoted string starting at line {line}: nothing closes the \
         `{delimiter}` opened there (only the same tag, `{delimiter}` exactly, case included, \
         ends it)"
    )]
    UnterminatedDollarQuote {
        /// Line where the dollar quote opens.
        line: usize,
        /// The opening delimiter, such as `$$` or `$body$`.
        delimiter: String,
    },
    /// A `/* ... */` comment is not closed.
    #[error("unterminated block comment starting at line {line}: {}", block_comment_hint(*.nested_line))]
    UnterminatedBlockComment {
        /// Line where the outermost unclosed comment starts.
        line: usize,
        /// Line of the first `/*` inside it, if any: block comments nest, so such a `/*`
        /// (say in `/* see dir/*.sql */`) takes the `*/` meant for the outer one.
        nested_line: Option<usize>,
    },
}

fn block_comment_hint(nested_line: Option<usize>) -> String {
    match nested_line {
        None => "the `/*` opened there is never closed by `*/`".to_owned(),
        Some(nested) => format!(
            "PostgreSQL nests block comments, and the `/*` at line {nested} opens a comment \
             inside it, so a `*/` closes only that inner one"
        ),
    }
}

impl SplitError {
    /// The 1-based line of the input where the unclosed construct starts.
    pub fn line(&self) -> usize {
        match self {
            SplitError::UnterminatedString { line }
            | SplitError::UnterminatedEscapeString { line }
            | SplitError::UnterminatedQuotedIdentifier { line }
            | SplitError::UnterminatedDollarQuote { line, .. }
            | SplitError::UnterminatedBlockComment { line, .. } => *line,
        }
    }
}
