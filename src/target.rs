//! Targets: what `upgrade`, `downgrade` and `stamp` aim at, parsed from text and resolved
//! against a [`RevisionGraph`] and the applied set.
//!
//! | text | meaning |
//! |---|---|
//! | `head` | the single head; an error naming them when there are several |
//! | `heads` | every head (upgrade), as Alembic's `heads` |
//! | `base` | before the first revision |
//! | `ae1027a6acf1`, `ae10`, `feature` | a revision id, a unique prefix (of an id or label), a branch label |
//! | `feature@head`, `feature@heads`, `feature@base` | the same, restricted to the branch's lineage |
//! | `feature@ae10` | a revision that must belong to the branch |
//! | `+2`, `-1` | relative to the database's current state |
//! | `feature@+1`, `feature@-1` | relative to the current state of one branch |
//! | `ae10+2`, `ae10-1`, `head-1`, `base+1` | relative to a revision |
//!
//! Part of the pure core: no I/O.

use std::fmt;
use std::str::FromStr;

use petgraph::Direction::{Incoming, Outgoing};

use crate::graph::{LookupError, NodeSet, RevisionGraph};
use crate::revision::{check_name, NameKind, RevisionId, RESERVED_NAMES};

/// A parsed, not yet resolved target.
///
/// ```
/// use pelican::Target;
/// let t: Target = "feature@-2".parse().unwrap();
/// assert_eq!(t, Target::Relative { branch: Some("feature".into()), anchor: None, steps: -2 });
/// assert_eq!(t.to_string(), "feature@-2");
/// assert!("ab-cd".parse::<Target>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// `head` or `<branch>@head`.
    Head {
        /// The branch (label or revision) the head must belong to.
        branch: Option<String>,
    },
    /// `heads` or `<branch>@heads`.
    Heads {
        /// The branch (label or revision) the heads must belong to.
        branch: Option<String>,
    },
    /// `base` or `<branch>@base`.
    Base {
        /// The branch (label or revision) whose base is meant.
        branch: Option<String>,
    },
    /// A revision id, unique prefix, or branch label; `<branch>@<name>` checks membership.
    Revision {
        /// The branch (label or revision) the revision must belong to.
        branch: Option<String>,
        /// The id, prefix or label.
        name: String,
    },
    /// `[<branch>@][<anchor>](+|-)N`: N steps up or down from the anchor, or from the
    /// current state when there is no anchor.
    Relative {
        /// The branch (label or revision) the walk stays in.
        branch: Option<String>,
        /// Where the walk starts: `head`, `base`, an id, prefix or label; `None` = the
        /// database's current state.
        anchor: Option<String>,
        /// Steps up (positive) or down (negative); never zero.
        steps: i64,
    },
}

impl Target {
    /// The branch this target is restricted to, if any.
    pub fn branch(&self) -> Option<&str> {
        match self {
            Target::Head { branch }
            | Target::Heads { branch }
            | Target::Base { branch }
            | Target::Revision { branch, .. }
            | Target::Relative { branch, .. } => branch.as_deref(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(branch) = self.branch() {
            write!(f, "{branch}@")?;
        }
        match self {
            Target::Head { .. } => f.write_str("head"),
            Target::Heads { .. } => f.write_str("heads"),
            Target::Base { .. } => f.write_str("base"),
            Target::Revision { name, .. } => f.write_str(name),
            Target::Relative { anchor, steps, .. } => {
                write!(f, "{}{steps:+}", anchor.as_deref().unwrap_or(""))
            }
        }
    }
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(text: &str) -> Result<Self, TargetError> {
        let invalid = |reason: &str| TargetError::Invalid {
            target: text.to_owned(),
            reason: reason.to_owned(),
        };
        if text.is_empty() {
            return Err(invalid("the target is empty"));
        }
        let (branch, rest) = match text.split_once('@') {
            Some((branch, rest)) => {
                if branch.is_empty() {
                    return Err(invalid("nothing before '@'; write <branch>@<revision>"));
                }
                if rest.contains('@') {
                    return Err(invalid("more than one '@'"));
                }
                check_name(branch, NameKind::BranchLabel)
                    .map_err(|e| invalid(&format!("bad branch: {e}")))?;
                (Some(branch.to_owned()), rest)
            }
            None => (None, text),
        };
        if rest.is_empty() {
            return Err(invalid(
                "nothing after '@'; write <branch>@head, <branch>@base or <branch>@<revision>",
            ));
        }
        if let Some(sign_at) = rest.find(['+', '-']) {
            let (anchor, count) = rest.split_at(sign_at);
            let digits = &count[1..];
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(
                    "a relative target is [<revision>](+|-)<number>, e.g. +1, -2, head-1",
                ));
            }
            let magnitude: i64 = digits
                .parse()
                .map_err(|_| invalid("the step count is too large"))?;
            if magnitude == 0 {
                return Err(invalid("the step count must be at least 1"));
            }
            let anchor = if anchor.is_empty() {
                None
            } else {
                if !RESERVED_NAMES.contains(&anchor) {
                    check_name(anchor, NameKind::Revision).map_err(|e| invalid(&e.to_string()))?;
                }
                Some(anchor.to_owned())
            };
            let steps = if count.starts_with('-') {
                -magnitude
            } else {
                magnitude
            };
            return Ok(Target::Relative {
                branch,
                anchor,
                steps,
            });
        }
        Ok(match rest {
            "head" => Target::Head { branch },
            "heads" => Target::Heads { branch },
            "base" => Target::Base { branch },
            name => {
                check_name(name, NameKind::Revision).map_err(|e| invalid(&e.to_string()))?;
                Target::Revision {
                    branch,
                    name: name.to_owned(),
                }
            }
        })
    }
}

