//! Revision identity and metadata: what one migration file declares about itself.
//!
//! This module is part of the pure core: no I/O, no runtime dependencies beyond `sha2`,
//! so the proc-macro crate can compile the very same file (see `source`), and its child
//! `timeout` (the durations of timeout settings).

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

mod timeout;

pub(crate) use timeout::{
    check_setting_millis, parse_duration, DurationTextError, MAX_TIMEOUT_TEXT,
};
pub use timeout::{TimeoutTooLong, MAX_TIMEOUT};

/// Words with a meaning of their own in targets; they can't name a revision or a branch.
pub const RESERVED_NAMES: [&str; 3] = ["head", "heads", "base"];

/// A revision identifier: one or more ASCII letters, digits or underscores.
///
/// Generated ids are 12 lowercase hex digits, but any `[A-Za-z0-9_]+` is accepted so that
/// histories imported from elsewhere (`django_0001`) keep their names. The reserved target
/// words `head`, `heads` and `base` are refused.
///
/// ```
/// use pelican::RevisionId;
/// let id: RevisionId = "3f2a9c1d7b4e".parse().unwrap();
/// assert_eq!(id.as_str(), "3f2a9c1d7b4e");
/// assert!("bad-id".parse::<RevisionId>().is_err());
/// ```
// `Arc<str>`: ids are cloned into plans, reports and maps; a clone must not allocate.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RevisionId(Arc<str>);

impl RevisionId {
    /// Checks `id` and wraps it.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidName> {
        let id = id.into();
        check_name(&id, NameKind::Revision)?;
        Ok(RevisionId(id.into()))
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RevisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RevisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl std::str::FromStr for RevisionId {
    type Err = InvalidName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RevisionId::new(s)
    }
}

impl AsRef<str> for RevisionId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for RevisionId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for RevisionId {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for RevisionId {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

/// What kind of name [`InvalidName`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A revision identifier.
    Revision,
    /// A branch label.
    BranchLabel,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Revision => "revision id",
            NameKind::BranchLabel => "branch label",
        })
    }
}

/// A revision id or branch label that is empty, uses a character outside
/// `[A-Za-z0-9_]`, or is one of the reserved words `head`, `heads`, `base`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidName {
    /// The rejected text.
    pub name: String,
    /// Whether it was meant as a revision id or a branch label.
    pub kind: NameKind,
}

impl fmt::Display for InvalidName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            return write!(f, "empty {}", self.kind);
        }
        if RESERVED_NAMES.contains(&self.name.as_str()) {
            return write!(
                f,
                "'{}' can't be used as a {}: it is a reserved target word",
                self.name, self.kind
            );
        }
        let bad: String =
            self.name
                .chars()
                .filter(|c| !is_name_char(*c))
                .fold(String::new(), |mut acc, c| {
                    if !acc.contains(c) {
                        acc.push(c);
                    }
                    acc
                });
        write!(
            f,
            "{} '{}' contains {:?}; only ASCII letters, digits and '_' are allowed",
            self.kind, self.name, bad
        )
    }
}

impl std::error::Error for InvalidName {}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Checks a revision id or branch label against the naming rules.
pub fn check_name(name: &str, kind: NameKind) -> Result<(), InvalidName> {
    if name.is_empty() || !name.chars().all(is_name_char) || RESERVED_NAMES.contains(&name) {
        return Err(InvalidName {
            name: name.to_owned(),
            kind,
        });
    }
    Ok(())
}

/// The algorithm behind a [`Checksum`], recorded beside it in the history table so the
/// algorithm can change without invalidating what is already applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChecksumAlgorithm {
    /// SHA-256 over the file's bytes with line endings normalized to `\n`.
    Sha256,
}

impl ChecksumAlgorithm {
    /// The name stored in the history table.
    pub fn name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Sha256 => "sha256",
        }
    }
}

/// The checksum of one migration file: it is how pelican notices an applied file was edited.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum {
    algorithm: ChecksumAlgorithm,
    digest: [u8; 32],
}

impl Checksum {
    /// The checksum of an empty file, without hashing it (`Revision::new`'s default, which
    /// every parsed or embedded revision replaces at once).
    pub(crate) const EMPTY_FILE: Checksum = Checksum {
        algorithm: ChecksumAlgorithm::Sha256,
        digest: [
            0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f,
            0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b,
            0x78, 0x52, 0xb8, 0x55,
        ],
    };

