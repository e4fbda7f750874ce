//! The revision DAG: a validated set of revisions on petgraph, with the queries that targets
//! and plans are built from.
//!
//! Part of the pure core: no I/O. Wherever Alembic leaves an order to file names (sibling
//! branches, the parents of a merge), pelican uses *rank*: the revision's `created` timestamp,
//! then its id. So the order never changes when files are renamed or listed differently.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction::{Incoming, Outgoing};

use crate::revision::{Revision, RevisionId};

// Shared with pelican-macros like this file (through `migrations-macros/shared/`): its
// children must be reachable there too, as links beside `graph.rs`.
mod graph_error;
mod node_set;
mod nodes;

pub use graph_error::{GraphError, LookupError};
pub(crate) use node_set::NodeSet;

/// The kind of an edge, pointing from the earlier revision to the later one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    /// `revises`: the source is a parent of the target.
    Parent,
    /// `depends-on`: the target needs the source applied first.
    DependsOn,
}

/// A validated revision DAG.
///
/// Built once from every known revision; construction checks ids, parents, dependencies,
/// branch labels and cycles, and fails with a [`GraphError`] naming the culprits.
///
/// Vocabulary (as in Alembic): *parents* come from `revises`, *dependencies* from
/// `depends-on`; *ancestors* follow both. A *head* is a revision that no revision names as a
/// parent; a *base* has no parents.
///
/// ```
/// use pelican::{Revision, RevisionGraph};
/// let rev = |id: &str, parents: &[&str]| {
///     Revision::new(id.parse().unwrap())
///         .with_parents(parents.iter().map(|p| p.parse().unwrap()).collect())
/// };
/// let graph = RevisionGraph::new([
///     rev("root", &[]),
///     rev("left", &["root"]),
///     rev("right", &["root"]),
/// ])?;
/// assert_eq!(graph.heads(), ["left", "right"]);
/// assert!(graph.is_branch_point("root"));
/// # Ok::<(), pelican::GraphError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RevisionGraph {
    /// Revisions in the order given; `revisions[i]` is node `i`.
    revisions: Vec<Revision>,
    dag: DiGraph<(), Edge, u32>,
    ids: HashMap<RevisionId, u32>,
    /// Branch label → the revision that declares it.
    labels: HashMap<String, u32>,
}

impl RevisionGraph {
    /// Builds and validates the graph.
    pub fn new(revisions: impl IntoIterator<Item = Revision>) -> Result<Self, GraphError> {
        let revisions: Vec<Revision> = revisions.into_iter().collect();

        let mut ids = HashMap::with_capacity(revisions.len());
        for (index, revision) in revisions.iter().enumerate() {
            if ids.insert(revision.id().clone(), index as u32).is_some() {
                return Err(GraphError::DuplicateRevision {
                    id: revision.id().clone(),
                });
            }
        }

        let mut labels: HashMap<String, u32> = HashMap::new();
        for (index, revision) in revisions.iter().enumerate() {
            for label in revision.branch_labels() {
                if ids.contains_key(label.as_str()) {
                    return Err(GraphError::LabelIsRevisionId {
                        label: label.clone(),
                        revision: revision.id().clone(),
                    });
                }
                if let Some(&first) = labels.get(label) {
                    let (first, second) = ordered_pair(&revisions[first as usize], revision);
                    return Err(GraphError::DuplicateBranchLabel {
                        label: label.clone(),
                        first,
                        second,
                    });
                }
                labels.insert(label.clone(), index as u32);
            }
        }

        let mut dag = DiGraph::with_capacity(revisions.len(), revisions.len());
        for _ in 0..revisions.len() {
            dag.add_node(());
        }
        let mut before: Vec<(u32, Edge)> = Vec::new();
        for (index, revision) in revisions.iter().enumerate() {
            before.clear();
            for (position, parent) in revision.parents().iter().enumerate() {
                let Some(&parent_index) = ids.get(parent.as_str()) else {
                    return Err(GraphError::UnknownParent {
                        revision: revision.id().clone(),
                        parent: parent.to_string(),
                    });
                };
                if revision.parents()[..position].contains(parent) {
                    return Err(GraphError::DuplicateParent {
                        revision: revision.id().clone(),
                        parent: parent.clone(),
                    });
                }
                before.push((parent_index, Edge::Parent));
            }
            for dependency in revision.depends_on() {
                let target = ids
                    .get(dependency.as_str())
                    .or_else(|| labels.get(dependency))
                    .copied();
                let Some(target) = target else {
                    return Err(GraphError::UnknownDependency {
                        revision: revision.id().clone(),
                        dependency: dependency.clone(),
                    });
                };
                // A dependency that is also a parent (or listed twice) adds nothing.
                if !before.iter().any(|&(n, _)| n == target) {
                    before.push((target, Edge::DependsOn));
                }
            }
            // petgraph lists a node's edges newest first: inserting the highest rank first
            // makes every later walk over a revision's parents go in rank order, for free.
            if before.len() > 1 {
                before.sort_unstable_by(|a, b| {
                    rank_key(&revisions[b.0 as usize]).cmp(&rank_key(&revisions[a.0 as usize]))
                });
            }
            let child = NodeIndex::new(index);
            for &(source, kind) in &before {
                dag.add_edge(NodeIndex::new(source as usize), child, kind);
            }
        }

        let graph = RevisionGraph {
            revisions,
            dag,
            ids,
            labels,
        };
        graph.check_acyclic()?;
        Ok(graph)
    }

