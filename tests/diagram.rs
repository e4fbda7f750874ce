//! The DAG drawings: terminal text, Graphviz dot and Mermaid, compared with golden files
//! (`PELICAN_BLESS=1` rewrites them), and the terminal drawing read back on random DAGs: its
//! lines must lead from every revision to exactly its parents.

#[path = "support/dag.rs"]
mod dag;
#[path = "support/golden.rs"]
mod golden;

use std::collections::{BTreeSet, HashSet};

use pelican::diagram::{
    draw_terminal, terminal_lines, to_dot, to_mermaid, DiagramLine, Marks, NodeState, Tag,
};
use pelican::{Revision, RevisionGraph};
use proptest::prelude::*;

/// A graph from `dag`'s compact spec, each revision with a message naming it.
fn graph(spec: &str) -> RevisionGraph {
    let revisions = dag::revisions(spec).into_iter().map(|r| {
        let message = format!("change {}", r.id());
        r.with_message(message)
    });
    RevisionGraph::new(revisions).unwrap_or_else(|e| panic!("{e}"))
}

/// The drawing, checked against its golden file and read back against the graph.
fn check_terminal(name: &str, graph: &RevisionGraph, marks: &Marks) {
    let text = draw_terminal(graph, marks);
    assert_edges_match(graph, &terminal_lines(graph, marks));
    golden::check(name, &text);
}

#[test]
fn a_linear_chain() {
    let graph = graph("a1\na2 < a1\na3 < a2\na4 < a3");
    check_terminal("diagram_linear.txt", &graph, &Marks::none());
}

#[test]
fn two_heads_with_a_branch_label() {
    let graph = graph(
        "root
         a1 < root @ alpha
         a2 < a1
         b1 < root
         b2 < b1",
    );
    check_terminal("diagram_two_heads.txt", &graph, &Marks::none());
}

#[test]
fn a_merge_on_a_database_partly_applied() {
    let graph = graph("root\na < root\nb < root\nm < a,b\nafter < m");
    let marks = Marks::from_applied(&graph, ["root", "a"]);
    check_terminal("diagram_merge.txt", &graph, &marks);
}

#[test]
fn a_three_way_merge() {
    let graph = graph(
        "root
         a < root
         b < root
         c < root
         m < a,b,c",
    );
    check_terminal("diagram_three_way_merge.txt", &graph, &Marks::none());
}

#[test]
fn a_three_way_merge_beside_another_branch() {
    // `side` keeps a column right of the merge open, so the merge first makes room for its
    // `*-.`; `x`'s parents lie on both sides of the merge's parents, so edges cross.
    let graph = graph(
        "root
         a < root
         b < root
         c < root
         m < a,b,c
         side < root
         x < side,a",
    );
    check_terminal("diagram_octopus_and_crossing.txt", &graph, &Marks::none());
}

#[test]
fn dependencies_show_as_tags() {
    let graph = graph(
        "c1
         c2 < c1 @ core
         f1 ~ c2
         f2 < f1 ~ core
         f3 < f2",
    );
    let marks = Marks::from_applied(&graph, ["c1", "c2", "f1"]);
    check_terminal("diagram_depends_on.txt", &graph, &marks);
}

#[test]
fn dot_and_mermaid_of_a_graph_with_dependencies_and_marks() {
    let revisions = dag::revisions(
        "c1
         c2 < c1 @ core
         f1 ~ c2
         f2 < f1 ~ core
         m < c2,f2",
    );
    let messages = [
        ("c1", "create \"tasks\""),
        ("c2", r"path C:\temp\N"),
        ("f1", "a < b & c > d #1"),
        ("f2", "`code`"),
        ("m", ""),
    ];
    let revisions = revisions.into_iter().map(|r| {
        let message = messages
            .iter()
            .find(|(id, _)| *id == r.id().as_str())
            .map_or("", |(_, m)| m);
        r.with_message(message)
    });
    let graph = RevisionGraph::new(revisions).unwrap();
    let marks = Marks::from_applied(&graph, ["c1", "c2", "f1"]);
    golden::check("diagram_marks.dot", &to_dot(&graph, &marks));
    golden::check("diagram_marks.mmd", &to_mermaid(&graph, &marks));
    // The same again: deterministic.
    assert_eq!(to_dot(&graph, &marks), to_dot(&graph, &marks));
}