    /// SHA-256 of `bytes` after normalizing line endings (`\r\n` and lone `\r` become `\n`),
    /// so a checkout with other line endings keeps the same checksum.
    pub fn of(bytes: &[u8]) -> Self {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\r' {
                hasher.update(&bytes[start..i]);
                hasher.update(b"\n");
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            i += 1;
        }
        hasher.update(&bytes[start..]);
        Checksum {
            algorithm: ChecksumAlgorithm::Sha256,
            digest: hasher.finalize().into(),
        }
    }

    /// A checksum from its parts (as read back from the history table).
    pub const fn from_parts(algorithm: ChecksumAlgorithm, digest: [u8; 32]) -> Self {
        Checksum { algorithm, digest }
    }

    /// Parses the lowercase hex form written by `Display`.
    pub fn from_hex(algorithm: ChecksumAlgorithm, hex: &str) -> Option<Self> {
        let hex = hex.as_bytes();
        if hex.len() != 64 {
            return None;
        }
        let mut digest = [0u8; 32];
        for (i, pair) in hex.chunks(2).enumerate() {
            let text = std::str::from_utf8(pair).ok()?;
            digest[i] = u8::from_str_radix(text, 16).ok()?;
        }
        Some(Checksum { algorithm, digest })
    }

    /// The algorithm that produced this checksum.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    /// The raw digest.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.digest {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self)
    }
}

/// Everything a migration declares about itself in its header, plus its checksum.
///
/// Build one with [`Revision::new`] and the `with_*` methods (tests and generated code), or
/// get it from [`crate::source`] when parsing a file.
///
/// ```
/// use pelican::{Revision, RevisionId};
/// let rev = Revision::new("b2".parse().unwrap())
///     .with_parents(vec!["a1".parse().unwrap()])
///     .with_message("add priority column");
/// assert!(!rev.is_base());
/// assert_eq!(rev.parents()[0], "a1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    id: RevisionId,
    parents: Vec<RevisionId>,
    depends_on: Vec<String>,
    branch_labels: Vec<String>,
    message: String,
    created: Option<String>,
    transactional: bool,
    irreversible: Option<String>,
    lock_timeout: Option<Duration>,
    statement_timeout: Option<Duration>,
    lint_ignore: Option<(String, usize)>,
    checksum: Checksum,
}

impl Revision {
    /// A base revision (no parents), transactional, with an empty message and the checksum of
    /// an empty file.
    pub fn new(id: RevisionId) -> Self {
        Revision {
            id,
            parents: Vec::new(),
            depends_on: Vec::new(),
            branch_labels: Vec::new(),
            message: String::new(),
            created: None,
            transactional: true,
            irreversible: None,
            lock_timeout: None,
            statement_timeout: None,
            lint_ignore: None,
            checksum: Checksum::EMPTY_FILE,
        }
    }

    /// Sets the parents (`revises`): none for a base, two or more for a merge.
    pub fn with_parents(mut self, parents: Vec<RevisionId>) -> Self {
        self.parents = parents;
        self
    }

    /// Sets `depends-on`: revision ids or branch labels this revision needs applied first.
    pub fn with_depends_on(mut self, depends_on: Vec<String>) -> Self {
        self.depends_on = depends_on;
        self
    }

    /// Sets the branch labels declared by this revision.
    pub fn with_branch_labels(mut self, labels: Vec<String>) -> Self {
        self.branch_labels = labels;
        self
    }

    /// Sets the human-readable message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Sets the creation timestamp as written in the header (RFC 3339).
    pub fn with_created(mut self, created: impl Into<String>) -> Self {
        self.created = Some(created.into());
        self
    }

    /// Sets whether the revision runs inside a transaction (default `true`).
    pub fn with_transactional(mut self, transactional: bool) -> Self {
        self.transactional = transactional;
        self
    }

    /// Marks the revision irreversible, with the reason shown when a downgrade reaches it.
    pub fn with_irreversible(mut self, reason: impl Into<String>) -> Self {
        self.irreversible = Some(reason.into());
        self
    }

