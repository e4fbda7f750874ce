//! The revision DAG: a validated set of revisions on petgraph, with the queries that targets
//! and plans are built from.
//!
//! Part of the pure core: no I/O. Wherever Alembic leaves an order to file names (sibling
//! branches, the parents of a merge), pelican uses *rank*: the revision's `created` timestamp,
//! then its id. So the order never changes when files are renamed or listed differently.

use std::collections::HashMap;
use std::fmt;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction::{Incoming, Outgoing};

use crate::revision::{Revision, RevisionId};

/// The kind of an edge, pointing from the earlier revision to the later one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    /// `revises`: the source is a parent of the target.
    Parent,
    /// `depends-on`: the target needs the source applied first.
    DependsOn,
}

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

    pub(crate) fn node(&self, id: &str) -> Option<u32> {
        self.ids.get(id).copied()
    }

    pub(crate) fn revision_at(&self, node: u32) -> &Revision {
        &self.revisions[node as usize]
    }

    pub(crate) fn id_of(&self, node: u32) -> &RevisionId {
        self.revisions[node as usize].id()
    }

    pub(crate) fn ids_of(&self, nodes: Vec<u32>) -> Vec<&RevisionId> {
        nodes.into_iter().map(|n| self.id_of(n)).collect()
    }

    /// Neighbours of `node` in `direction`, restricted to one edge kind if given, sorted by
    /// rank and without repeats.
    pub(crate) fn neighbors(
        &self,
        node: u32,
        direction: petgraph::Direction,
        kind: Option<Edge>,
    ) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .dag
            .edges_directed(NodeIndex::new(node as usize), direction)
            .filter(|edge| kind.is_none_or(|k| *edge.weight() == k))
            .map(|edge| match direction {
                Incoming => edge.source().index() as u32,
                Outgoing => edge.target().index() as u32,
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        self.sort_by_rank(&mut out);
        out
    }

    /// Compares two revisions by rank: `created` (absent first), then id.
    pub(crate) fn rank_cmp(&self, a: u32, b: u32) -> std::cmp::Ordering {
        rank_key(&self.revisions[a as usize]).cmp(&rank_key(&self.revisions[b as usize]))
    }

    /// Sorts nodes by rank.
    pub(crate) fn sort_by_rank(&self, nodes: &mut [u32]) {
        if nodes.len() > 1 {
            nodes.sort_unstable_by(|&a, &b| self.rank_cmp(a, b));
        }
    }

    fn ranked_nodes(&self, keep: impl Fn(u32) -> bool) -> Vec<u32> {
        let mut nodes: Vec<u32> = self.all_nodes().filter(|&n| keep(n)).collect();
        self.sort_by_rank(&mut nodes);
        nodes
    }

    pub(crate) fn parents_of(&self, node: u32) -> Vec<u32> {
        self.neighbors(node, Incoming, Some(Edge::Parent))
    }

    pub(crate) fn children_of(&self, node: u32) -> Vec<u32> {
        self.neighbors(node, Outgoing, Some(Edge::Parent))
    }

    /// Heads (by parents only), in rank order.
    pub(crate) fn head_nodes(&self) -> Vec<u32> {
        self.ranked_nodes(|n| self.count_edges(n, Outgoing, Some(Edge::Parent)) == 0)
    }

    /// Heads by parents and dependencies, in rank order.
    pub(crate) fn effective_head_nodes(&self) -> Vec<u32> {
        self.ranked_nodes(|n| self.count_edges(n, Outgoing, None) == 0)
    }

    /// Bases, in rank order.
    pub(crate) fn base_nodes(&self) -> Vec<u32> {
        self.ranked_nodes(|n| self.revisions[n as usize].is_base())
    }

    fn all_nodes(&self) -> impl Iterator<Item = u32> {
        0..self.revisions.len() as u32
    }

    fn count_edges(&self, node: u32, direction: petgraph::Direction, kind: Option<Edge>) -> usize {
        self.dag
            .edges_directed(NodeIndex::new(node as usize), direction)
            .filter(|edge| kind.is_none_or(|k| *edge.weight() == k))
            .count()
    }

    /// Everything reachable from `starts` (included) in `direction`, along one edge kind or
    /// all of them.
    pub(crate) fn reach(
        &self,
        starts: &[u32],
        direction: petgraph::Direction,
        kind: Option<Edge>,
    ) -> NodeSet {
        let mut seen = NodeSet::empty(self.len());
        let mut stack: Vec<u32> = Vec::new();
        for &start in starts {
            if seen.insert(start) {
                stack.push(start);
            }
        }
        while let Some(node) = stack.pop() {
            for edge in self
                .dag
                .edges_directed(NodeIndex::new(node as usize), direction)
            {
                if kind.is_some_and(|k| *edge.weight() != k) {
                    continue;
                }
                let next = match direction {
                    Incoming => edge.source(),
                    Outgoing => edge.target(),
                }
                .index() as u32;
                if seen.insert(next) {
                    stack.push(next);
                }
            }
        }
        seen
    }

    /// Alembic's lineage test: `node` is `of`, an ancestor or a descendant of it, through
    /// parents only. Computed as a set so that filtering many candidates stays linear.
    pub(crate) fn lineage(&self, of: u32) -> NodeSet {
        let mut set = self.reach(&[of], Incoming, Some(Edge::Parent));
        set.union_with(&self.reach(&[of], Outgoing, Some(Edge::Parent)));
        set
    }

    /// Whether the branch label declared by `declarer` applies to `node`.
    fn label_covers(&self, declarer: u32, node: u32) -> bool {
        if self
            .reach(&[declarer], Outgoing, Some(Edge::Parent))
            .contains(node)
        {
            return true;
        }
        // Down from the declarer along single-parent lines until a branch or merge point.
        let mut current = declarer;
        loop {
            let revision = &self.revisions[current as usize];
            if revision.parents().len() != 1 {
                return false;
            }
            let parent = self.parents_of(current)[0];
            if self.count_edges(parent, Outgoing, None) > 1
                || self.revisions[parent as usize].is_merge()
            {
                return false;
            }
            if parent == node {
                return true;
            }
            current = parent;
        }
    }

    /// Resolves a name (id, label, or unique prefix of either); with `branch`, prefix
    /// candidates are narrowed to that lineage first and the result must belong to it.
    pub(crate) fn resolve_name(&self, name: &str, branch: Option<u32>) -> Result<u32, LookupError> {
        let exact = self
            .ids
            .get(name)
            .or_else(|| self.labels.get(name))
            .copied();
        let lineage = branch.map(|b| self.lineage(b));
        let node = match exact {
            Some(node) => node,
            None => {
                let mut candidates: Vec<(&str, u32)> = self
                    .ids
                    .iter()
                    .map(|(id, &n)| (id.as_str(), n))
                    .chain(self.labels.iter().map(|(l, &n)| (l.as_str(), n)))
                    .filter(|(key, _)| key.len() > 3 && key.starts_with(name))
                    .filter(|(_, n)| lineage.as_ref().is_none_or(|set| set.contains(*n)))
                    .collect();
                candidates.sort_unstable();
                let mut nodes: Vec<u32> = candidates.iter().map(|(_, n)| *n).collect();
                nodes.sort_unstable();
                nodes.dedup();
                match nodes.as_slice() {
                    [] => {
                        return Err(LookupError::NotFound {
                            name: name.to_owned(),
                        })
                    }
                    [one] => *one,
                    _ => {
                        return Err(LookupError::Ambiguous {
                            prefix: name.to_owned(),
                            candidates: candidates.iter().map(|(k, _)| k.to_string()).collect(),
                        })
                    }
                }
            }
        };
        if let (Some(set), Some(branch)) = (&lineage, branch) {
            if !set.contains(node) {
                return Err(LookupError::NotInBranch {
                    revision: self.id_of(node).clone(),
                    branch: self.branch_name(branch),
                });
            }
        }
        Ok(node)
    }

    /// How to name the branch rooted at `node` in messages: its label if it declares one.
    pub(crate) fn branch_name(&self, node: u32) -> String {
        self.revisions[node as usize]
            .branch_labels()
            .first()
            .cloned()
            .unwrap_or_else(|| self.id_of(node).to_string())
    }

    /// The order in which an upgrade applies `set`: parents and dependencies first, one
    /// branch at a time.
    ///
    /// A depth-first walk from the set's tops (members none of whose children or dependants
    /// are members), taken in rank order, that visits a revision's parents and dependencies
    /// (in rank order) before emitting it. The result is a topological order in which each
    /// branch runs contiguously after the ancestors it shares with earlier ones, and which
    /// depends only on the graph, never on file names. Linear in the size of the set.
    pub(crate) fn upgrade_order(&self, set: &NodeSet) -> Vec<u32> {
        let mut order = Vec::with_capacity(set.len());
        let mut emitted = NodeSet::empty(self.len());
        let tops: Vec<u32> = {
            let mut tops: Vec<u32> = set
                .iter()
                .filter(|&n| {
                    self.dag
                        .neighbors_directed(NodeIndex::new(n as usize), Outgoing)
                        .all(|next| !set.contains(next.index() as u32))
                })
                .collect();
            self.sort_by_rank(&mut tops);
            tops
        };
        // Each frame walks one revision's parents and dependencies; edges were inserted so
        // that the walk meets them in rank order.
        let mut stack = Vec::new();
        for top in tops {
            if emitted.contains(top) {
                continue;
            }
            let start = NodeIndex::new(top as usize);
            stack.push((start, self.dag.neighbors_directed(start, Incoming).detach()));
            while let Some((node, walker)) = stack.last_mut() {
                let node = *node;
                match walker.next_node(&self.dag) {
                    Some(before) => {
                        let index = before.index() as u32;
                        if set.contains(index) && !emitted.contains(index) {
                            stack.push((
                                before,
                                self.dag.neighbors_directed(before, Incoming).detach(),
                            ));
                        }
                    }
                    None => {
                        stack.pop();
                        if emitted.insert(node.index() as u32) {
                            order.push(node.index() as u32);
                        }
                    }
                }
            }
        }
        order
    }
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

/// A set of graph nodes, as a bitmap over the node indices.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct NodeSet {
    bits: Vec<bool>,
    len: usize,
}

