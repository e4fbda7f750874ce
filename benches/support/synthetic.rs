//! A synthetic application history of up to [`MAX_REVISIONS`] small SQL migrations, held in
//! the binary as the `'static` data `embed_migrations!` expands to (an [`EmbeddedMigrations`]
//! over `EmbeddedMigration` constants): every id, file name, SQL text and checksum is computed
//! at compile time, so a start parses and hashes nothing.
//!
//! Revision `i` (0-based) creates table `t_<id>` with one row and revises revision `i - 1`: a
//! straight chain, like most long-lived applications.

use pelican::embedded::{EmbeddedBody, EmbeddedMigration, EmbeddedSql};
use pelican::{Checksum, ChecksumAlgorithm, EmbeddedMigrations};

/// How many revisions the static data holds.
pub const MAX_REVISIONS: usize = 10_000;

const ID_LEN: usize = 12;
const PLACEHOLDER: u8 = b'@';

/// Each `@` stands for the revision id.
const UP_TEMPLATE: &str = "CREATE TABLE t_@ (id int PRIMARY KEY, v text);\n\
                           INSERT INTO t_@ (id, v) VALUES (1, 'one');\n";
const DOWN_TEMPLATE: &str = "DROP TABLE t_@;\n";
const FILE_TEMPLATE: &str = "@_create_table.sql";
/// The same message for every revision: the macro passes each one as a `&'static str` too.
const MESSAGE: &str = "create a table with one row";
/// Where the sections start in the (imaginary) files: after a 4-line header and `-- up`.
const UP_FIRST_LINE: usize = 6;
const DOWN_FIRST_LINE: usize = 10;

const fn expanded_len(template: &str) -> usize {
    let bytes = template.as_bytes();
    let mut len = 0;
    let mut i = 0;
    while i < bytes.len() {
        len += if bytes[i] == PLACEHOLDER { ID_LEN } else { 1 };
        i += 1;
    }
    len
}

const UP_LEN: usize = expanded_len(UP_TEMPLATE);
const DOWN_LEN: usize = expanded_len(DOWN_TEMPLATE);
const FILE_LEN: usize = expanded_len(FILE_TEMPLATE);

/// A deterministic 12-hex-digit id, like generated ones: not in creation order, so the
/// history table's primary key sees them as an application's would.
const fn revision_id(i: usize) -> [u8; ID_LEN] {
    let mixed = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16;
    let mut out = [0u8; ID_LEN];
    let mut k = 0;
    while k < ID_LEN {
        let nibble = ((mixed >> (4 * (ID_LEN - 1 - k))) & 0xf) as u8;
        out[k] = if nibble < 10 {
            b'0' + nibble
        } else {
            b'a' + nibble - 10
        };
        k += 1;
    }
    out
}

/// A template with each `@` widened to 12 bytes, and where those slots are: computed once.
struct Blank<const LEN: usize> {
    bytes: [u8; LEN],
    slots: [usize; 2],
    slot_count: usize,
}

const fn blank<const LEN: usize>(template: &str) -> Blank<LEN> {
    let bytes = template.as_bytes();
    let mut blank = Blank {
        bytes: [PLACEHOLDER; LEN],
        slots: [0; 2],
        slot_count: 0,
    };
    let (mut i, mut o) = (0, 0);
    while i < bytes.len() {
        if bytes[i] == PLACEHOLDER {
            blank.slots[blank.slot_count] = o;
            blank.slot_count += 1;
            o += ID_LEN;
        } else {
            blank.bytes[o] = bytes[i];
            o += 1;
        }
        i += 1;
    }
    blank
}

/// The template with the id in its slots. Few evaluation steps per call (a copy per slot),
/// so that 10,000 revisions stay well within what rustc evaluates without complaint.
const fn expand<const LEN: usize>(blank: &Blank<LEN>, id: &[u8; ID_LEN]) -> [u8; LEN] {
    let mut out = blank.bytes;
    let mut slot = 0;
    while slot < blank.slot_count {
        let start = blank.slots[slot];
        let mut k = 0;
        while k < ID_LEN {
            out[start + k] = id[k];
            k += 1;
        }
        slot += 1;
    }
    out
}

const UP_BLANK: Blank<UP_LEN> = blank(UP_TEMPLATE);
const DOWN_BLANK: Blank<DOWN_LEN> = blank(DOWN_TEMPLATE);
const FILE_BLANK: Blank<FILE_LEN> = blank(FILE_TEMPLATE);

/// splitmix64: a stand-in for the SHA-256 the macro computes at compile time.
const fn digest(i: usize) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut state = i as u64;
    let mut word = 0;
    while word < 4 {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let bytes = z.to_be_bytes();
        let mut k = 0;
        while k < 8 {
            out[word * 8 + k] = bytes[k];
            k += 1;
        }
        word += 1;
    }
    out
}

/// One revision's static data, as the macro lays it out in the binary.
struct StaticRevision {
    id: [u8; ID_LEN],
    file: [u8; FILE_LEN],
    up: [u8; UP_LEN],
    down: [u8; DOWN_LEN],
    digest: [u8; 32],
}

/// Revisions per static: rustc evaluates each static on its own, and a chunk this size stays
/// far below the step count at which it warns that a constant takes long.
const CHUNK: usize = 500;

