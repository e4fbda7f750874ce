//! Table sizes from a database: a statement that locks or rewrites a table matters as much as
//! the table is big. A rewrite of a 20-row table is a note; of a 50 GB table, an error.

use std::collections::HashMap;

use super::{Finding, Severity};

/// Below this size (10 MB), a table's lock or rewrite is brief: a note, unless `[lint]
/// small-table` says otherwise.
pub const SMALL_TABLE_BYTES: u64 = 10 * 1024 * 1024;

/// The rules whose harm grows with the table the statement acts on: locks held while rows
/// are read or rewritten.
const SIZE_SENSITIVE: [&str; 10] = [
    "require-concurrent-index-creation",
    "adding-field-with-default",
    "adding-foreign-key-constraint",
    "constraint-missing-not-valid",
    "disallowed-unique-constraint",
    "adding-serial-primary-key-field",
    "changing-column-type",
    "adding-not-nullable-field",
    "adding-exclusion-constraint",
    "adding-required-field",
];

/// One table as the catalog knows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableSize {
    /// Its size on disk, indexes and TOAST included (`pg_total_relation_size`).
    pub bytes: u64,
    /// The planner's row estimate (`reltuples`; negative when never analyzed).
    pub rows: f64,
}

/// The tables of the database linted against, by unqualified name (the largest of a name,
/// when several schemas have one), and what counts as small.
///
/// ```
/// use pelican::lint::{lint_sql, RevisionContext, Severity, TableSize, Tables};
///
/// let mut tables = Tables::default();
/// tables.insert("tasks", TableSize { bytes: 16_384, rows: 20.0 });
/// let findings = tables.weigh(lint_sql(
///     "m.sql",
///     "CREATE INDEX tasks_owner ON tasks (owner);",
///     1,
///     &RevisionContext::default(),
/// ));
/// let index = findings.iter().find(|f| f.rule == "require-concurrent-index-creation").unwrap();
/// assert_eq!(index.severity, Severity::Note);
/// assert!(index.message.contains("`tasks` holds about 20 rows (16 kB)"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Tables {
    sizes: HashMap<String, TableSize>,
    /// Below this many bytes a table is small.
    pub small_table_bytes: u64,
}

impl Default for Tables {
    fn default() -> Self {
        Tables {
            sizes: HashMap::new(),
            small_table_bytes: SMALL_TABLE_BYTES,
        }
    }
}

impl Tables {
    /// Records table `name` (unqualified, as PostgreSQL folds it).
    pub fn insert(&mut self, name: impl Into<String>, size: TableSize) {
        let entry = self.sizes.entry(name.into()).or_insert(size);
        if size.bytes > entry.bytes {
            *entry = size;
        }
    }

    /// `findings` weighed by the size of the table each acts on: a small table's lock or
    /// rewrite is a note; a table the database doesn't have yet (a pending revision creates
    /// it) too; a big one keeps its severity, with its size in the message.
    pub fn weigh(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .map(|mut finding| {
                let Some(table) = finding.table.clone() else {
                    return finding;
                };
                if !SIZE_SENSITIVE.contains(&finding.rule.as_str()) {
                    return finding;
                }
                match self.sizes.get(&table) {
                    None => {
                        finding.severity = Severity::Note;
                        finding.message.push_str(&format!(
                            " (`{table}` isn't in the database yet: a revision still to run \
                             creates it, so it holds only what those revisions put in it)"
                        ));
                    }
                    Some(size) => {
                        let small = size.bytes < self.small_table_bytes;
                        let rows = if size.rows < 0.0 {
                            "never analyzed".to_owned()
                        } else {
                            format!("about {} rows", size.rows.round() as u64)
                        };
                        // A required column fails on any row, however few.
                        if small && (finding.rule != "adding-required-field" || size.rows == 0.0) {
                            finding.severity = Severity::Note;
                            finding.message.push_str(&format!(
                                " (`{table}` holds {rows} ({}): the lock is brief)",
                                human_bytes(size.bytes)
                            ));
                        } else {
                            finding.message.push_str(&format!(
                                " (`{table}` holds {rows} ({}))",
                                human_bytes(size.bytes)
                            ));
                        }
                    }
                }
                finding
            })
            .collect()
    }
}

/// `bytes` the way `pg_size_pretty` shows them: `16 kB`, `52 GB`.
pub fn human_bytes(bytes: u64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB", "PB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 10_240.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{} {}", value.round() as u64, units[unit])
}

/// `"10MB"`, `"512 kB"`, `"2GB"` as bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" | "bytes" => 1,
        "kb" => 1 << 10,
        "mb" => 1 << 20,
        "gb" => 1 << 30,
        "tb" => 1 << 40,
        _ => return None,
    };
    number.checked_mul(factor)
}
