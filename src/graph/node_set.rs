//! A set of nodes as a bit set: what the planner unions, intersects and walks.

use std::fmt;

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
