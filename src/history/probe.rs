//! What pelican finds in the history schema before it trusts anything there: which tables
//! exist, whether a role pelican can trust owns them, and the digest, in one query that never
//! fails on a missing table (a first run writes no ERROR into the server log).
//!
//! A relation owned by another role is never read: a view, a rule or a row-level security
//! policy runs its owner's code with the privileges of whoever reads it, and a table written
//! by another role can claim anything about what was applied.

use tokio_postgres::{Client, SimpleQueryMessage};

use super::STATE_TABLE;
use super::{History, StoredDigest, LAYOUT_VERSION, REVISIONS_TABLE};
use super::{HistoryError, MissingPrivilege};

/// The history schema as one query found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Probe {
    /// Whether `pelican_revisions` exists (it is then a table pelican trusts).
    pub(crate) revisions_exist: bool,
    /// What `pelican_state` says.
    pub(crate) digest: StoredDigest,
    /// Whether the server is a hot standby (`pg_is_in_recovery()`): read-only.
    pub(crate) in_recovery: bool,
    /// The first history table the role may not write as a run does (schema-qualified).
    pub(crate) unwritable: Option<String>,
    /// The role pelican runs as (`current_user`).
    pub(crate) role: String,
}

/// What the start at head's one query found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DigestProbe {
    /// What `pelican_state` says.
    pub(crate) digest: StoredDigest,
    /// Whether the server is a hot standby (`pg_is_in_recovery()`).
    pub(crate) in_recovery: bool,
}

impl History {
    /// The digest alone, in one query that fails neither when `pelican_state` is missing nor
    /// for lack of privileges: what a start at head reads. When the table is not the current
    /// role's own, the full [`probe`](Self::probe) decides (an error when its owner is not
    /// trusted): a second round trip, in that case only.
    pub(crate) async fn probe_digest(&self, client: &Client) -> Result<DigestProbe, HistoryError> {
        let messages = match client.simple_query(&self.digest_probe_sql).await {
            Ok(messages) => messages,
            Err(err) => return Err(self.probe_failure(client, err).await),
        };
        let row = messages.iter().find_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        });
        let in_recovery = row.and_then(|row| row.get(0)) == Some("t");
        let digest = match row.map(|row| (row.get(1), row.get(2))) {
            Some((Some("t"), Some(xml))) => parse_state(xml),
            Some((Some("t"), None)) => self.probe(client).await?.digest,
            _ => StoredDigest::Missing,
        };
        Ok(DigestProbe {
            digest,
            in_recovery,
        })
    }

    /// Looks at the history tables in one query; an error when one of them is not a table
    /// owned by a role pelican trusts.
    pub(crate) async fn probe(&self, client: &Client) -> Result<Probe, HistoryError> {
        let messages = match client.simple_query(&self.probe_sql).await {
            Ok(messages) => messages,
            Err(err) => return Err(self.probe_failure(client, err).await),
        };
        let mut probe = Probe {
            revisions_exist: false,
            digest: StoredDigest::Missing,
            in_recovery: false,
            unwritable: None,
            role: String::new(),
        };
        for message in &messages {
            let SimpleQueryMessage::Row(row) = message else {
                continue;
            };
            probe.in_recovery = row.get(7) == Some("t");
            probe.role = row.get(3).unwrap_or_default().to_owned();
            let name = row.get(0).unwrap_or_default();
            // A table that does not exist has a row without a kind.
            let Some(kind) = row.get(1) else {
                continue;
            };
            // The rows come in no set order: `pelican_revisions` is named first, when both are.
            if row.get(8) == Some("f") && (probe.unwritable.is_none() || name == REVISIONS_TABLE) {
                probe.unwritable = Some(self.qualified(name));
            }
            let owner_trusted = row.get(4) == Some("t");
            if !owner_trusted || kind != "r" {
                return Err(HistoryError::Untrusted {
                    object: self.qualified(name),
                    kind: relation_kind(kind).to_owned(),
                    owner: row.get(2).unwrap_or_default().to_owned(),
                    user: row.get(3).unwrap_or_default().to_owned(),
                    owner_trusted,
                });
            }
            match name {
                REVISIONS_TABLE => probe.revisions_exist = true,
                STATE_TABLE => {
                    probe.digest = match row.get(5) {
                        Some(xml) => parse_state(xml),
                        None if row.get(6) == Some("f") => StoredDigest::Unreadable,
                        None => StoredDigest::Missing,
                    }
                }
                _ => {}
            }
        }
        Ok(probe)
    }

    /// Checks, under the lock, what the probe does not: that the digest's functions belong
    /// to a trusted role and that its triggers are there and fire always. `Ok(true)` when the
    /// layout is complete.
    pub(crate) async fn check_layout(&self, client: &Client) -> Result<bool, HistoryError> {
        let sql = self.check_layout_sql();
        let messages = client
            .simple_query(&sql)
            .await
            .map_err(HistoryError::database(
                "checking the history's functions and triggers",
            ))?;
        let mut triggers_firing = 0;
        let mut functions = 0;
        for message in &messages {
            let SimpleQueryMessage::Row(row) = message else {
                continue;
            };
            let trusted = row.get(4) == Some("t");
            match row.get(0) {
                Some("function") if !trusted => {
                    return Err(HistoryError::Untrusted {
                        object: self.qualified(row.get(1).unwrap_or_default()),
                        kind: "function".to_owned(),
                        owner: row.get(2).unwrap_or_default().to_owned(),
                        user: row.get(3).unwrap_or_default().to_owned(),
                        owner_trusted: false,
                    })
                }
                Some("function") => functions += 1,
                _ if trusted => triggers_firing += 1,
                _ => {}
            }
        }
        Ok(functions == 2 && triggers_firing == 2)
    }

    /// The error of a probe that failed: a role without USAGE on the history schema can't
    /// even look for the tables (`to_regclass` says "permission denied for schema").
    async fn probe_failure(&self, client: &Client, err: tokio_postgres::Error) -> HistoryError {
        let denied = err.as_db_error().is_some_and(|db| {
            db.code().code() == crate::privilege::INSUFFICIENT_PRIVILEGE
                && db.message().starts_with("permission denied for schema")
        });
        let role = match denied {
            true => client.simple_query("SELECT current_user").await.ok(),
            false => None,
        };
        let role = role.and_then(|messages| {
            messages.iter().find_map(|m| match m {
                SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
                _ => None,
            })
        });
        match role {
            Some(role) => HistoryError::Privilege {
                role,
                schema: self.schema.clone(),
                missing: MissingPrivilege::Usage,
            },
            None => HistoryError::database("looking for the history tables")(err),
        }
    }

    /// `schema.name`, quoted, for messages.
    fn qualified(&self, name: &str) -> String {
        format!(
            "{}.{}",
            crate::quote::ident(&self.schema),
            crate::quote::ident(name)
        )
    }
}

