//! Why a revision set is not a valid DAG, and why a name does not resolve: each error names
//! the culprits.

use crate::revision::RevisionId;

/// A revision set that does not form a valid DAG. Every variant names the culprits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// Two revisions share one id.
    #[error("revision {id} is defined more than once")]
    DuplicateRevision {
        /// The id defined twice.
        id: RevisionId,
    },
    /// A revision names a parent that is not in the set.
    #[error("revision {revision} revises {parent}, which does not exist")]
    UnknownParent {
        /// The revision whose `revises` is wrong.
        revision: RevisionId,
        /// The missing parent.
        parent: String,
    },
    /// A revision lists the same parent twice.
    #[error("revision {revision} lists {parent} twice in `revises`")]
    DuplicateParent {
        /// The revision whose `revises` is wrong.
        revision: RevisionId,
        /// The repeated parent.
        parent: RevisionId,
    },
    /// A `depends-on` entry is neither a revision id nor a branch label.
    #[error("revision {revision} depends on '{dependency}', which is neither a revision nor a branch label")]
    UnknownDependency {
        /// The revision whose `depends-on` is wrong.
        revision: RevisionId,
        /// The unknown entry.
        dependency: String,
    },
    /// Revisions that (through `revises` and `depends-on`) come before themselves.
    #[error("revisions form a cycle{}: {}", if *.through_depends_on { " through depends-on" } else { "" }, render_cycle(.revisions))]
    Cycle {
        /// The revisions of the cycle in order, each one preceding the next; the first one is
        /// repeated at the end.
        revisions: Vec<RevisionId>,
        /// Whether a `depends-on` edge is part of the cycle.
        through_depends_on: bool,
    },
    /// Two revisions declare the same branch label.
    #[error("branch label '{label}' is declared by both {first} and {second}")]
    DuplicateBranchLabel {
        /// The label.
        label: String,
        /// One revision declaring it.
        first: RevisionId,
        /// The other revision declaring it.
        second: RevisionId,
    },
    /// A branch label that is also a revision id (they share one name space in targets).
    #[error("branch label '{label}' of revision {revision} is also a revision id; targets could not tell them apart")]
    LabelIsRevisionId {
        /// The label.
        label: String,
        /// The revision declaring it.
        revision: RevisionId,
    },
    /// The set holds no revision where one is required.
    #[error("there are no revisions (is the migrations directory empty or the wrong one?)")]
    Empty,
}

fn render_cycle(revisions: &[RevisionId]) -> String {
    revisions
        .iter()
        .map(RevisionId::as_str)
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// A name that resolves to no revision, or to several.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// Nothing matches.
    #[error("no revision or branch label '{name}', and none starts with '{name}'")]
    NotFound {
        /// What was looked up.
        name: String,
    },
    /// A prefix matching several revisions.
    #[error("'{prefix}' is ambiguous: it starts {}", list_candidates(.candidates))]
    Ambiguous {
        /// The prefix.
        prefix: String,
        /// Every matching revision id or label, sorted.
        candidates: Vec<String>,
    },
    /// A revision outside the requested branch.
    #[error("revision {revision} is not a member of branch '{branch}'")]
    NotInBranch {
        /// The revision.
        revision: RevisionId,
        /// The branch (label or revision) it was expected in.
        branch: String,
    },
}

fn list_candidates(candidates: &[String]) -> String {
    candidates
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ")
}