    /// Sets PostgreSQL's `lock_timeout` while this revision runs (header `lock-timeout`).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = Some(timeout);
        self
    }

    /// Sets the header's `lint-ignore:` value (`<rule>[, <rule>...] -- <reason>`), given on
    /// header line `line`: the linter doesn't report those rules anywhere in the file.
    pub fn with_lint_ignore(mut self, rules: impl Into<String>, line: usize) -> Self {
        self.lint_ignore = Some((rules.into(), line));
        self
    }

    /// Sets PostgreSQL's `statement_timeout` while this revision runs (header
    /// `statement-timeout`).
    pub fn with_statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = Some(timeout);
        self
    }

    /// Sets the checksum of the file the revision came from.
    pub fn with_checksum(mut self, checksum: Checksum) -> Self {
        self.checksum = checksum;
        self
    }

    /// The revision id.
    pub fn id(&self) -> &RevisionId {
        &self.id
    }

    /// The parents, in header order. Empty for a base, two or more for a merge.
    pub fn parents(&self) -> &[RevisionId] {
        &self.parents
    }

    /// The `depends-on` entries (revision ids or branch labels), unresolved.
    pub fn depends_on(&self) -> &[String] {
        &self.depends_on
    }

    /// The branch labels this revision declares.
    pub fn branch_labels(&self) -> &[String] {
        &self.branch_labels
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The creation timestamp as written in the header, if any.
    pub fn created(&self) -> Option<&str> {
        self.created.as_deref()
    }

    /// Whether the revision runs inside a transaction.
    pub fn is_transactional(&self) -> bool {
        self.transactional
    }

    /// Why the revision can't be downgraded, if it can't.
    pub fn irreversible(&self) -> Option<&str> {
        self.irreversible.as_deref()
    }

    /// The `lock_timeout` this revision runs with, overriding the run's.
    pub fn lock_timeout(&self) -> Option<Duration> {
        self.lock_timeout
    }

    /// The header's `lint-ignore:` value (rules, then ` -- ` and the reason) and its line.
    pub fn lint_ignore(&self) -> Option<(&str, usize)> {
        self.lint_ignore
            .as_ref()
            .map(|(rules, line)| (rules.as_str(), *line))
    }

    /// The `statement_timeout` this revision runs with, overriding the run's.
    pub fn statement_timeout(&self) -> Option<Duration> {
        self.statement_timeout
    }

    /// The checksum of the revision's file.
    pub fn checksum(&self) -> &Checksum {
        &self.checksum
    }

    /// Whether this revision has no parents.
    pub fn is_base(&self) -> bool {
        self.parents.is_empty()
    }

    /// Whether this revision has two or more parents.
    pub fn is_merge(&self) -> bool {
        self.parents.len() > 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_file_checksum_is_the_hash_of_nothing() {
        assert_eq!(Checksum::EMPTY_FILE, Checksum::of(b""));
        assert_eq!(
            Checksum::EMPTY_FILE.to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn ids_follow_the_naming_rules() {
        assert!(RevisionId::new("django_0001").is_ok());
        assert!(RevisionId::new("3f2a9c1d7b4e").is_ok());
        let err = RevisionId::new("bad-id").unwrap_err();
        assert_eq!(
            err.to_string(),
            "revision id 'bad-id' contains \"-\"; only ASCII letters, digits and '_' are allowed"
        );
        let err = RevisionId::new("head").unwrap_err();
        assert!(err.to_string().contains("reserved target word"), "{err}");
        assert_eq!(
            RevisionId::new("").unwrap_err().to_string(),
            "empty revision id"
        );
    }

    #[test]
    fn checksum_ignores_line_endings_only() {
        let unix = Checksum::of(b"-- revision: a\n-- up\nSELECT 1;\n");
        let windows = Checksum::of(b"-- revision: a\r\n-- up\r\nSELECT 1;\r\n");
        let old_mac = Checksum::of(b"-- revision: a\r-- up\rSELECT 1;\r");
        assert_eq!(unix, windows);
        assert_eq!(unix, old_mac);
        assert_ne!(unix, Checksum::of(b"-- revision: a\n-- up\nSELECT 2;\n"));
    }

    #[test]
    fn checksum_hex_round_trips() {
        let sum = Checksum::of(b"hello");
        assert_eq!(
            sum.to_string(),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        let back = Checksum::from_hex(ChecksumAlgorithm::Sha256, &sum.to_string()).unwrap();
        assert_eq!(back, sum);
        assert!(Checksum::from_hex(ChecksumAlgorithm::Sha256, "zz").is_none());
    }
}