#[test]
fn node_lines_carry_the_fields_apart_from_the_graph() {
    let graph = graph("root\na < root @ alpha\nb < root\nm < a,b ~ root");
    let marks = Marks::from_applied(&graph, ["root", "a", "b", "m"]);
    let lines = terminal_lines(&graph, &marks);
    let m = lines[0].node.as_ref().unwrap();
    assert_eq!(m.revision, "m");
    assert_eq!(m.state, NodeState::Current);
    assert_eq!(
        m.tags,
        [
            Tag::Head,
            Tag::Current,
            Tag::Merge,
            Tag::DependsOn(vec!["root".to_owned()])
        ]
    );
    assert_eq!(m.message, "change m");
    assert_eq!(&lines[0].graph[m.glyph_index..m.glyph_index + 1], "@");
    assert_eq!(
        lines[0].render_plain(),
        "@ m (head) (current) (merge) (depends on root) change m"
    );
    let a = lines
        .iter()
        .find_map(|l| l.node.as_ref().filter(|n| n.revision == "a"));
    let a = a.unwrap();
    assert_eq!(a.state, NodeState::Applied);
    assert_eq!(a.tags, [Tag::Label("alpha".to_owned())]);
    // Lines that only route edges have no node and no trailing space.
    assert_eq!(lines[1].node, None);
    assert_eq!(lines[1].graph, "|\\");
}

#[test]
fn an_empty_graph_draws_nothing() {
    let graph = RevisionGraph::new(Vec::<Revision>::new()).unwrap();
    assert_eq!(draw_terminal(&graph, &Marks::none()), "");
    assert_eq!(
        to_mermaid(&graph, &Marks::none()),
        "flowchart BT\n  classDef head stroke-width:3px\n  classDef applied \
         fill:#c8e6c9,stroke:#2e7d32\n  classDef current \
         fill:#c8e6c9,stroke:#1b5e20,stroke-width:3px\n"
    );
    assert!(to_dot(&graph, &Marks::none()).ends_with("];\n}\n"));
}

#[test]
fn marks_ignore_revisions_the_graph_does_not_have() {
    let graph = graph("a\nb < a\nc < a");
    let marks = Marks::from_applied(&graph, ["a", "b", "zz"]);
    let expected: HashSet<String> = ["a", "b"].map(String::from).into();
    assert_eq!(marks.applied, expected);
    let current: HashSet<String> = ["b"].map(String::from).into();
    assert_eq!(marks.current, current);
}

