//! Drawing the revision DAG: as text for a terminal (like `git log --graph`), as Graphviz
//! `dot`, and as a Mermaid flowchart.
//!
//! All three show parents as solid lines and `depends-on` as dashed ones (in the terminal
//! drawing, dependencies are listed in the tags instead), and mark what a database has applied
//! when given [`Marks`]. The output depends on the graph alone, never on file names or hash
//! order, so it can be committed, diffed and tested.
//!
//! Part of the pure core: no I/O.
//!
//! ```
//! use pelican::diagram::{draw_terminal, Marks};
//! use pelican::{Revision, RevisionGraph};
//!
//! let rev = |id: &str, parents: &[&str], message: &str| {
//!     Revision::new(id.parse().unwrap())
//!         .with_parents(parents.iter().map(|p| p.parse().unwrap()).collect())
//!         .with_message(message)
//! };
//! let graph = RevisionGraph::new([
//!     rev("root", &[], "create tasks"),
//!     rev("a", &["root"], "add priority"),
//!     rev("b", &["root"], "add owner"),
//!     rev("m", &["a", "b"], "merge"),
//! ])?;
//! let marks = Marks::from_applied(&graph, ["root", "a"]);
//! assert_eq!(
//!     draw_terminal(&graph, &marks),
//!     "\
//! * m (head) (merge) merge
//! |\\
//! | * b add owner
//! @ | a (current) add priority
//! |/
//! o root (branch point) create tasks
//! "
//! );
//! # Ok::<(), pelican::GraphError>(())
//! ```

use std::collections::HashSet;
use std::fmt;

use crate::graph::{NodeSet, RevisionGraph};
use crate::revision::RevisionId;

/// What a database has applied, to mark in a drawing. Empty ([`Marks::none`]) when there is no
/// database to ask.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    /// Applied (or stamped) revisions.
    pub applied: HashSet<String>,
    /// The database's current heads: applied revisions none of whose children are applied.
    /// They count as applied too.
    pub current: HashSet<String>,
}

impl Marks {
    /// No marks: every revision is drawn as not applied.
    pub fn none() -> Self {
        Marks::default()
    }

    /// Marks for a database that has applied `applied`; the current heads are computed from
    /// the graph. Ids the graph does not have are left out.
    ///
    /// ```
    /// use pelican::diagram::Marks;
    /// use pelican::{Revision, RevisionGraph};
    /// let graph = RevisionGraph::new([
    ///     Revision::new("a".parse()?),
    ///     Revision::new("b".parse()?).with_parents(vec!["a".parse()?]),
    /// ])?;
    /// let marks = Marks::from_applied(&graph, ["a", "b", "gone"]);
    /// assert_eq!(marks.applied.len(), 2);
    /// assert!(marks.current.contains("b") && !marks.current.contains("a"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_applied(
        graph: &RevisionGraph,
        applied: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Self {
        let applied: HashSet<String> = applied
            .into_iter()
            .map(|id| id.as_ref().to_owned())
            .filter(|id| graph.contains(id))
            .collect();
        let current = applied
            .iter()
            .filter(|id| {
                graph
                    .children(id)
                    .iter()
                    .all(|child| !applied.contains(child.as_str()))
            })
            .cloned()
            .collect();
        Marks { applied, current }
    }

    fn state(&self, id: &str) -> NodeState {
        if self.current.contains(id) {
            NodeState::Current
        } else if self.applied.contains(id) {
            NodeState::Applied
        } else {
            NodeState::NotApplied
        }
    }
}

/// Whether a revision is applied, as the drawing marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeState {
    /// Not applied, or no database was asked. Drawn `*`.
    NotApplied,
    /// Applied, below a current head. Drawn `o`.
    Applied,
    /// One of the database's current heads. Drawn `@`.
    Current,
}

impl NodeState {
    /// The character the terminal drawing uses for the revision.
    pub fn glyph(self) -> char {
        match self {
            NodeState::NotApplied => '*',
            NodeState::Applied => 'o',
            NodeState::Current => '@',
        }
    }
}

