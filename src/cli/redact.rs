//! Hiding database passwords in everything the CLI writes to stderr.
//!
//! The connection string given with `--database-url` or `DATABASE_URL` is never printed as
//! written: every message passes through a [`Redactor`], which hides the password of any
//! connection string it finds (both libpq forms: `postgresql://user:pw@host` and
//! `password=pw`), and the password itself wherever it appears verbatim.

use crate::conninfo;

/// Shown in place of a password.
const HIDDEN: &str = "***";

/// Passwords shorter than this are only hidden inside connection strings: replacing every
/// occurrence of a two-letter word in a message would make it unreadable and hide nothing.
const MIN_SCRUBBED_LEN: usize = 4;

/// Hides passwords in text.
#[derive(Debug, Clone, Default)]
pub(crate) struct Redactor {
    /// Text to replace everywhere, each with what to show instead (longest first).
    secrets: Vec<(String, String)>,
}

impl Redactor {
    /// A redactor that also knows the connection string in use (and so its password, even
    /// where it appears outside a connection string).
    pub(crate) fn for_connection_string(url: &str) -> Self {
        let mut secrets = vec![(url.to_owned(), conninfo::redact(url))];
        if let Ok(config) = url.parse::<tokio_postgres::Config>() {
            if let Some(password) = config.get_password() {
                let password = String::from_utf8_lossy(password).into_owned();
                if password.chars().count() >= MIN_SCRUBBED_LEN {
                    secrets.push((password, HIDDEN.to_owned()));
                }
            }
        }
        secrets.sort_by_key(|(secret, _)| std::cmp::Reverse(secret.len()));
        Redactor { secrets }
    }

    /// `text` with every password hidden.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (secret, shown) in &self.secrets {
            if !secret.is_empty() && text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), shown);
            }
        }
        redact_password_pairs(&redact_urls(&text))
    }
}

/// Hides the password of every `postgres://` or `postgresql://` URL in `text`.
fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_url_start(rest) {
        out.push_str(&rest[..start]);
        let url_and_after = &rest[start..];
        let end = url_and_after
            .find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '<' | '>'))
            .unwrap_or(url_and_after.len());
        out.push_str(&conninfo::redact(&url_and_after[..end]));
        rest = &url_and_after[end..];
    }
    out.push_str(rest);
    out
}

fn find_url_start(text: &str) -> Option<usize> {
    ["postgresql://", "postgres://"]
        .iter()
        .filter_map(|scheme| text.find(scheme))
        .min()
}

/// Hides the value of every `password=value` (`password = 'quoted value'`) in `text`.
fn redact_password_pairs(text: &str) -> String {
    const KEY: &str = "password";
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find(KEY) {
        let key_start = search + found;
        let mut i = key_start + KEY.len();
        search = i;
        // A word ending in "password" (`pgpassword=`) is not the key; `db_password=` is
        // hidden too, erring on the side of hiding.
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        let value_start = i;
        if bytes.get(i) == Some(&b'\'') {
            i += 1;
            while i < bytes.len() && bytes[i] != b'\'' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(bytes.len());
        } else {
            while i < bytes.len()
                && !bytes[i].is_ascii_whitespace()
                && !matches!(bytes[i], b'&' | b'"' | b'`')
            {
                i += 1;
            }
        }
        if i == value_start || text[value_start..i].starts_with(HIDDEN) {
            continue;
        }
        out.push_str(&text[copied..value_start]);
        out.push_str(HIDDEN);
        copied = i;
        search = i;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_in_any_message_lose_their_password() {
        let redactor = Redactor::default();
        assert_eq!(
            redactor.redact("could not connect to postgresql://alice:s3cret@db:5432/app: refused"),
            "could not connect to postgresql://alice:***@db:5432/app: refused"
        );
        assert_eq!(
            redactor.redact("url 'postgres://bob:pw@h/x?sslmode=disable&password=other' bad"),
            "url 'postgres://bob:***@h/x?sslmode=disable&password=***' bad"
        );
        assert_eq!(
            redactor.redact("postgresql://carol@localhost/app"),
            "postgresql://carol@localhost/app"
        );
    }

    #[test]
    fn key_value_passwords_are_hidden_quoted_or_not() {
        let redactor = Redactor::default();
        assert_eq!(
            redactor.redact("host=db user=alice password=s3cret dbname=app"),
            "host=db user=alice password=*** dbname=app"
        );
        assert_eq!(
            redactor.redact("host=db password = 'a b\\' c' dbname=app"),
            "host=db password = *** dbname=app"
        );
        assert_eq!(
            redactor.redact("PASSWORD=x1 and password: unchanged"),
            "PASSWORD=*** and password: unchanged"
        );
    }

    #[test]
    fn the_known_password_is_hidden_wherever_it_appears() {
        let redactor =
            Redactor::for_connection_string("host=db user=alice password=hunter22 dbname=app");
        assert_eq!(
            redactor.redact("authentication failed: hunter22 rejected"),
            "authentication failed: *** rejected"
        );
        assert_eq!(
            redactor.redact("using host=db user=alice password=hunter22 dbname=app"),
            "using host=db user=alice password=*** dbname=app"
        );
    }

    #[test]
    fn short_passwords_are_hidden_only_inside_connection_strings() {
        let redactor = Redactor::for_connection_string("postgresql://alice:ab@db/app");
        assert_eq!(
            redactor.redact("tables ab and postgresql://alice:ab@db/app"),
            "tables ab and postgresql://alice:***@db/app"
        );
    }
}
