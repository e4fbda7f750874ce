//! Plans: from the applied set and a target, the ordered steps that Alembic would run.
//!
//! Which revisions run follows Alembic exactly (see `docs/concepts.md`):
//!
//! * **upgrade T** runs every revision that T and its ancestors (through parents and
//!   `depends-on`) need and that is not applied yet. Upgrading to an applied revision does
//!   nothing.
//! * **downgrade T** removes the applied revisions built on T's children (through parents and
//!   `depends-on`), so revisions that merely depend on T itself stay. `base` removes everything;
//!   `<branch>@...` removes only the roots on that branch's line.
//! * **stamp T** changes the applied set without running anything.
//!
//! Where Alembic leaves the order to file names, pelican's is fixed by the graph alone: one
//! branch at a time, branches taken in order of their revisions' `created` timestamps, then
//! ids; a downgrade runs in exactly the reverse order of the upgrade that would apply the same
//! revisions.
//!
//! Part of the pure core: no I/O.

use std::fmt;

use petgraph::Direction::{Incoming, Outgoing};

use crate::graph::{Edge, NodeSet, RevisionGraph};
use crate::revision::RevisionId;
use crate::target::{Position, Resolver, Target, TargetError};

/// Which way a step goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Apply the revision (`up`).
    Up,
    /// Revert the revision (`down`).
    Down,
}

impl Direction {
    /// `upgrade` or `downgrade`.
    pub fn verb(self) -> &'static str {
        match self {
            Direction::Up => "upgrade",
            Direction::Down => "downgrade",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.verb())
    }
}

/// One step of a plan: run one revision's `up` or `down`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Step {
    /// The revision to run.
    pub revision: RevisionId,
    /// Up or down.
    pub direction: Direction,
}

/// The ordered steps of an upgrade or downgrade. Empty when there is nothing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    direction: Direction,
    steps: Vec<Step>,
}

impl Plan {
    /// The steps, in the order they run.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Up for upgrades, down for downgrades.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The revision ids, in the order they run.
    pub fn revisions(&self) -> impl ExactSizeIterator<Item = &RevisionId> {
        self.steps.iter().map(|step| &step.revision)
    }
}

/// The change `stamp` makes to the applied set: revisions to record as applied without
/// running them, and records to delete.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StampPlan {
    /// Revisions to record, in upgrade order.
    pub add: Vec<RevisionId>,
    /// Records to delete, in downgrade order.
    pub remove: Vec<RevisionId>,
}

impl StampPlan {
    /// Whether the stamp changes nothing.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }
}

/// No plan leads from the applied set to the target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The target can't be parsed or resolved.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// The applied set names revisions the graph does not have.
    #[error("the database has applied revisions that are not among the known migrations: {}", join(.revisions))]
    UnknownApplied {
        /// The unknown revisions.
        revisions: Vec<String>,
    },
    /// A downgrade target that is not applied and below which nothing applied would change.
    #[error("can't downgrade to {target}: it is not applied, so nothing above it can be removed")]
    NotApplied {
        /// The target revision.
        target: RevisionId,
    },
    /// `<branch>@...` where none of the revisions to remove lie on the branch.
    #[error(
        "can't downgrade '{target}': no applied revision on that branch lies above the target"
    )]
    NotOnBranch {
        /// The target as written.
        target: String,
    },
    /// A downgrade that would pass through a revision declared irreversible.
    #[error("can't downgrade through {revision}: it is irreversible ({reason})")]
    Irreversible {
        /// The irreversible revision.
        revision: RevisionId,
        /// The reason its header gives.
        reason: String,
    },
}

fn join(items: &[String]) -> String {
    items.join(", ")
}