/// A target that can't be parsed or resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// Text that is not a target.
    #[error("invalid target '{target}': {reason}")]
    Invalid {
        /// The text.
        target: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A name that matches no revision, or several.
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// The `<branch>@` part names neither a branch label nor a revision.
    #[error("no branch '{branch}': it is neither a branch label nor a revision")]
    UnknownBranch {
        /// The branch as written.
        branch: String,
    },
    /// `head` (or an equivalent) where several heads exist.
    #[error("'{argument}' is ambiguous: there are several heads ({}); name one of them, use <branch>@head, or 'heads' for all; or merge them into one (`pelican merge -m MESSAGE heads`)", join(.heads))]
    MultipleHeads {
        /// The target as written.
        argument: String,
        /// The heads it could mean.
        heads: Vec<RevisionId>,
    },
    /// A relative target without an anchor while the database has several current heads.
    #[error("'{target}' is ambiguous: the database is at several heads ({}); use <branch>@{target} or <revision>{target}", join(.current))]
    AmbiguousStart {
        /// The target as written.
        target: String,
        /// The current heads.
        current: Vec<RevisionId>,
    },
    /// A relative walk that reaches a branch point (up) or merge point (down).
    #[error("'{target}' is ambiguous: {} is followed by several revisions here ({}); name the revision instead", .from.as_ref().map_or("base".to_owned(), |f| f.to_string()), join(.candidates))]
    AmbiguousWalk {
        /// The target as written.
        target: String,
        /// Where the walk was (`None` = base).
        from: Option<RevisionId>,
        /// The revisions it could go to.
        candidates: Vec<RevisionId>,
    },
    /// A relative walk that runs out of revisions.
    #[error("'{target}' goes {} revisions {}, but only {available} exist in that direction", .steps.unsigned_abs(), if *.steps > 0 { "up" } else { "down" })]
    TooFar {
        /// The target as written.
        target: String,
        /// The requested steps.
        steps: i64,
        /// How many steps there were.
        available: u64,
    },
    /// A relative target pointing the other way than the command.
    #[error("'{target}' moves {}: use {} instead", if *.upward { "up" } else { "down" }, if *.upward { "upgrade" } else { "downgrade" })]
    WrongDirection {
        /// The target as written.
        target: String,
        /// Whether the target moves upward.
        upward: bool,
    },
}

fn join(ids: &[RevisionId]) -> String {
    ids.iter()
        .map(RevisionId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A position in the graph: before every revision, or at one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    Base,
    At(u32),
}

/// A resolved downgrade target: where to go, and the branch that narrows what is removed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DowngradeTarget {
    pub(crate) branch: Option<u32>,
    pub(crate) position: Position,
}

