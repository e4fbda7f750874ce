//! Quoting identifiers, literals and comment text for SQL text we send or print ourselves.
//!
//! The migrator batches a migration's SQL and its history rows into one simple-protocol
//! query (one round trip), where bind parameters don't exist; every value is quoted here.
//! Offline scripts (`crate::offline`) are the same SQL, read by people and by psql line by
//! line: a literal never spans lines, and a comment never ends early.

/// `"name"`, with embedded quotes doubled: safe for any schema or table name.
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// An identifier as a person would type it: bare when it is lowercase letters, digits and
/// underscores (not starting with a digit), quoted otherwise. For messages that show SQL to
/// run; statements pelican sends always quote.
pub(crate) fn ident_for_humans(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_owned()
    } else {
        ident(name)
    }
}

/// A string literal that reads back as `value` whatever `standard_conforming_strings` is:
/// quotes are doubled, and a value with a backslash uses the `E'...'` form with backslashes
/// doubled (as libpq's `PQescapeLiteral` does). A value with an ASCII control character (a
/// line break, a tab...) uses the `E'...'` form too, with the character escaped (`\n`,
/// `\x1b`), so that the literal stays on one line.
pub(crate) fn literal(value: &str) -> String {
    if !value.chars().any(|c| c == '\\' || c.is_ascii_control()) {
        return format!("'{}'", value.replace('\'', "''"));
    }
    let mut text = String::with_capacity(value.len() + 4);
    text.push_str("E'");
    for c in value.chars() {
        match c {
            '\'' => text.push_str("''"),
            '\\' => text.push_str("\\\\"),
            '\n' => text.push_str("\\n"),
            '\r' => text.push_str("\\r"),
            '\t' => text.push_str("\\t"),
            // Exactly two hex digits: `\x` takes one or two, so a digit after it stays itself.
            c if c.is_ascii_control() => text.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => text.push(c),
        }
    }
    text.push('\'');
    text
}

/// `text` made safe for the inside of a `--` comment: it can't end the comment (a line
/// break would, and what follows would be SQL), nor hide what the line says. Line breaks,
/// tabs and other control characters, Unicode's line and paragraph separators and its
/// bidirectional controls are written as visible escapes (`\n`, `\u{2028}`); everything else,
/// backslashes included, is kept as it is.
pub(crate) fn comment(text: &str) -> String {
    let mut safe = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => safe.push_str("\\n"),
            '\r' => safe.push_str("\\r"),
            '\t' => safe.push_str("\\t"),
            c if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                safe.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => safe.push(c),
        }
    }
    safe
}

/// A literal, or `NULL`.
pub(crate) fn optional_literal(value: Option<&str>) -> String {
    value.map_or_else(|| "NULL".to_owned(), literal)
}

/// `ARRAY[...]::text[]` of literals.
pub(crate) fn text_array<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = values.into_iter().map(literal).collect();
    format!("ARRAY[{}]::text[]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_always_quoted() {
        assert_eq!(ident("public"), "\"public\"");
        assert_eq!(ident("My \"odd\" schema"), "\"My \"\"odd\"\" schema\"");
    }

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal(r"C:\temp"), r"E'C:\\temp'");
        assert_eq!(literal(r"a\'b"), r"E'a\\''b'");
        assert_eq!(optional_literal(None), "NULL");
        assert_eq!(text_array(["a", "b'c"]), "ARRAY['a', 'b''c']::text[]");
        assert_eq!(text_array([]), "ARRAY[]::text[]");
    }

    #[test]
    fn literals_stay_on_one_line() {
        assert_eq!(
            literal("a\nDROP TABLE users; --"),
            r"E'a\nDROP TABLE users; --'"
        );
        assert_eq!(literal("it's\r\n\tx"), r"E'it''s\r\n\tx'");
        // Two hex digits, so the `1` after the escape is not read as a third.
        assert_eq!(literal("\u{1b}1\u{7f}"), r"E'\x1b1\x7f'");
        assert_eq!(literal("a\\b\nc"), r"E'a\\b\nc'");
        // Other characters are kept as they are.
        assert_eq!(literal("é\u{2028}"), "'é\u{2028}'");
        for value in ["x\ny", "\r", "tab\there", "a\u{0}b"] {
            assert!(!literal(value).contains(['\n', '\r', '\t']), "{value:?}");
        }
    }

    #[test]
    fn comments_stay_on_one_line_and_show_what_they_hide() {
        assert_eq!(
            comment("tenant\nDROP TABLE users; --"),
            r"tenant\nDROP TABLE users; --"
        );
        assert_eq!(comment("a\rb\tc\u{0}d"), r"a\rb\tc\u{0}d");
        assert_eq!(
            comment("x\u{2028}y\u{85}z\u{202e}w\u{2066}"),
            r"x\u{2028}y\u{85}z\u{202e}w\u{2066}"
        );
        // Ordinary text, quotes and backslashes are kept.
        assert_eq!(
            comment(r#"Running upgrade a1 -> "b" C:\x é"#),
            r#"Running upgrade a1 -> "b" C:\x é"#
        );
    }
}
