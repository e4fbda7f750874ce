//! The digest of the history table: one value that says which revisions are recorded, with
//! which checksums, in which state, so that a start at head compares one row instead of
//! reading them all.
//!
//! Each row of `pelican_revisions` contributes the SHA-256 of the text
//! `<revision> <checksum_algorithm> <checksum> <applied|failed>` (stamped rows count as
//! applied, as everywhere else), and the digest is the XOR of those hashes: order does not
//! matter, so PostgreSQL keeps it up to date in O(1) per changed row, in a trigger that XORs
//! the old row's hash out and the new row's in (see `history.rs`, which holds the SQL side of
//! the same formula). The count of rows travels beside it.
//!
//! This file is part of the pure core and is compiled by pelican-macros too (it uses only
//! `std`, `sha2` and `crate::revision`), so that the digest the macro computes at compile time
//! and the one computed at run time come from one function.

use sha2::{Digest, Sha256};

use crate::revision::Checksum;

/// The XOR of the row hashes of a set of history rows, and how many rows there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct HistoryDigest {
    /// The XOR of the rows' hashes, most significant byte first (as `bit(256)` prints it).
    bits: [u8; 32],
    /// The number of rows.
    rows: u64,
}

impl HistoryDigest {
    /// The digest of an empty history.
    pub const EMPTY: HistoryDigest = HistoryDigest {
        bits: [0; 32],
        rows: 0,
    };

    /// A digest from its parts.
    pub const fn from_parts(bits: [u8; 32], rows: u64) -> Self {
        HistoryDigest { bits, rows }
    }

    /// The digest of the history that records every one of `revisions` as applied with its
    /// checksum: what the table holds when a set is at head.
    pub fn of_applied<'a>(revisions: impl IntoIterator<Item = (&'a str, &'a Checksum)>) -> Self {
        let mut digest = HistoryDigest::EMPTY;
        for (revision, checksum) in revisions {
            digest.add_applied(revision, checksum);
        }
        digest
    }

    /// Adds a row recording `revision` as applied with `checksum`.
    pub fn add_applied(&mut self, revision: &str, checksum: &Checksum) {
        self.add_row(revision, checksum, false);
    }

    /// Adds a row recording `revision` with `checksum`, applied (or stamped) or failed: what
    /// the trigger does for an inserted row.
    pub fn add_row(&mut self, revision: &str, checksum: &Checksum, failed: bool) {
        let state = if failed { "failed" } else { "applied" };
        let hash = row_hash(revision, checksum.algorithm().name(), checksum, state);
        for (bit, byte) in self.bits.iter_mut().zip(hash) {
            *bit ^= byte;
        }
        self.rows += 1;
    }

    /// [`bits`](Self::bits) as PostgreSQL prints a `bit(256)`.
    #[allow(dead_code)] // for tests
    pub fn bits_text(&self) -> String {
        self.bits.iter().map(|byte| format!("{byte:08b}")).collect()
    }

    /// The XOR of the rows' hashes.
    #[allow(dead_code)] // pelican-macros writes it into the expansion
    pub fn bits(&self) -> &[u8; 32] {
        &self.bits
    }

    /// The number of rows.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Whether `text` is the `bit(256)` text of [`bits`](Self::bits) (256 `0`s and `1`s),
    /// compared without allocating.
    pub fn bits_match(&self, text: &str) -> bool {
        let text = text.as_bytes();
        text.len() == 256
            && self.bits.iter().enumerate().all(|(i, byte)| {
                (0..8).all(|k| {
                    let bit = (byte >> (7 - k)) & 1;
                    text[i * 8 + k] == b'0' + bit
                })
            })
    }
}

/// The hash one row contributes: SHA-256 of `<revision> <algorithm> <checksum hex> <state>`,
/// the very text the SQL side builds.
fn row_hash(revision: &str, algorithm: &str, checksum: &Checksum, state: &str) -> [u8; 32] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = [0u8; 64];
    for (pair, byte) in hex.chunks_exact_mut(2).zip(checksum.digest()) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
    let mut hasher = Sha256::new();
    for part in [
        revision.as_bytes(),
        b" ",
        algorithm.as_bytes(),
        b" ",
        &hex,
        b" ",
        state.as_bytes(),
    ] {
        hasher.update(part);
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_independent_of_order_and_counts_rows() {
        let a = Checksum::of(b"a");
        let b = Checksum::of(b"b");
        let ab = HistoryDigest::of_applied([("r1", &a), ("r2", &b)]);
        let ba = HistoryDigest::of_applied([("r2", &b), ("r1", &a)]);
        assert_eq!(ab, ba);
        assert_eq!(ab.rows(), 2);
        assert_ne!(ab, HistoryDigest::of_applied([("r1", &a), ("r2", &a)]));
        assert_ne!(ab, HistoryDigest::of_applied([("r1", &b), ("r2", &a)]));
        assert_ne!(ab, HistoryDigest::of_applied([("r1", &a)]));
        assert_eq!(HistoryDigest::of_applied([]), HistoryDigest::EMPTY);
    }

    #[test]
    fn a_row_hash_is_sha256_of_the_text_sql_builds() {
        let checksum = Checksum::of(b"SELECT 1;\n");
        let text = format!("r1 sha256 {checksum} applied");
        let expected: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        assert_eq!(row_hash("r1", "sha256", &checksum, "applied"), expected);
        let digest = HistoryDigest::of_applied([("r1", &checksum)]);
        assert_eq!(digest.bits(), &expected);
    }

    #[test]
    fn bits_match_only_their_bit_string() {
        let digest = HistoryDigest::of_applied([("r1", &Checksum::of(b"x"))]);
        let text = digest.bits_text();
        assert!(digest.bits_match(&text));
        assert!(!digest.bits_match(&text[1..]));
        let mut flipped = text.clone().into_bytes();
        flipped[255] = if flipped[255] == b'0' { b'1' } else { b'0' };
        assert!(!digest.bits_match(std::str::from_utf8(&flipped).unwrap()));
        assert!(HistoryDigest::EMPTY.bits_match(&"0".repeat(256)));
        assert!(!HistoryDigest::EMPTY.bits_match(""));
    }
}