/// Reads the drawing back: from each revision's glyph, follows the lines down to the glyphs
/// they reach, and checks that those are exactly the revision's parents, that every line
/// character is reached from some glyph, and that each revision is drawn once.
fn assert_edges_match(graph: &RevisionGraph, lines: &[DiagramLine]) {
    let text: String = lines
        .iter()
        .map(|l| format!("{}\n", l.render_plain()))
        .collect();
    let rows: Vec<Vec<u8>> = lines.iter().map(|l| l.graph.as_bytes().to_vec()).collect();
    let at = |r: usize, x: isize| -> u8 {
        if x < 0 {
            return b' ';
        }
        rows.get(r)
            .and_then(|row| row.get(x as usize))
            .copied()
            .unwrap_or(b' ')
    };
    let mut visited: HashSet<(usize, usize)> = HashSet::new();
    let mut drawn = HashSet::new();
    for (r, line) in lines.iter().enumerate() {
        assert!(line.graph.is_ascii(), "{text}");
        let Some(node) = &line.node else { continue };
        assert!(
            drawn.insert(node.revision.to_string()),
            "{} drawn twice:\n{text}",
            node.revision
        );
        let x = node.glyph_index as isize;
        visited.insert((r, x as usize));
        // Where edges leave the glyph: below it, and after each `-.` pair on its line.
        let mut starts = vec![x];
        let mut dx = x;
        while at(r, dx + 1) == b'-' && at(r, dx + 2) == b'.' {
            visited.insert((r, (dx + 1) as usize));
            visited.insert((r, (dx + 2) as usize));
            dx += 2;
            starts.push(dx);
        }
        let parents: BTreeSet<String> = graph
            .get(node.revision.as_str())
            .unwrap()
            .parents()
            .iter()
            .map(|p| p.to_string())
            .collect();
        let mut reached = BTreeSet::new();
        if parents.is_empty() {
            let leaves = matches!(at(r + 1, x), b'|' | b'*' | b'o' | b'@')
                || matches!(at(r + 1, x + 1), b'\\' | b'X')
                || matches!(at(r + 1, x - 1), b'/' | b'X');
            assert!(!leaves, "an edge leaves base {}:\n{text}", node.revision);
            continue;
        }
        let mut stack: Vec<(usize, isize)> = starts.into_iter().map(|s| (r, s)).collect();
        let mut seen = HashSet::new();
        while let Some((row, x)) = stack.pop() {
            if !seen.insert((row, x)) {
                continue;
            }
            let next = row + 1;
            assert!(next < lines.len(), "an edge runs off the bottom:\n{text}");
            let mut moved = false;
            match at(next, x) {
                b'|' => {
                    visited.insert((next, x as usize));
                    stack.push((next, x));
                    moved = true;
                }
                b'*' | b'o' | b'@' => {
                    let target = lines[next].node.as_ref().expect("a glyph on a node line");
                    assert_eq!(target.glyph_index as isize, x, "{text}");
                    reached.insert(target.revision.to_string());
                    moved = true;
                }
                _ => {}
            }
            if matches!(at(next, x + 1), b'\\' | b'X') {
                visited.insert((next, (x + 1) as usize));
                stack.push((next, x + 2));
                moved = true;
            }
            if matches!(at(next, x - 1), b'/' | b'X') {
                visited.insert((next, (x - 1) as usize));
                stack.push((next, x - 2));
                moved = true;
            }
            assert!(
                moved,
                "the edge from {} stops at line {}, column {x}:\n{text}",
                node.revision,
                row + 1
            );
        }
        assert_eq!(
            reached, parents,
            "the lines from {} reach other revisions than its parents:\n{text}",
            node.revision
        );
    }
    assert_eq!(drawn.len(), graph.len(), "{text}");
    for (r, row) in rows.iter().enumerate() {
        for (x, &c) in row.iter().enumerate() {
            if c != b' ' {
                assert!(
                    visited.contains(&(r, x)),
                    "line {}, column {x} ('{}') leads from no revision:\n{text}",
                    r + 1,
                    c as char
                );
            }
        }
    }
}

/// A random DAG: each revision has up to three parents among the earlier ones (or none).
fn random_graph() -> impl Strategy<Value = RevisionGraph> {
    (1usize..40)
        .prop_flat_map(|n| {
            let parents = (0..n)
                .map(|i| {
                    if i == 0 {
                        Just(Vec::new()).boxed()
                    } else {
                        proptest::collection::btree_set(0..i, 0..=3.min(i))
                            .prop_map(|set| set.into_iter().collect::<Vec<_>>())
                            .boxed()
                    }
                })
                .collect::<Vec<_>>();
            (parents, proptest::collection::vec(any::<u8>(), n))
        })
        .prop_map(|(parents, created)| {
            let revisions = parents.iter().enumerate().map(|(i, ps)| {
                Revision::new(format!("r{i}").parse().unwrap())
                    .with_parents(
                        ps.iter()
                            .map(|p| format!("r{p}").parse().unwrap())
                            .collect(),
                    )
                    // Shuffle the sibling order the drawing follows.
                    .with_created(format!("2026-01-01T00:00:{:02}Z", created[i] % 60))
            });
            RevisionGraph::new(revisions.collect::<Vec<_>>()).unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_drawing_leads_from_each_revision_to_its_parents(graph in random_graph()) {
        let applied: Vec<String> = graph.topological_order().iter().take(graph.len() / 2).map(|r| r.to_string()).collect();
        let marks = Marks::from_applied(&graph, &applied);
        assert_edges_match(&graph, &terminal_lines(&graph, &marks));
    }
}
