//! The graph by node number, as the planner and the target resolver walk it: neighbours in
//! rank order, reachability, lineage, names resolved within a branch, upgrade order.

use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use petgraph::Direction::{Incoming, Outgoing};

use super::{rank_key, Edge, LookupError, NodeSet, RevisionGraph};
use crate::revision::{Revision, RevisionId};

impl RevisionGraph {
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

    pub(super) fn ranked_nodes(&self, keep: impl Fn(u32) -> bool) -> Vec<u32> {
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

    pub(super) fn all_nodes(&self) -> impl Iterator<Item = u32> {
        0..self.revisions.len() as u32
    }

    pub(super) fn count_edges(
        &self,
        node: u32,
        direction: petgraph::Direction,
        kind: Option<Edge>,
    ) -> usize {
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
    pub(super) fn label_covers(&self, declarer: u32, node: u32) -> bool {
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
