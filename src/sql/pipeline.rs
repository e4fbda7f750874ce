//! The SQL text of a pipeline: consecutive transactional revisions, each its own
//! `BEGIN … COMMIT` with its history rows, sent as one simple-query message; where each
//! revision's body lies in it (to attribute an error's position) and its bounds.

use super::step::TransactionalSql;

/// At most this many revisions go in one pipeline.
///
/// A pipeline saves one round trip per revision but one: with `n` revisions per message the
/// round trips left cost `1/n` of a round trip per revision, 1% of one at 100, which is
/// lost in the noise of even the smallest migration (a table created costs the server about
/// 1 ms, a 2 ms round trip divided by 100 is 0.02 ms). Beyond that, a longer pipeline only
/// delays the progress events (they arrive when a pipeline returns) and makes the server
/// hold more of the message at once (PostgreSQL parses all of a message's statements before
/// it runs the first).
pub(crate) const MAX_REVISIONS: usize = 100;

/// At most this many bytes of SQL go in one pipeline (a single larger revision goes alone):
/// the server parses all of a message before it runs any, and keeps the parse trees until
/// the message is done, so a message is kept to a size whose parse is a small cost next to
/// running it. Revisions of a few KiB reach [`MAX_REVISIONS`] first.
pub(crate) const MAX_BYTES: usize = 1 << 20;

/// Where one revision lies in the message, in characters (PostgreSQL's error positions
/// count characters, from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Part {
    /// Characters before the revision's text.
    start: usize,
    /// Characters before its body, from `start`.
    body_start: usize,
    /// Characters of its body.
    body_chars: usize,
}

/// Where an error's position falls in a pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Located {
    /// The revision (its index in the pipeline).
    pub(crate) index: usize,
    /// The position in its body (from 1), when it falls in the body rather than in the
    /// statements pelican added around it.
    pub(crate) body_position: Option<usize>,
}

/// The text of a pipeline, built revision by revision.
#[derive(Debug, Default)]
pub(crate) struct PipelineSql {
    sql: String,
    chars: usize,
    parts: Vec<Part>,
}

impl PipelineSql {
    /// The message: the revisions' texts, one after the other.
    pub(crate) fn sql(&self) -> &str {
        &self.sql
    }

    /// How many revisions it holds.
    pub(crate) fn len(&self) -> usize {
        self.parts.len()
    }

    /// Whether `step` fits: always when empty, else within [`MAX_REVISIONS`] and
    /// [`MAX_BYTES`].
    pub(crate) fn fits(&self, step: &TransactionalSql) -> bool {
        self.parts.is_empty()
            || (self.parts.len() < MAX_REVISIONS
                && self.sql.len() + 1 + step.sql.len() <= MAX_BYTES)
    }

    /// Appends a revision's text, whose body is `body_chars` characters long.
    pub(crate) fn push(&mut self, step: TransactionalSql, body_chars: usize) {
        if !self.sql.is_empty() {
            self.sql.push('\n');
            self.chars += 1;
        }
        self.parts.push(Part {
            start: self.chars,
            body_start: step.body_start,
            body_chars,
        });
        self.chars += step.sql.chars().count();
        self.sql.push_str(&step.sql);
    }

    /// Which revision an error's `position` (from 1, in characters of the whole message)
    /// falls in, and where in its body.
    pub(crate) fn locate(&self, position: usize) -> Option<Located> {
        let index = self.parts.iter().rposition(|part| part.start < position)?;
        let part = self.parts[index];
        let body_start = part.start + part.body_start;
        let body_position = (position > body_start && position <= body_start + part.body_chars)
            .then(|| position - body_start);
        Some(Located {
            index,
            body_position,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(prefix: &str, body: &str, suffix: &str) -> (TransactionalSql, usize) {
        (
            TransactionalSql {
                sql: format!("{prefix}{body}{suffix}"),
                body_start: prefix.chars().count(),
            },
            body.chars().count(),
        )
    }

    #[test]
    fn positions_are_found_in_their_revision_and_body() {
        let mut pipeline = PipelineSql::default();
        for (prefix, body) in [("BEGIN;\n", "SELECT 1;"), ("BEGIN;\n", "SELECT é;")] {
            let (sql, chars) = step(prefix, body, "\nCOMMIT;");
            assert!(pipeline.fits(&sql));
            pipeline.push(sql, chars);
        }
        let text = pipeline.sql().to_owned();
        assert_eq!(
            text,
            "BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT é;\nCOMMIT;"
        );
        let at = |needle: &str, nth: usize| {
            let byte = text.match_indices(needle).nth(nth).unwrap().0;
            text[..byte].chars().count() + 1
        };
        let located = |index, body_position| {
            Some(Located {
                index,
                body_position,
            })
        };
        assert_eq!(pipeline.locate(at("SELECT", 0)), located(0, Some(1)));
        assert_eq!(pipeline.locate(at("1;", 0)), located(0, Some(8)));
        assert_eq!(pipeline.locate(at("COMMIT", 0)), located(0, None));
        assert_eq!(pipeline.locate(at("BEGIN", 1)), located(1, None));
        assert_eq!(pipeline.locate(at("é", 0)), located(1, Some(8)));
        // After a multibyte character, positions still count characters.
        assert_eq!(pipeline.locate(at(";\nCOMMIT", 1)), located(1, Some(9)));
        assert_eq!(pipeline.locate(0), None);
    }

    #[test]
    fn a_pipeline_is_bounded_by_revisions_and_bytes() {
        let mut pipeline = PipelineSql::default();
        for _ in 0..MAX_REVISIONS {
            let (sql, chars) = step("BEGIN;\n", "SELECT 1;", "\nCOMMIT;");
            assert!(pipeline.fits(&sql));
            pipeline.push(sql, chars);
        }
        assert!(!pipeline.fits(&step("", "", "").0));
        let big = "x".repeat(MAX_BYTES);
        let mut pipeline = PipelineSql::default();
        assert!(pipeline.fits(&step("", &big, "").0), "alone, any size");
        let (sql, chars) = step("", "SELECT 1;", "");
        pipeline.push(sql, chars);
        assert!(!pipeline.fits(&step("", &big, "").0));
        assert_eq!(pipeline.len(), 1);
    }
}
