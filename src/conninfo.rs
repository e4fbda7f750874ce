//! Connection strings as text: pointing one at another database, and hiding its password.
//!
//! Both forms libpq accepts are handled: URLs (`postgresql://user:pw@host/db?k=v`) and
//! `key=value` pairs (`host=/tmp user=postgres password='a b'`). The text is rewritten rather
//! than rebuilt from a parsed `tokio_postgres::Config`, so parameters that only libpq knows
//! (`sslrootcert`, ...) survive for the programs (`psql`) that get the string.

/// Shown in place of a password.
const HIDDEN: &str = "***";

/// `conninfo` with every password replaced by `***`, safe to print.
///
/// Errs on the side of hiding: a URL with an unusual `@` may lose more than its password.
pub(crate) fn redact(conninfo: &str) -> String {
    match split_url_scheme(conninfo) {
        Some((scheme, rest)) => format!("{scheme}{}", redact_url_rest(rest)),
        None => redact_key_values(conninfo),
    }
}

/// `conninfo` pointed at the database `dbname`, everything else unchanged.
pub(crate) fn with_dbname(conninfo: &str, dbname: &str) -> String {
    match split_url_scheme(conninfo) {
        Some((scheme, rest)) => format!("{scheme}{}", url_rest_with_dbname(rest, dbname)),
        None => key_values_with_dbname(conninfo, dbname),
    }
}

/// `conninfo` without the parameters named in `keys`, and those parameters (name, decoded
/// value) in the order they appear: for the parameters tokio-postgres doesn't know
/// (`sslrootcert`) or knows only in part (`sslmode`). A `key=value` string that can't be
/// split is returned whole, for the driver to report.
pub(crate) fn take_params(conninfo: &str, keys: &[&str]) -> (String, Vec<(String, String)>) {
    match split_url_scheme(conninfo) {
        Some((scheme, rest)) => {
            let (rest, taken) = take_url_params(rest, keys);
            (format!("{scheme}{rest}"), taken)
        }
        None => take_key_value_params(conninfo, keys),
    }
}

fn take_url_params(rest: &str, keys: &[&str]) -> (String, Vec<(String, String)>) {
    let Some(q) = rest.find('?') else {
        return (rest.to_owned(), Vec::new());
    };
    let mut taken = Vec::new();
    let mut kept = Vec::new();
    for param in rest[q + 1..].split('&').filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        let key = percent_decode(key);
        if keys.contains(&key.as_str()) {
            taken.push((key, percent_decode(value)));
        } else {
            kept.push(param);
        }
    }
    let mut out = rest[..q].to_owned();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    (out, taken)
}

fn take_key_value_params(text: &str, keys: &[&str]) -> (String, Vec<(String, String)>) {
    let Some(pairs) = parse_key_values(text) else {
        return (text.to_owned(), Vec::new());
    };
    let mut out = String::with_capacity(text.len());
    let mut taken = Vec::new();
    let mut copied = 0;
    for pair in pairs {
        let key = &text[pair.key.clone()];
        if keys.contains(&key) {
            out.push_str(text[copied..pair.key.start].trim_end());
            taken.push((key.to_owned(), unquote_value(&text[pair.value.clone()])));
            copied = pair.value.end;
        }
    }
    out.push_str(&text[copied..]);
    (out.trim().to_owned(), taken)
}

/// A `key=value` value as libpq reads it: without its quotes, backslash escapes undone.
fn unquote_value(raw: &str) -> String {
    let inner = raw
        .strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .unwrap_or(raw);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes everything but unreserved characters and `/`, for URL components.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Quotes a value for the `key=value` form when it needs quoting.
fn quote_value(value: &str) -> String {
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c == '\'' || c == '\\');
    if plain {
        return value.to_owned();
    }
    let escaped = value.replace('\\', "\\\\").replace('\'', "\\'");
    format!("'{escaped}'")
}

fn split_url_scheme(conninfo: &str) -> Option<(&str, &str)> {
    ["postgresql://", "postgres://"]
        .iter()
        .find_map(|scheme| conninfo.strip_prefix(scheme).map(|rest| (*scheme, rest)))
}

fn redact_url_rest(rest: &str) -> String {
    // Everything between the first `:` and the last `@` may be a password.
    let (userinfo_part, after) = match rest.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let shown = match userinfo.find(':') {
                Some(colon) => format!("{}:{HIDDEN}@", &userinfo[..colon]),
                None => format!("{userinfo}@"),
            };
            (shown, &rest[at + 1..])
        }
        None => (String::new(), rest),
    };
    let after = match after.find('?') {
        Some(q) => format!("{}?{}", &after[..q], redact_query(&after[q + 1..])),
        None => after.to_owned(),
    };
    format!("{userinfo_part}{after}")
}

fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((key, _)) if is_password_key(key) => format!("{key}={HIDDEN}"),
            _ => param.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn is_password_key(key: &str) -> bool {
    percent_decode(key) == "password"
}

/// Decodes `%XX` escapes; invalid escapes are kept as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits a URL (scheme removed) the way tokio-postgres does: credentials up to the first
/// `@`, then the hosts up to `/` or `?`, then the path, then the query.
fn url_rest_with_dbname(rest: &str, dbname: &str) -> String {
    let (credentials, after) = match rest.find('@') {
        Some(at) => (&rest[..=at], &rest[at + 1..]),
        None => ("", rest),
    };
    let hosts_end = after.find(['/', '?']).unwrap_or(after.len());
    let (hosts, tail) = after.split_at(hosts_end);
    let query = match tail.find('?') {
        Some(q) => &tail[q + 1..],
        None => "",
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|param| !param.is_empty())
        .filter(|param| param.split_once('=').map(|(k, _)| k) != Some("dbname"))
        .collect();
    let mut url = format!("{credentials}{hosts}/{}", percent_encode(dbname));
    if !kept.is_empty() {
        url.push('?');
        url.push_str(&kept.join("&"));
    }
    url
}

/// One `key=value` pair of a libpq connection string, as byte ranges into the string.
struct Pair {
    key: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
}

