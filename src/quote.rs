//! Quoting identifiers and literals for SQL text we send ourselves.
//!
//! The migrator batches a migration's SQL and its history rows into one simple-protocol
//! query (one round trip), where bind parameters don't exist; every value is quoted here.

/// `"name"`, with embedded quotes doubled: safe for any schema or table name.
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A string literal that reads back as `value` whatever `standard_conforming_strings` is:
/// quotes are doubled, and a value with a backslash uses the `E'...'` form with backslashes
/// doubled (as libpq's `PQescapeLiteral` does).
pub(crate) fn literal(value: &str) -> String {
    let body = value.replace('\'', "''");
    if value.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    }
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
}