fn relation_kind(relkind: &str) -> &'static str {
    match relkind {
        "r" => "table",
        "v" => "view",
        "m" => "materialized view",
        "f" => "foreign table",
        "p" => "partitioned table",
        "S" => "sequence",
        "c" => "composite type",
        "i" | "I" => "index",
        _ => "relation",
    }
}

/// `pelican_state` as `table_to_xml(…, nulls => true, tableforest => true)` prints it: one
/// element per row, one child element per column.
pub(crate) fn parse_state(xml: &str) -> StoredDigest {
    // Exactly one row; more can only be written by hand, and make the digest unknown.
    if xml.matches("<layout").count() != 1 {
        return StoredDigest::Missing;
    }
    let layout: Option<i64> = element(xml, "layout").and_then(|l| l.parse().ok());
    let revisions: Option<i64> = element(xml, "revisions").and_then(|r| r.parse().ok());
    match (layout, element(xml, "digest"), revisions) {
        (Some(layout), _, _) if layout > i64::from(LAYOUT_VERSION) => StoredDigest::Newer,
        (Some(layout), Some(bits), Some(revisions)) if layout == i64::from(LAYOUT_VERSION) => {
            StoredDigest::Current {
                bits: bits.to_owned(),
                revisions,
            }
        }
        _ => StoredDigest::Missing,
    }
}

/// The text of `<name>…</name>`; `None` when absent or nil.
fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    Some(&xml[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(layout: &str, digest: &str, revisions: &str) -> String {
        format!(
            "<pelican_state xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n  \
             <layout>{layout}</layout>\n  <digest>{digest}</digest>\n  \
             <revisions>{revisions}</revisions>\n</pelican_state>\n\n"
        )
    }

    #[test]
    fn the_state_row_is_read_from_its_xml() {
        let bits = "01".repeat(128);
        let current = LAYOUT_VERSION.to_string();
        assert_eq!(
            parse_state(&row(&current, &bits, "12")),
            StoredDigest::Current {
                bits: bits.clone(),
                revisions: 12
            }
        );
        let newer = (LAYOUT_VERSION + 1).to_string();
        assert_eq!(parse_state(&row(&newer, &bits, "1")), StoredDigest::Newer);
        assert_eq!(parse_state(&row("2", &bits, "1")), StoredDigest::Missing);
        let two = row(&current, &bits, "1") + &row(&current, &bits, "1");
        assert_eq!(parse_state(&two), StoredDigest::Missing);
        assert_eq!(parse_state(""), StoredDigest::Missing);
        let nil = row(&current, &bits, "1")
            .replace("<revisions>1</revisions>", "<revisions xsi:nil=\"true\"/>");
        assert_eq!(parse_state(&nil), StoredDigest::Missing);
    }
}