/// Computes plans for one graph and one applied set.
///
/// ```
/// use pelican::{plan::Planner, Revision, RevisionGraph};
/// let rev = |id: &str, parents: &[&str]| {
///     Revision::new(id.parse().unwrap())
///         .with_parents(parents.iter().map(|p| p.parse().unwrap()).collect())
/// };
/// let graph = RevisionGraph::new([rev("a", &[]), rev("b", &["a"]), rev("c", &["b"])])?;
/// let planner = Planner::new(&graph, ["a", "b", "c"])?;
/// let plan = planner.downgrade(&"-2".parse()?)?;
/// let ids: Vec<&str> = plan.revisions().map(|r| r.as_str()).collect();
/// assert_eq!(ids, ["c", "b"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Planner<'g> {
    graph: &'g RevisionGraph,
    applied: NodeSet,
}

impl<'g> Planner<'g> {
    /// A planner for `graph` with these revisions applied. Fails with
    /// [`PlanError::UnknownApplied`] when an applied revision is not in the graph.
    pub fn new(
        graph: &'g RevisionGraph,
        applied: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Result<Self, PlanError> {
        let mut set = NodeSet::empty(graph.len());
        let mut unknown = Vec::new();
        for id in applied {
            match graph.node(id.as_ref()) {
                Some(node) => {
                    set.insert(node);
                }
                None => unknown.push(id.as_ref().to_owned()),
            }
        }
        if !unknown.is_empty() {
            unknown.sort();
            return Err(PlanError::UnknownApplied { revisions: unknown });
        }
        Ok(Planner {
            graph,
            applied: set,
        })
    }

    fn resolver(&self) -> Resolver<'_> {
        Resolver::new(self.graph, &self.applied)
    }