impl NodeSet {
    pub(crate) fn empty(size: usize) -> Self {
        NodeSet {
            bits: vec![false; size],
            len: 0,
        }
    }

    pub(crate) fn full(size: usize) -> Self {
        NodeSet {
            bits: vec![true; size],
            len: size,
        }
    }

    pub(crate) fn from_nodes(size: usize, nodes: impl IntoIterator<Item = u32>) -> Self {
        let mut set = NodeSet::empty(size);
        for node in nodes {
            set.insert(node);
        }
        set
    }

    pub(crate) fn contains(&self, node: u32) -> bool {
        self.bits[node as usize]
    }

    /// Adds `node`; returns whether it was new.
    pub(crate) fn insert(&mut self, node: u32) -> bool {
        let was = std::mem::replace(&mut self.bits[node as usize], true);
        if !was {
            self.len += 1;
        }
        !was
    }

    pub(crate) fn remove(&mut self, node: u32) -> bool {
        let was = std::mem::replace(&mut self.bits[node as usize], false);
        if was {
            self.len -= 1;
        }
        was
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Members in ascending node order (not rank order).
    pub(crate) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.bits
            .iter()
            .enumerate()
            .filter(|(_, &b)| b)
            .map(|(i, _)| i as u32)
    }

    pub(crate) fn union_with(&mut self, other: &NodeSet) {
        for node in other.iter() {
            self.insert(node);
        }
    }

    pub(crate) fn difference_with(&mut self, other: &NodeSet) {
        for node in other.iter() {
            self.remove(node);
        }
    }

    pub(crate) fn intersect_with(&mut self, other: &NodeSet) {
        for i in 0..self.bits.len() {
            if self.bits[i] && !other.bits[i] {
                self.bits[i] = false;
                self.len -= 1;
            }
        }
    }
}

impl fmt::Debug for NodeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}