const fn chunk(first: usize) -> [StaticRevision; CHUNK] {
    const EMPTY: StaticRevision = StaticRevision {
        id: [0; ID_LEN],
        file: [0; FILE_LEN],
        up: [0; UP_LEN],
        down: [0; DOWN_LEN],
        digest: [0; 32],
    };
    let mut all = [EMPTY; CHUNK];
    let mut k = 0;
    while k < CHUNK {
        let id = revision_id(first + k);
        all[k] = StaticRevision {
            id,
            file: expand(&FILE_BLANK, &id),
            up: expand(&UP_BLANK, &id),
            down: expand(&DOWN_BLANK, &id),
            digest: digest(first + k),
        };
        k += 1;
    }
    all
}

macro_rules! chunks {
    ($($index:literal)*) => {
        static CHUNKS: [&[StaticRevision; CHUNK]; MAX_REVISIONS / CHUNK] = [$({
            static DATA: [StaticRevision; CHUNK] = chunk($index * CHUNK);
            &DATA
        }),*];
    };
}

chunks!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19);

const fn data(i: usize) -> &'static StaticRevision {
    &CHUNKS[i / CHUNK][i % CHUNK]
}

/// The templates are ASCII and so are the ids: every expansion is valid UTF-8.
const fn text(bytes: &'static [u8]) -> &'static str {
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => panic!("the static migrations are ASCII"),
    }
}

/// Every id as a `&'static str`, so that a revision's parents can be a `'static` slice of
/// one, as the macro's expansion writes them.
static ID_TEXTS: [[&str; CHUNK]; MAX_REVISIONS / CHUNK] = id_texts();

const fn id_texts() -> [[&'static str; CHUNK]; MAX_REVISIONS / CHUNK] {
    let mut all = [[""; CHUNK]; MAX_REVISIONS / CHUNK];
    let mut i = 0;
    while i < MAX_REVISIONS {
        all[i / CHUNK][i % CHUNK] = text(&data(i).id);
        i += 1;
    }
    all
}

/// Revision `i` as `embed_migrations!` expands a file: an `EmbeddedMigration` constant.
const fn embedded(i: usize) -> EmbeddedMigration {
    let data = data(i);
    let checksum = Checksum::from_parts(ChecksumAlgorithm::Sha256, data.digest);
    let body = EmbeddedBody::Sql {
        up: EmbeddedSql::new(text(&data.up), UP_FIRST_LINE),
        down: Some(EmbeddedSql::new(text(&data.down), DOWN_FIRST_LINE)),
    };
    let migration = EmbeddedMigration::new(text(&data.id), text(&data.file), checksum, body)
        .with_message(MESSAGE);
    if i == 0 {
        migration
    } else {
        let parent = &ID_TEXTS[(i - 1) / CHUNK][(i - 1) % CHUNK];
        migration.with_parents(std::slice::from_ref(parent))
    }
}

const fn embedded_chunk(first: usize) -> [EmbeddedMigration; CHUNK] {
    const PLACEHOLDER: EmbeddedMigration = EmbeddedMigration::new(
        "placeholder",
        "",
        Checksum::from_parts(ChecksumAlgorithm::Sha256, [0; 32]),
        EmbeddedBody::Sql {
            up: EmbeddedSql::new("", 1),
            down: None,
        },
    );
    let mut all = [PLACEHOLDER; CHUNK];
    let mut k = 0;
    while k < CHUNK {
        all[k] = embedded(first + k);
        k += 1;
    }
    all
}

macro_rules! embedded_chunks {
    ($($index:literal)*) => {
        /// Every revision, contiguous; each chunk is evaluated on its own, like `CHUNKS`.
        static EMBEDDED: [[EmbeddedMigration; CHUNK]; MAX_REVISIONS / CHUNK] =
            [$(const { embedded_chunk($index * CHUNK) }),*];
    };
}

embedded_chunks!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19);

/// The digest of `pelican_state` with all [`MAX_REVISIONS`] revisions applied, as the macro
/// would compute it at compile time. The bench checks it against the digest PostgreSQL
/// keeps once the revisions are applied (`check_digest`).
pub const AT_HEAD_DIGEST: [u8; 32] = [
    244, 50, 81, 54, 8, 169, 118, 62, 239, 38, 211, 81, 224, 230, 81, 10, 10, 92, 80, 224, 58, 192,
    149, 50, 5, 92, 112, 145, 59, 156, 12, 79,
];

/// The id of revision `i`.
pub fn revision_id_text(i: usize) -> &'static str {
    text(&data(i).id)
}

/// The `-- up` SQL of revision `i`.
pub fn up_sql(i: usize) -> &'static str {
    text(&data(i).up)
}

/// The first `count` revisions as `embed_migrations!("migrations")` would embed them: with
/// all of them, the digest at head and the head count too (what the macro computes), so a
/// start at head builds nothing; with fewer, they are computed on first use.
pub fn migrations(count: usize) -> EmbeddedMigrations {
    assert!(count <= MAX_REVISIONS, "at most {MAX_REVISIONS} revisions");
    let all: &'static [EmbeddedMigration] = EMBEDDED.as_flattened();
    let set = EmbeddedMigrations::new("migrations", "", &all[..count]);
    if count == MAX_REVISIONS {
        set.with_at_head(AT_HEAD_DIGEST, 1)
    } else {
        set
    }
}

/// The `bit(256)` text PostgreSQL prints for [`AT_HEAD_DIGEST`].
pub fn at_head_digest_bits() -> String {
    AT_HEAD_DIGEST.iter().map(|b| format!("{b:08b}")).collect()
}