    /// Kahn's algorithm; on failure, reports one cycle among the revisions it could not order.
    fn check_acyclic(&self) -> Result<(), GraphError> {
        let mut waiting: Vec<u32> = (0..self.len())
            .map(|n| self.dag.edges_directed(NodeIndex::new(n), Incoming).count() as u32)
            .collect();
        let mut ready: Vec<u32> = self
            .all_nodes()
            .filter(|&n| waiting[n as usize] == 0)
            .collect();
        let mut ordered = 0;
        while let Some(node) = ready.pop() {
            ordered += 1;
            for next in self
                .dag
                .neighbors_directed(NodeIndex::new(node as usize), Outgoing)
            {
                let count = &mut waiting[next.index()];
                *count -= 1;
                if *count == 0 {
                    ready.push(next.index() as u32);
                }
            }
        }
        if ordered == self.len() {
            return Ok(());
        }
        // Every revision left waiting has a predecessor left waiting: walking predecessors
        // from any of them must come back to one already seen, closing a cycle.
        let mut position: HashMap<u32, usize> = HashMap::new();
        let mut walk: Vec<u32> = Vec::new();
        let mut node = self
            .all_nodes()
            .find(|&n| waiting[n as usize] > 0)
            .unwrap_or_default();
        while !position.contains_key(&node) {
            position.insert(node, walk.len());
            walk.push(node);
            node = self
                .dag
                .neighbors_directed(NodeIndex::new(node as usize), Incoming)
                .map(|p| p.index() as u32)
                .find(|&p| waiting[p as usize] > 0)
                .unwrap_or(node);
        }
        let mut path: Vec<u32> = walk[position[&node]..].to_vec();
        // The walk went against the edges; the message reads along them, starting at the
        // lowest-ranked revision so it doesn't depend on where the walk entered the cycle.
        path.reverse();
        let lowest = (0..path.len())
            .min_by(|&a, &b| self.rank_cmp(path[a], path[b]))
            .unwrap_or(0);
        path.rotate_left(lowest);
        path.push(path[0]);
        let through_depends_on = path.windows(2).any(|pair| {
            self.dag
                .edges_connecting(
                    NodeIndex::new(pair[0] as usize),
                    NodeIndex::new(pair[1] as usize),
                )
                .all(|edge| *edge.weight() == Edge::DependsOn)
        });
        Err(GraphError::Cycle {
            revisions: path.iter().map(|&n| self.id_of(n).clone()).collect(),
            through_depends_on,
        })
    }

    /// Fails with [`GraphError::Empty`] when the graph holds no revision.
    pub fn ensure_not_empty(&self) -> Result<(), GraphError> {
        if self.revisions.is_empty() {
            Err(GraphError::Empty)
        } else {
            Ok(())
        }
    }

    /// The number of revisions.
    pub fn len(&self) -> usize {
        self.revisions.len()
    }

    /// Whether the graph holds no revision.
    pub fn is_empty(&self) -> bool {
        self.revisions.is_empty()
    }

    /// The revision with exactly this id.
    pub fn get(&self, id: &str) -> Option<&Revision> {
        self.ids.get(id).map(|&n| &self.revisions[n as usize])
    }