/// What the node glyphs of [`draw_terminal`] mean, for a legend under the drawing.
pub const LEGEND: &str = "* not applied   o applied   @ current head";

/// A note on a revision, shown after its id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Tag {
    /// No revision names it as a parent: `(head)`.
    Head,
    /// One of the database's current heads: `(current)`.
    Current,
    /// A branch label the revision declares: `(label: name)`.
    Label(String),
    /// It has two or more parents: `(merge)`.
    Merge,
    /// Two or more revisions name it as a parent: `(branch point)`.
    BranchPoint,
    /// Its `depends-on` entries, as written: `(depends on c2, feature)`.
    DependsOn(Vec<String>),
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tag::Head => f.write_str("(head)"),
            Tag::Current => f.write_str("(current)"),
            Tag::Label(label) => write!(f, "(label: {label})"),
            Tag::Merge => f.write_str("(merge)"),
            Tag::BranchPoint => f.write_str("(branch point)"),
            Tag::DependsOn(dependencies) => write!(f, "(depends on {})", dependencies.join(", ")),
        }
    }
}

/// One line of the terminal drawing: the graph columns, and for a revision's line, the
/// revision's fields. Kept apart so that a caller can colour each part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagramLine {
    /// The graph columns (`*`, `o`, `@`, `|`, `/`, `\`, `X`, `-`, `.`), ASCII only. On a
    /// revision's line it ends with the space before the id; on other lines it has no trailing
    /// space.
    pub graph: String,
    /// The revision drawn on this line; `None` on lines that only route edges.
    pub node: Option<DiagramNode>,
}

/// The revision on a line of the terminal drawing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagramNode {
    /// The revision.
    pub revision: RevisionId,
    /// Applied, current head, or neither.
    pub state: NodeState,
    /// Where its glyph is in [`DiagramLine::graph`] (a byte index; the graph is ASCII).
    pub glyph_index: usize,
    /// Its tags, in the order shown.
    pub tags: Vec<Tag>,
    /// Its message (may be empty).
    pub message: String,
}

impl DiagramLine {
    /// The line as plain text, without a newline: the graph, then the id, the tags and the
    /// message, separated by spaces.
    pub fn render_plain(&self) -> String {
        let Some(node) = &self.node else {
            return self.graph.clone();
        };
        let mut line = format!("{}{}", self.graph, node.revision);
        for tag in &node.tags {
            line.push(' ');
            line.push_str(&tag.to_string());
        }
        if !node.message.is_empty() {
            line.push(' ');
            line.push_str(&node.message);
        }
        line
    }
}

/// The terminal drawing as plain text, one line each, every line ending in a newline; empty
/// for an empty graph. See [`terminal_lines`] for the layout.
pub fn draw_terminal(graph: &RevisionGraph, marks: &Marks) -> String {
    let mut text = String::new();
    for line in terminal_lines(graph, marks) {
        text.push_str(&line.render_plain());
        text.push('\n');
    }
    text
}

/// The terminal drawing, line by line, like `git log --graph`: newest first (the reverse of
/// [`RevisionGraph::topological_order`]), one revision per line, with lines between them
/// that route the edges to parents.
///
/// A revision's glyph is `*` (not applied), `o` (applied) or `@` (a current head of the
/// database), see [`LEGEND`]; `|` continues an edge, `\` and `/` move it one column, `X` is two
/// edges crossing. A merge's extra parents leave from its glyph (`*-.` marks a third parent,
/// as git does). Only parents are drawn; `depends-on` shows as a tag.
pub fn terminal_lines(graph: &RevisionGraph, marks: &Marks) -> Vec<DiagramLine> {
    let mut order = graph.upgrade_order(&NodeSet::full(graph.len()));
    order.reverse();
    let mut layout = Layout::default();
    for node in order {
        let parents = graph.parents_of(node);
        let revision = graph.revision_at(node);
        let id = revision.id().as_str();
        let state = marks.state(id);
        let mut tags = Vec::new();
        let children = graph.children_of(node).len();
        if children == 0 {
            tags.push(Tag::Head);
        }
        if state == NodeState::Current {
            tags.push(Tag::Current);
        }
        tags.extend(revision.branch_labels().iter().cloned().map(Tag::Label));
        if parents.len() > 1 {
            tags.push(Tag::Merge);
        }
        if children > 1 {
            tags.push(Tag::BranchPoint);
        }
        if !revision.depends_on().is_empty() {
            tags.push(Tag::DependsOn(revision.depends_on().to_vec()));
        }
        let info = DiagramNode {
            revision: revision.id().clone(),
            state,
            glyph_index: 0,
            tags,
            message: revision.message().to_owned(),
        };
        layout.draw(node, &parents, state.glyph(), info);
    }
    layout.lines
}

