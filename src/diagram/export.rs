//! The revision DAG as Graphviz `dot` and as a Mermaid flowchart.

use crate::graph::{NodeSet, RevisionGraph};

use super::{Marks, NodeState};

/// The graph as Graphviz `dot`: newest at the top, one box per revision (id, tags, message),
/// solid edges from parent to child, dashed edges from a dependency to its dependant. Heads
/// get a double border, applied revisions a green fill, current heads a thick border too.
///
/// ```
/// use pelican::diagram::{to_dot, Marks};
/// use pelican::{Revision, RevisionGraph};
/// let graph = RevisionGraph::new([
///     Revision::new("a".parse()?).with_message("say \"hi\""),
///     Revision::new("b".parse()?).with_parents(vec!["a".parse()?]),
/// ])?;
/// let dot = to_dot(&graph, &Marks::none());
/// assert!(dot.starts_with("digraph revisions {\n"));
/// assert!(dot.contains(r#""a" [label="a\nsay \"hi\""];"#));
/// assert!(dot.contains("\"a\" -> \"b\";"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_dot(graph: &RevisionGraph, marks: &Marks) -> String {
    let mut out = String::from(
        "digraph revisions {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n",
    );
    let order = graph.upgrade_order(&NodeSet::full(graph.len()));
    for &node in &order {
        let revision = graph.revision_at(node);
        let id = revision.id().as_str();
        let mut attributes = vec![format!(
            "label=\"{}\"",
            dot_escape_label(graph, node, marks)
        )];
        if graph.children_of(node).is_empty() {
            attributes.push("peripheries=2".to_owned());
        }
        match marks.state(id) {
            NodeState::NotApplied => {}
            NodeState::Applied => {
                attributes.push("style=filled, fillcolor=\"#c8e6c9\"".to_owned());
            }
            NodeState::Current => attributes.push(
                "style=filled, fillcolor=\"#c8e6c9\", penwidth=3, color=\"#1b5e20\"".to_owned(),
            ),
        }
        out.push_str(&format!("  {} [{}];\n", dot_id(id), attributes.join(", ")));
    }
    for &node in &order {
        let child = dot_id(graph.id_of(node).as_str());
        for parent in graph.parents_of(node) {
            out.push_str(&format!(
                "  {} -> {child};\n",
                dot_id(graph.id_of(parent).as_str())
            ));
        }
        for dependency in graph.dependencies(graph.id_of(node).as_str()) {
            out.push_str(&format!(
                "  {} -> {child} [style=dashed];\n",
                dot_id(dependency.as_str())
            ));
        }
    }
    out.push_str("}\n");
    out
}

/// A quoted DOT id: any text is safe inside double quotes once `\` and `"` are escaped.
fn dot_id(id: &str) -> String {
    format!("\"{}\"", dot_escape(id))
}

fn dot_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            // `\` would start an escape such as `\N` (the node's name) in a label.
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The text of a node, for labels: `id tags` on one line, the message on the next.
fn node_text(graph: &RevisionGraph, node: u32, marks: &Marks) -> (String, String) {
    let revision = graph.revision_at(node);
    let id = revision.id().as_str();
    let mut first = id.to_owned();
    if graph.children_of(node).is_empty() {
        first.push_str(" (head)");
    }
    if marks.state(id) == NodeState::Current {
        first.push_str(" (current)");
    }
    for label in revision.branch_labels() {
        first.push_str(&format!(" (label: {label})"));
    }
    (first, revision.message().to_owned())
}

fn dot_escape_label(graph: &RevisionGraph, node: u32, marks: &Marks) -> String {
    let (first, message) = node_text(graph, node, marks);
    if message.is_empty() {
        dot_escape(&first)
    } else {
        format!("{}\\n{}", dot_escape(&first), dot_escape(&message))
    }
}

/// The graph as a Mermaid flowchart: newest at the top, solid arrows from parent to child,
/// dotted arrows from a dependency to its dependant; classes `head`, `applied` and `current`
/// style the nodes. Node ids are `r0`, `r1`... (in topological order) so that no revision id
/// can clash with Mermaid's keywords; the revision id is in the label.
///
/// ```
/// use pelican::diagram::{to_mermaid, Marks};
/// use pelican::{Revision, RevisionGraph};
/// let graph = RevisionGraph::new([
///     Revision::new("end".parse()?),
///     Revision::new("b".parse()?).with_parents(vec!["end".parse()?]).with_message("a < b"),
/// ])?;
/// let mermaid = to_mermaid(&graph, &Marks::from_applied(&graph, ["end"]));
/// assert!(mermaid.starts_with("flowchart BT\n"));
/// assert!(mermaid.contains("  r0[\"end (current)\"]\n"));
/// assert!(mermaid.contains("  r1[\"b (head)<br/>a #lt; b\"]\n"));
/// assert!(mermaid.contains("  r0 --> r1\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_mermaid(graph: &RevisionGraph, marks: &Marks) -> String {
    let order = graph.upgrade_order(&NodeSet::full(graph.len()));
    let mut name = vec![0usize; graph.len()];
    for (index, &node) in order.iter().enumerate() {
        name[node as usize] = index;
    }
    let mut out = String::from("flowchart BT\n");
    let mut classes: [(&str, Vec<String>); 3] = [
        ("head", Vec::new()),
        ("applied", Vec::new()),
        ("current", Vec::new()),
    ];
    for &node in &order {
        let (first, message) = node_text(graph, node, marks);
        let mut label = mermaid_escape(&first);
        if !message.is_empty() {
            label.push_str("<br/>");
            label.push_str(&mermaid_escape(&message));
        }
        let node_name = format!("r{}", name[node as usize]);
        out.push_str(&format!("  {node_name}[\"{label}\"]\n"));
        let class = match marks.state(graph.id_of(node).as_str()) {
            NodeState::Current => Some(2),
            NodeState::Applied => Some(1),
            NodeState::NotApplied if graph.children_of(node).is_empty() => Some(0),
            NodeState::NotApplied => None,
        };
        if let Some(class) = class {
            classes[class].1.push(node_name);
        }
    }
    for &node in &order {
        let child = name[node as usize];
        for parent in graph.parents_of(node) {
            out.push_str(&format!("  r{} --> r{child}\n", name[parent as usize]));
        }
        for dependency in graph.dependencies(graph.id_of(node).as_str()) {
            if let Some(dependency) = graph.node(dependency.as_str()) {
                out.push_str(&format!("  r{} -.-> r{child}\n", name[dependency as usize]));
            }
        }
    }
    out.push_str("  classDef head stroke-width:3px\n");
    out.push_str("  classDef applied fill:#c8e6c9,stroke:#2e7d32\n");
    out.push_str("  classDef current fill:#c8e6c9,stroke:#1b5e20,stroke-width:3px\n");
    for (class, nodes) in &classes {
        if !nodes.is_empty() {
            out.push_str(&format!("  class {} {class}\n", nodes.join(",")));
        }
    }
    out
}

/// Text safe inside a Mermaid `"..."` label: Mermaid's `#name;` entities for the characters
/// that would end the label or be read as HTML.
fn mermaid_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