    /// The current heads: applied revisions none of whose children are applied (what
    /// `current` shows), in rank order.
    pub fn current_heads(&self) -> Vec<&'g RevisionId> {
        self.graph.ids_of(self.resolver().current_heads())
    }

    /// The plan of `upgrade <target>`.
    pub fn upgrade(&self, target: &Target) -> Result<Plan, PlanError> {
        let targets = self.resolver().upgrade_targets(target)?;
        let mut needed = self.graph.reach(&targets, Incoming, None);
        needed.difference_with(&self.applied);
        Ok(self.plan(Direction::Up, self.graph.upgrade_order(&needed)))
    }

    /// The plan of `downgrade <target>`.
    pub fn downgrade(&self, target: &Target) -> Result<Plan, PlanError> {
        let destination = self.resolver().downgrade_target(target)?;
        let mut roots = match destination.position {
            Position::Base => self.graph.base_nodes(),
            Position::At(node) => self.graph.children_of(node),
        };
        if let Some(branch) = destination.branch {
            if roots.len() > 1 {
                let line = self.graph.reach(&[branch], Incoming, Some(Edge::Parent));
                roots.retain(|&root| line.contains(root));
                if roots.is_empty() {
                    return Err(PlanError::NotOnBranch {
                        target: target.to_string(),
                    });
                }
            }
        }
        let mut remove = self.graph.reach(&roots, Outgoing, None);
        remove.intersect_with(&self.applied);
        if let Position::At(node) = destination.position {
            if remove.is_empty() && !self.applied.contains(node) {
                return Err(PlanError::NotApplied {
                    target: self.graph.id_of(node).clone(),
                });
            }
        }
        let mut order = self.graph.upgrade_order(&remove);
        order.reverse();
        if let Some(&node) = order
            .iter()
            .find(|&&n| self.graph.revision_at(n).irreversible().is_some())
        {
            let revision = self.graph.revision_at(node);
            return Err(PlanError::Irreversible {
                revision: revision.id().clone(),
                reason: revision.irreversible().unwrap_or_default().to_owned(),
            });
        }
        Ok(self.plan(Direction::Down, order))
    }

    /// The revisions `target` points at from this applied set, without their ancestors:
    /// what `head`, `heads`, `<branch>@head`, an id, a unique prefix, a branch label or a
    /// relative target (`+1`, `head-2`) names. Empty for `base`.
    ///
    /// ```
    /// use pelican::{plan::Planner, Revision, RevisionGraph};
    /// let rev = |id: &str, parents: &[&str]| {
    ///     Revision::new(id.parse().unwrap())
    ///         .with_parents(parents.iter().map(|p| p.parse().unwrap()).collect())
    /// };
    /// let graph = RevisionGraph::new([rev("a1", &[]), rev("b2", &["a1"]), rev("c3", &["b2"])])?;
    /// let planner = Planner::new(&graph, ["a1"])?;
    /// assert_eq!(planner.resolve(&"head".parse()?)?, ["c3"]);
    /// assert_eq!(planner.resolve(&"+1".parse()?)?, ["b2"]);
    /// assert_eq!(planner.resolve(&"head-2".parse()?)?, ["a1"]);
    /// assert!(planner.resolve(&"base".parse()?)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resolve(&self, target: &Target) -> Result<Vec<&'g RevisionId>, PlanError> {
        Ok(self
            .graph
            .ids_of(self.resolve_nodes(&self.resolver(), target)?))
    }

    /// The nodes a target points at; negative relative targets walk down.
    fn resolve_nodes(
        &self,
        resolver: &Resolver<'_>,
        target: &Target,
    ) -> Result<Vec<u32>, PlanError> {
        Ok(match target {
            Target::Relative { steps, .. } if *steps < 0 => {
                match resolver.downgrade_target(target)?.position {
                    Position::Base => Vec::new(),
                    Position::At(node) => vec![node],
                }
            }
            _ => resolver.upgrade_targets(target)?,
        })
    }

    /// What `stamp <targets>` changes, without running anything.
    ///
    /// Each target replaces the current heads it shares a line with (ancestors or descendants,
    /// `depends-on` included) and keeps the others; `base` clears everything. Targets apply
    /// one after the other, so `stamp a1 b1` from heads `{a2, b1}` gives `{a1, b1}`. With
    /// `purge`, the stamp starts from an empty database.
    pub fn stamp(&self, targets: &[Target], purge: bool) -> Result<StampPlan, PlanError> {
        let resolver = self.resolver();
        let mut heads = if purge {
            NodeSet::empty(self.graph.len())
        } else {
            NodeSet::from_nodes(self.graph.len(), resolver.state_heads())
        };
        for target in targets {
            let resolved = self.resolve_nodes(&resolver, target)?;
            if resolved.is_empty() {
                match target.branch() {
                    None => heads = NodeSet::empty(self.graph.len()),
                    Some(_) => {
                        let line = self.line_of(&[self.branch_node(target)?]);
                        heads.difference_with(&line);
                    }
                }
            }
            for node in resolved {
                heads.difference_with(&self.line_of(&[node]));
                heads.insert(node);
            }
        }
        let heads: Vec<u32> = heads.iter().collect();
        let after = self.graph.reach(&heads, Incoming, None);
        let mut add = after.clone();
        add.difference_with(&self.applied);
        let mut remove = self.applied.clone();
        remove.difference_with(&after);
        let mut remove_order = self.graph.upgrade_order(&remove);
        remove_order.reverse();
        Ok(StampPlan {
            add: self.owned_ids(self.graph.upgrade_order(&add)),
            remove: self.owned_ids(remove_order),
        })
    }

    fn branch_node(&self, target: &Target) -> Result<u32, PlanError> {
        let branch = target.branch().unwrap_or_default();
        self.graph.resolve_name(branch, None).map_err(|_| {
            PlanError::Target(TargetError::UnknownBranch {
                branch: branch.to_owned(),
            })
        })
    }

    /// Ancestors and descendants of `nodes` (themselves included), `depends-on` included.
    fn line_of(&self, nodes: &[u32]) -> NodeSet {
        let mut line = self.graph.reach(nodes, Incoming, None);
        line.union_with(&self.graph.reach(nodes, Outgoing, None));
        line
    }

    fn owned_ids(&self, nodes: Vec<u32>) -> Vec<RevisionId> {
        nodes
            .into_iter()
            .map(|n| self.graph.id_of(n).clone())
            .collect()
    }

    fn plan(&self, direction: Direction, order: Vec<u32>) -> Plan {
        Plan {
            direction,
            steps: order
                .into_iter()
                .map(|n| Step {
                    revision: self.graph.id_of(n).clone(),
                    direction,
                })
                .collect(),
        }
    }
}