/// Splits a `key=value` connection string with libpq's rules (whitespace around `=`,
/// single quotes, backslash escapes). `None` when the string is malformed.
fn parse_key_values(text: &str) -> Option<Vec<Pair>> {
    let bytes = text.as_bytes();
    let mut pairs = Vec::new();
    let mut i = 0;
    let skip_space = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    loop {
        i = skip_space(i);
        if i == bytes.len() {
            return Some(pairs);
        }
        let key_start = i;
        while i < bytes.len() && bytes[i] != b'=' && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let key = key_start..i;
        i = skip_space(i);
        if bytes.get(i) != Some(&b'=') || key.is_empty() {
            return None;
        }
        i = skip_space(i + 1);
        let value_start = i;
        if bytes.get(i) == Some(&b'\'') {
            i += 1;
            loop {
                match bytes.get(i) {
                    None => return None,
                    Some(b'\\') => i += 2,
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
        } else {
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
        }
        let value_end = i.min(bytes.len());
        pairs.push(Pair {
            key,
            value: value_start..value_end,
        });
        i = value_end;
    }
}

fn redact_key_values(text: &str) -> String {
    let Some(pairs) = parse_key_values(text) else {
        // Can't tell where a password would be, so show nothing of it.
        return "(a connection string that could not be parsed; not shown)".to_owned();
    };
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for pair in pairs {
        if &text[pair.key.clone()] == "password" {
            out.push_str(&text[copied..pair.value.start]);
            out.push_str(HIDDEN);
            copied = pair.value.end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

fn key_values_with_dbname(text: &str, dbname: &str) -> String {
    let mut out = String::with_capacity(text.len() + dbname.len() + 8);
    if let Some(pairs) = parse_key_values(text) {
        let mut copied = 0;
        for pair in pairs {
            if &text[pair.key.clone()] == "dbname" {
                out.push_str(text[copied..pair.key.start].trim_end());
                copied = pair.value.end;
            }
        }
        out.push_str(&text[copied..]);
    } else {
        // libpq and tokio-postgres both let the last `dbname` win.
        out.push_str(text);
    }
    let out = out.trim().to_owned();
    let separator = if out.is_empty() { "" } else { " " };
    format!("{out}{separator}dbname={}", quote_value(dbname))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_url_password() {
        assert_eq!(
            redact("postgresql://alice:s3cret@db.example:5432/app?sslmode=disable"),
            "postgresql://alice:***@db.example:5432/app?sslmode=disable"
        );
    }

    #[test]
    fn redacts_url_password_query_parameter() {
        assert_eq!(
            redact("postgres://db.example/app?user=alice&password=s3cret&connect_timeout=3"),
            "postgres://db.example/app?user=alice&password=***&connect_timeout=3"
        );
        assert_eq!(
            redact("postgres://db.example/app?pass%77ord=s3cret"),
            "postgres://db.example/app?pass%77ord=***"
        );
    }

    #[test]
    fn url_without_password_is_unchanged() {
        let url = "postgresql://alice@db.example/app";
        assert_eq!(redact(url), url);
    }

    #[test]
    fn url_password_with_at_sign_is_hidden_whole() {
        let shown = redact("postgresql://alice:pa@ss@db.example/app");
        assert!(
            !shown.contains("pa@ss") && !shown.contains("ss@db"),
            "{shown}"
        );
        assert_eq!(shown, "postgresql://alice:***@db.example/app");
    }

    #[test]
    fn redacts_key_value_password_quoted_and_plain() {
        assert_eq!(
            redact("host=localhost password='a b\\'c' user=alice"),
            "host=localhost password=*** user=alice"
        );
        assert_eq!(
            redact("host=localhost password = s3cret"),
            "host=localhost password = ***"
        );
    }

    #[test]
    fn unparseable_key_values_are_not_shown() {
        assert_eq!(
            redact("host=localhost password='unterminated"),
            "(a connection string that could not be parsed; not shown)"
        );
    }

    #[test]
    fn url_gets_new_database_and_keeps_parameters() {
        assert_eq!(
            with_dbname(
                "postgresql://alice:pw@db.example:5432/app?sslmode=disable&dbname=other",
                "pelican_test_1"
            ),
            "postgresql://alice:pw@db.example:5432/pelican_test_1?sslmode=disable"
        );
        assert_eq!(
            with_dbname("postgres://db.example", "t"),
            "postgres://db.example/t"
        );
        assert_eq!(
            with_dbname("postgresql://postgres@/postgres?host=/tmp/x&port=5432", "t"),
            "postgresql://postgres@/t?host=/tmp/x&port=5432"
        );
    }

    #[test]
    fn key_values_get_new_database() {
        assert_eq!(
            with_dbname("host=/tmp dbname=app user=postgres", "t1"),
            "host=/tmp user=postgres dbname=t1"
        );
        assert_eq!(with_dbname("host=/tmp", "t1"), "host=/tmp dbname=t1");
        assert_eq!(with_dbname("", "t1"), "dbname=t1");
    }

    #[test]
    fn rewritten_strings_parse_to_the_new_database() {
        for original in [
            "postgresql://alice:pw@db.example:5432/app?dbname=x&application_name=a",
            "host=/tmp dbname = 'my app' user=postgres",
            "postgresql://postgres@/postgres?host=/tmp/pelican-1&port=5432",
        ] {
            let rewritten = with_dbname(original, "pelican_test_7");
            let config: tokio_postgres::Config = rewritten.parse().unwrap();
            assert_eq!(config.get_dbname(), Some("pelican_test_7"), "{rewritten}");
        }
    }

    #[test]
    fn takes_tls_parameters_out_of_urls() {
        let keys = ["sslmode", "sslrootcert"];
        assert_eq!(
            take_params(
                "postgresql://u:pw@db.example/app?sslmode=verify-full&connect_timeout=3&sslrootcert=%2Ftmp%2Fa%20b.pem",
                &keys
            ),
            (
                "postgresql://u:pw@db.example/app?connect_timeout=3".to_owned(),
                vec![
                    ("sslmode".to_owned(), "verify-full".to_owned()),
                    ("sslrootcert".to_owned(), "/tmp/a b.pem".to_owned()),
                ]
            )
        );
        assert_eq!(
            take_params("postgres://db.example/app?sslmode=require", &keys),
            (
                "postgres://db.example/app".to_owned(),
                vec![("sslmode".to_owned(), "require".to_owned())]
            )
        );
        assert_eq!(
            take_params("postgres://db.example/app", &keys),
            ("postgres://db.example/app".to_owned(), vec![])
        );
    }

    #[test]
    fn takes_tls_parameters_out_of_key_values() {
        let (rest, taken) = take_params(
            "host=db.example sslmode = verify-ca sslrootcert='/etc/my ca\\'s.pem' user=alice",
            &["sslmode", "sslrootcert"],
        );
        assert_eq!(rest, "host=db.example user=alice");
        assert_eq!(
            taken,
            vec![
                ("sslmode".to_owned(), "verify-ca".to_owned()),
                ("sslrootcert".to_owned(), "/etc/my ca's.pem".to_owned()),
            ]
        );
        let config: tokio_postgres::Config = rest.parse().unwrap();
        assert_eq!(config.get_user(), Some("alice"));
    }

    #[test]
    fn percent_encodes_reserved_characters() {
        assert_eq!(percent_encode("/tmp/a b&c"), "/tmp/a%20b%26c");
    }
}