/// The state of the terminal drawing between lines: which revision each column leads to.
#[derive(Default)]
struct Layout {
    /// `columns[i]` is the revision the edge in column `i` goes to; `None` is a gap (only
    /// while a revision is being drawn).
    columns: Vec<Option<u32>>,
    lines: Vec<DiagramLine>,
    /// Whether the last revision drawn has no parents.
    last_was_base: bool,
}

/// How an edge goes from one line to the next: it stays in its column, or moves one column.
#[derive(Clone, Copy)]
struct Move {
    from: usize,
    to: usize,
}

impl Layout {
    fn draw(&mut self, node: u32, parents: &[u32], glyph: char, mut info: DiagramNode) {
        let column = self.column_for(node);
        self.last_was_base = parents.is_empty();
        // A merge of k >= 3 parents draws `-.` pairs right of its glyph: make room first.
        let extra = parents.len().saturating_sub(2);
        for _ in 0..extra {
            if self.columns.len() > column + 1 {
                self.shift_right_of(column);
            }
        }

        let mut cells = self.straight_cells();
        cells[2 * column] = glyph as u8;
        for j in 0..extra {
            put(&mut cells, 2 * column + 1 + 2 * j, b'-');
            put(&mut cells, 2 * column + 2 + 2 * j, b'.');
        }
        let mut graph = cells_to_string(cells);
        graph.push(' ');
        info.glyph_index = 2 * column;
        self.lines.push(DiagramLine {
            graph,
            node: Some(info),
        });

        // Hand the revision's column to its parents.
        match parents {
            [] => self.columns[column] = None,
            [only] => self.columns[column] = Some(*only),
            [first, rest @ ..] => {
                // The fan-out line: the first parent goes straight down, the others leave to
                // the right one column each, and so do the columns right of the merge.
                let mut moves = Vec::new();
                let mut next = Vec::with_capacity(self.columns.len() + rest.len());
                for (i, target) in self.columns.iter().enumerate() {
                    if i == column {
                        break;
                    }
                    if target.is_some() {
                        moves.push(Move { from: i, to: i });
                    }
                    next.push(*target);
                }
                moves.push(Move {
                    from: column,
                    to: column,
                });
                next.push(Some(*first));
                for (j, parent) in rest.iter().enumerate() {
                    moves.push(Move {
                        from: column + j,
                        to: column + j + 1,
                    });
                    next.push(Some(*parent));
                }
                // Columns right of the merge: right after it for two parents, after the gap
                // made above for more.
                let right = &self.columns[column + 1..];
                let skip = right.iter().take(extra).take_while(|t| t.is_none()).count();
                for (offset, target) in right.iter().enumerate().skip(skip) {
                    let from = column + 1 + offset;
                    if target.is_some() {
                        moves.push(Move { from, to: from + 1 });
                    }
                }
                // `next` already holds the parents up to the first right column's new place.
                next.extend(self.columns[column + 1 + skip..].iter().copied());
                self.push_connector(&moves);
                self.columns = next;
            }
        }
        self.settle();
    }