    /// Whether a revision has exactly this id.
    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }

    /// Every revision, in the order they were given.
    pub fn revisions(&self) -> impl ExactSizeIterator<Item = &Revision> {
        self.revisions.iter()
    }

    /// The heads: revisions that no revision names as a parent (`depends-on` is ignored, as in
    /// Alembic's `heads`), in rank order.
    pub fn heads(&self) -> Vec<&RevisionId> {
        self.ids_of(self.head_nodes())
    }

    /// The effective heads: revisions that no revision names as a parent *or* dependency.
    /// This is what the target `heads` upgrades to.
    pub fn effective_heads(&self) -> Vec<&RevisionId> {
        self.ids_of(self.effective_head_nodes())
    }

    /// The bases: revisions with no parents, in rank order.
    pub fn bases(&self) -> Vec<&RevisionId> {
        self.ids_of(self.base_nodes())
    }

    /// The revisions naming `id` as a parent, in rank order (empty if `id` is unknown).
    pub fn children(&self, id: &str) -> Vec<&RevisionId> {
        match self.node(id) {
            Some(n) => self.ids_of(self.children_of(n)),
            None => Vec::new(),
        }
    }

    /// The revisions `id` depends on (its `depends-on` entries resolved to revisions).
    pub fn dependencies(&self, id: &str) -> Vec<&RevisionId> {
        match self.node(id) {
            Some(n) => self.ids_of(self.neighbors(n, Incoming, Some(Edge::DependsOn))),
            None => Vec::new(),
        }
    }

    /// Every ancestor of `id` through parents and dependencies (not `id` itself), in an order
    /// that puts ancestors first.
    pub fn ancestors(&self, id: &str) -> Vec<&RevisionId> {
        self.closure_of(id, Incoming)
    }

    /// Every descendant of `id` through parents and dependencies (not `id` itself), in an
    /// order that puts ancestors first.
    pub fn descendants(&self, id: &str) -> Vec<&RevisionId> {
        self.closure_of(id, Outgoing)
    }

    fn closure_of(&self, id: &str, direction: petgraph::Direction) -> Vec<&RevisionId> {
        let Some(start) = self.node(id) else {
            return Vec::new();
        };
        let mut set = self.reach(&[start], direction, None);
        set.remove(start);
        self.ids_of(self.upgrade_order(&set))
    }

    /// Whether two or more revisions name `id` as a parent.
    pub fn is_branch_point(&self, id: &str) -> bool {
        self.node(id)
            .is_some_and(|n| self.neighbors(n, Outgoing, Some(Edge::Parent)).len() > 1)
    }

    /// Whether `id` has two or more parents.
    pub fn is_merge_point(&self, id: &str) -> bool {
        self.get(id).is_some_and(Revision::is_merge)
    }

    /// Every revision in the order `upgrade heads` from an empty database applies them:
    /// parents and dependencies first, one branch at a time (see the planner's ordering rule).
    pub fn topological_order(&self) -> Vec<&RevisionId> {
        let all = NodeSet::full(self.len());
        self.ids_of(self.upgrade_order(&all))
    }

    /// The revision that declares branch label `label`.
    pub fn label(&self, label: &str) -> Option<&RevisionId> {
        self.labels.get(label).map(|&n| self.id_of(n))
    }

    /// The branch labels that apply to `id`: those declared by it, by any of its ancestors
    /// along single-parent lines up to (not including) the nearest branch or merge point, and
    /// by any revision it descends from through parents. This is what `heads -v` shows.
    pub fn branch_labels_of(&self, id: &str) -> Vec<&str> {
        let Some(node) = self.node(id) else {
            return Vec::new();
        };
        let mut labels: Vec<&str> = self
            .labels
            .iter()
            .filter(|(_, &declarer)| self.label_covers(declarer, node))
            .map(|(label, _)| label.as_str())
            .collect();
        labels.sort_unstable();
        labels
    }

    /// Resolves a revision id, a branch label (to the revision declaring it), or a unique
    /// prefix of either. Prefixes match only names longer than 3 characters, as in Alembic.
    ///
    /// ```
    /// use pelican::{Revision, RevisionGraph};
    /// let graph = RevisionGraph::new([
    ///     Revision::new("ae1027a6acf1".parse().unwrap()),
    ///     Revision::new("ae10b2c3d4e5".parse().unwrap()),
    /// ])?;
    /// assert_eq!(graph.lookup("ae1027").unwrap(), "ae1027a6acf1");
    /// let err = graph.lookup("ae10").unwrap_err();
    /// assert_eq!(err.to_string(), "'ae10' is ambiguous: it starts 'ae1027a6acf1', 'ae10b2c3d4e5'");
    /// # Ok::<(), pelican::GraphError>(())
    /// ```
    pub fn lookup(&self, name: &str) -> Result<&RevisionId, LookupError> {
        self.resolve_name(name, None).map(|n| self.id_of(n))
    }

    // ---- node-level API for the target resolver and the planner ----
}

/// The ordering key of a revision: `created` (absent sorts first), then id.
fn rank_key(revision: &Revision) -> (Option<&str>, &str) {
    (revision.created(), revision.id().as_str())
}

/// Two revisions' ids, lower rank first, so messages don't depend on input order.
fn ordered_pair(a: &Revision, b: &Revision) -> (RevisionId, RevisionId) {
    if rank_key(a) <= rank_key(b) {
        (a.id().clone(), b.id().clone())
    } else {
        (b.id().clone(), a.id().clone())
    }
}
