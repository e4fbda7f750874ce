//! The golden rule: a recorded checksum compared with the file's.

use crate::error::ChecksumMismatch;
use crate::history::{RevisionState, StateRow};
use crate::migration::SetEntry;
use crate::revision::Checksum;

pub(super) fn mismatch(entry: &SetEntry, row: &StateRow) -> Option<ChecksumMismatch> {
    if row.state == RevisionState::Failed {
        return None;
    }
    mismatch_of(entry, row)
}

/// Whether a row's checksum differs from the file's, whatever the row's state.
pub(super) fn mismatch_of(entry: &SetEntry, row: &StateRow) -> Option<ChecksumMismatch> {
    let current = entry.revision().checksum();
    let same =
        row.checksum_algorithm == current.algorithm().name() && is_hex_of(&row.checksum, current);
    (!same).then(|| ChecksumMismatch {
        revision: entry.revision().id().clone(),
        file: entry.file_name().to_owned(),
        recorded: row.checksum.clone(),
        current: current.to_string(),
    })
}

/// Whether `text` is exactly what `checksum.to_string()` writes (lowercase hex), without
/// formatting it: this runs for every applied revision at every start.
pub(super) fn is_hex_of(text: &str, checksum: &Checksum) -> bool {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = [0u8; 64];
    for (pair, byte) in hex.chunks_exact_mut(2).zip(checksum.digest()) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
    text.as_bytes() == hex
}