    /// The column of `node`: the leftmost edge leading to it, after bringing every other edge
    /// leading to it over; a new column on the right for a revision nothing leads to yet.
    fn column_for(&mut self, node: u32) -> usize {
        loop {
            let mut found = self
                .columns
                .iter()
                .enumerate()
                .filter(|(_, t)| **t == Some(node))
                .map(|(i, _)| i);
            let Some(first) = found.next() else {
                // Right under a base in the same column, the two would look linked: keep a
                // line between them.
                let column = self.columns.len();
                let under_a_base = self
                    .lines
                    .last()
                    .and_then(|l| l.node.as_ref())
                    .is_some_and(|n| n.glyph_index == 2 * column && self.last_was_base);
                if under_a_base {
                    let separator = cells_to_string(self.straight_cells());
                    self.lines.push(DiagramLine {
                        graph: separator,
                        node: None,
                    });
                }
                self.columns.push(Some(node));
                return column;
            };
            let Some(other) = found.next() else {
                return first;
            };
            // `settle` merged neighbours already: an edge sits between them. Cross it.
            let moves: Vec<Move> = self
                .occupied()
                .map(|i| {
                    let to = if i == other {
                        i - 1
                    } else if i == other - 1 {
                        i + 1
                    } else {
                        i
                    };
                    Move { from: i, to }
                })
                .collect();
            self.push_connector(&moves);
            self.columns.swap(other - 1, other);
            self.settle();
        }
    }

    /// Moves every column right of `column` one column to the right, leaving a gap.
    fn shift_right_of(&mut self, column: usize) {
        let moves: Vec<Move> = self
            .occupied()
            .map(|i| Move {
                from: i,
                to: if i > column { i + 1 } else { i },
            })
            .collect();
        self.push_connector(&moves);
        self.columns.insert(column + 1, None);
    }

    /// Closes gaps and merges neighbouring edges that lead to the same revision, one column
    /// per line, until nothing moves.
    fn settle(&mut self) {
        loop {
            while self.columns.last() == Some(&None) {
                self.columns.pop();
            }
            let mut moves = Vec::new();
            let mut next: Vec<Option<u32>> = Vec::new();
            let mut previous: Option<(usize, u32)> = None;
            for i in self.occupied().collect::<Vec<_>>() {
                let target = self.columns[i].unwrap_or_default();
                let to = match previous {
                    Some((to, t)) if t == target && to + 1 >= i => to,
                    Some((to, _)) => (to + 1).max(i.saturating_sub(1)),
                    None => i.saturating_sub(1),
                };
                moves.push(Move { from: i, to });
                next.resize(to + 1, None);
                next[to] = Some(target);
                previous = Some((to, target));
            }
            if moves.iter().all(|m| m.from == m.to) {
                return;
            }
            self.push_connector(&moves);
            self.columns = next;
        }
    }

    fn occupied(&self) -> impl Iterator<Item = usize> + '_ {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, t)| t.is_some())
            .map(|(i, _)| i)
    }

    /// `|` for every edge, as on a revision's line.
    fn straight_cells(&self) -> Vec<u8> {
        let mut cells = Vec::new();
        for i in self.occupied() {
            put(&mut cells, 2 * i, b'|');
        }
        cells
    }

    fn push_connector(&mut self, moves: &[Move]) {
        let mut cells = Vec::new();
        for m in moves {
            if m.to == m.from {
                put(&mut cells, 2 * m.from, b'|');
            } else if m.to > m.from {
                put(&mut cells, 2 * m.from + 1, b'\\');
            } else {
                put(&mut cells, 2 * m.to + 1, b'/');
            }
        }
        self.lines.push(DiagramLine {
            graph: cells_to_string(cells),
            node: None,
        });
    }
}

/// Writes `glyph` at `x`, growing the line; `\` and `/` in one cell make `X`.
fn put(cells: &mut Vec<u8>, x: usize, glyph: u8) {
    if cells.len() <= x {
        cells.resize(x + 1, b' ');
    }
    cells[x] = match (cells[x], glyph) {
        (b'\\', b'/') | (b'/', b'\\') => b'X',
        _ => glyph,
    };
}

fn cells_to_string(cells: Vec<u8>) -> String {
    // Only ASCII is ever written.
    String::from_utf8(cells)
        .unwrap_or_default()
        .trim_end()
        .to_owned()
}

mod export;

pub use export::{to_dot, to_mermaid};