/// Resolves targets against a graph and the revisions applied in the database.
pub(crate) struct Resolver<'a> {
    graph: &'a RevisionGraph,
    applied: &'a NodeSet,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(graph: &'a RevisionGraph, applied: &'a NodeSet) -> Self {
        Resolver { graph, applied }
    }

    /// The applied revisions none of whose children or dependants are applied: the state as
    /// Alembic's version table would hold it. Relative targets start here.
    pub(crate) fn state_heads(&self) -> Vec<u32> {
        self.tips(self.applied)
    }

    /// Members of `set` none of whose children or dependants are members, in rank order.
    fn tips(&self, set: &NodeSet) -> Vec<u32> {
        let mut tips: Vec<u32> = set
            .iter()
            .filter(|&n| {
                self.graph
                    .neighbors(n, Outgoing, None)
                    .iter()
                    .all(|&next| !set.contains(next))
            })
            .collect();
        self.graph.sort_by_rank(&mut tips);
        tips
    }

    /// The applied revisions none of whose children are applied (`current`).
    pub(crate) fn current_heads(&self) -> Vec<u32> {
        let mut heads: Vec<u32> = self
            .applied
            .iter()
            .filter(|&n| {
                self.graph
                    .children_of(n)
                    .iter()
                    .all(|&child| !self.applied.contains(child))
            })
            .collect();
        self.graph.sort_by_rank(&mut heads);
        heads
    }

    /// The revisions an upgrade must reach (with their ancestors). Empty = nothing to do.
    pub(crate) fn upgrade_targets(&self, target: &Target) -> Result<Vec<u32>, TargetError> {
        let branch = self.branch(target)?;
        match target {
            Target::Head { .. } => Ok(self.head(branch, target)?.into_iter().collect()),
            Target::Heads { .. } => Ok(match branch {
                None => self.graph.effective_head_nodes(),
                Some(b) => self.branch_heads(b),
            }),
            Target::Base { .. } => Ok(Vec::new()),
            Target::Revision { name, .. } => Ok(vec![self.graph.resolve_name(name, branch)?]),
            Target::Relative { anchor, steps, .. } => {
                let start = match anchor {
                    None if *steps < 0 => {
                        return Err(TargetError::WrongDirection {
                            target: target.to_string(),
                            upward: false,
                        })
                    }
                    None => self.upward_start(branch, target)?,
                    Some(anchor) if *steps < 0 => self.symbol(anchor, branch, branch, target)?,
                    Some(anchor) => self.symbol(anchor, None, branch, target)?,
                };
                match self.walk(start, *steps, branch, target)? {
                    Position::Base => Ok(Vec::new()),
                    Position::At(node) => Ok(vec![node]),
                }
            }
        }
    }

    /// Where a downgrade goes, and which branch narrows it.
    pub(crate) fn downgrade_target(&self, target: &Target) -> Result<DowngradeTarget, TargetError> {
        let mut branch = self.branch(target)?;
        let position = match target {
            Target::Head { .. } => self
                .head(branch, target)?
                .map_or(Position::Base, Position::At),
            Target::Heads { .. } => {
                let heads = match branch {
                    None => self.graph.effective_head_nodes(),
                    Some(b) => self.branch_heads(b),
                };
                match heads.as_slice() {
                    [] => Position::Base,
                    [one] => Position::At(*one),
                    _ => return Err(self.multiple_heads(target, heads)),
                }
            }
            Target::Base { .. } => Position::Base,
            Target::Revision { name, .. } => Position::At(self.graph.resolve_name(name, branch)?),
            Target::Relative { anchor, steps, .. } => {
                let start = match anchor {
                    None if *steps > 0 => {
                        return Err(TargetError::WrongDirection {
                            target: target.to_string(),
                            upward: true,
                        })
                    }
                    None => {
                        let start = self.downward_start(branch, *steps, target)?;
                        if branch.is_none() {
                            // As in Alembic: only the branch being walked is rolled back.
                            branch = Some(start);
                        }
                        Position::At(start)
                    }
                    Some(anchor) if *steps < 0 => self.symbol(anchor, branch, branch, target)?,
                    Some(anchor) => self.symbol(anchor, None, branch, target)?,
                };
                self.walk(start, *steps, branch, target)?
            }
        };
        Ok(DowngradeTarget { branch, position })
    }

    /// Resolves the `<branch>@` part: a branch label or any revision name.
    fn branch(&self, target: &Target) -> Result<Option<u32>, TargetError> {
        let Some(branch) = target.branch() else {
            return Ok(None);
        };
        self.graph
            .resolve_name(branch, None)
            .map(Some)
            .map_err(|_| TargetError::UnknownBranch {
                branch: branch.to_owned(),
            })
    }

    /// The single head (of the branch, if given); `None` when the graph is empty.
    fn head(&self, branch: Option<u32>, target: &Target) -> Result<Option<u32>, TargetError> {
        let heads = match branch {
            None => self.graph.head_nodes(),
            Some(b) => self.branch_heads(b),
        };
        match heads.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(self.multiple_heads(target, heads)),
        }
    }

    fn branch_heads(&self, branch: u32) -> Vec<u32> {
        let lineage = self.graph.lineage(branch);
        let mut heads = self.graph.head_nodes();
        heads.retain(|&h| lineage.contains(h));
        heads
    }

    fn multiple_heads(&self, target: &Target, heads: Vec<u32>) -> TargetError {
        let argument = match target {
            Target::Relative {
                branch,
                anchor: Some(anchor),
                ..
            } => match branch {
                Some(b) => format!("{b}@{anchor}"),
                None => anchor.clone(),
            },
            other => other.to_string(),
        };
        TargetError::MultipleHeads {
            argument,
            heads: self.ids(heads),
        }
    }

    /// The anchor of a relative target. `lookup_branch` narrows name lookups (Alembic does
    /// so for downward walks only); `head_branch` narrows `head`/`heads`.
    fn symbol(
        &self,
        anchor: &str,
        lookup_branch: Option<u32>,
        head_branch: Option<u32>,
        target: &Target,
    ) -> Result<Position, TargetError> {
        Ok(match anchor {
            "base" => Position::Base,
            "head" => self
                .head(head_branch, target)?
                .map_or(Position::Base, Position::At),
            "heads" => {
                let heads = match head_branch {
                    None => self.graph.effective_head_nodes(),
                    Some(b) => self.branch_heads(b),
                };
                match heads.as_slice() {
                    [] => Position::Base,
                    [one] => Position::At(*one),
                    _ => return Err(self.multiple_heads(target, heads)),
                }
            }
            name => Position::At(self.graph.resolve_name(name, lookup_branch)?),
        })
    }

    /// Where `+N` starts: the single current head (of the branch, if given).
    fn upward_start(&self, branch: Option<u32>, target: &Target) -> Result<Position, TargetError> {
        let starts = self.starts(branch, |state, lineage| {
            // The branch is not at a current head: start from the tips of its applied part
            // (or from base when none of it is applied).
            let mut active = self.graph.reach(state, Incoming, None);
            active.intersect_with(lineage);
            self.tips(&active)
        });
        Ok(self
            .single_start(starts, target)?
            .map_or(Position::Base, Position::At))
    }

    /// Where `-N` starts: the single current head (of the branch, if given).
    fn downward_start(
        &self,
        branch: Option<u32>,
        steps: i64,
        target: &Target,
    ) -> Result<u32, TargetError> {
        let starts = self.starts(branch, |_, lineage| {
            let mut current = self.current_heads();
            current.retain(|&n| lineage.contains(n));
            current
        });
        self.single_start(starts, target)?
            .ok_or_else(|| TargetError::TooFar {
                target: target.to_string(),
                steps,
                available: 0,
            })
    }

    /// The state heads (on the branch's line, if given); `off_branch` supplies the candidates
    /// when no state head lies on the branch.
    fn starts(
        &self,
        branch: Option<u32>,
        off_branch: impl FnOnce(&[u32], &NodeSet) -> Vec<u32>,
    ) -> Vec<u32> {
        let state = self.state_heads();
        let Some(branch) = branch else {
            return state;
        };
        let lineage = self.graph.lineage(branch);
        let on_branch: Vec<u32> = state
            .iter()
            .copied()
            .filter(|&n| lineage.contains(n))
            .collect();
        if on_branch.is_empty() {
            off_branch(&state, &lineage)
        } else {
            on_branch
        }
    }

    /// The one start of a relative walk: none, or an error naming them when there are several.
    fn single_start(&self, starts: Vec<u32>, target: &Target) -> Result<Option<u32>, TargetError> {
        match starts.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(TargetError::AmbiguousStart {
                target: target.to_string(),
                current: self.ids(starts),
            }),
        }
    }

    /// Walks `steps` up (children, narrowed to the branch's lineage) or down (parents; one
    /// step past a base reaches `base`).
    fn walk(
        &self,
        start: Position,
        steps: i64,
        branch: Option<u32>,
        target: &Target,
    ) -> Result<Position, TargetError> {
        let lineage = branch.filter(|_| steps > 0).map(|b| self.graph.lineage(b));
        let mut position = start;
        for taken in 0..steps.unsigned_abs() {
            let next: Vec<u32> = match (position, steps > 0) {
                (Position::Base, true) => self.graph.base_nodes(),
                (Position::At(node), true) => self.graph.children_of(node),
                (Position::At(node), false) => self.graph.parents_of(node),
                (Position::Base, false) => {
                    return Err(TargetError::TooFar {
                        target: target.to_string(),
                        steps,
                        available: taken,
                    })
                }
            };
            let mut next = next;
            if let Some(lineage) = &lineage {
                next.retain(|&n| lineage.contains(n));
            }
            position = match next.as_slice() {
                [] if steps < 0 => Position::Base,
                [] => {
                    return Err(TargetError::TooFar {
                        target: target.to_string(),
                        steps,
                        available: taken,
                    })
                }
                [one] => Position::At(*one),
                _ => {
                    return Err(TargetError::AmbiguousWalk {
                        target: target.to_string(),
                        from: match position {
                            Position::Base => None,
                            Position::At(n) => Some(self.graph.id_of(n).clone()),
                        },
                        candidates: self.ids(next),
                    })
                }
            };
        }
        Ok(position)
    }

    fn ids(&self, nodes: Vec<u32>) -> Vec<RevisionId> {
        nodes
            .into_iter()
            .map(|n| self.graph.id_of(n).clone())
            .collect()
    }
}

#[cfg(test)]
mod tests;
