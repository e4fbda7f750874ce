//! Every way a revision set can fail to form a DAG, with the message the user sees.

#[path = "support/dag.rs"]
mod dag;

use pelican::{GraphError, RevisionGraph};

fn error(spec: &str) -> String {
    RevisionGraph::new(dag::revisions(spec))
        .unwrap_err()
        .to_string()
}

#[test]
fn duplicate_revision() {
    assert_eq!(error("a\nb < a\na"), "revision a is defined more than once");
}

#[test]
fn unknown_parent() {
    assert_eq!(
        error("a\nb < zz"),
        "revision b revises zz, which does not exist"
    );
}

#[test]
fn duplicate_parent() {
    assert_eq!(error("a\nb < a,a"), "revision b lists a twice in `revises`");
}

#[test]
fn unknown_dependency() {
    assert_eq!(
        error("a\nb < a ~ nope"),
        "revision b depends on 'nope', which is neither a revision nor a branch label"
    );
}

#[test]
fn depends_on_accepts_branch_labels() {
    let g = dag::graph("c1 @ core\nf1 ~ core");
    assert_eq!(g.dependencies("f1"), ["c1"]);
}

#[test]
fn cycle_is_printed_in_order() {
    assert_eq!(
        error("a < c\nb < a\nc < b\nd"),
        "revisions form a cycle: a -> b -> c -> a"
    );
    assert_eq!(error("a < a"), "revisions form a cycle: a -> a");
}

#[test]
fn cycle_through_depends_on() {
    let err = RevisionGraph::new(dag::revisions("a ~ b\nb < a")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "revisions form a cycle through depends-on: a -> b -> a"
    );
    match err {
        GraphError::Cycle {
            revisions,
            through_depends_on,
        } => {
            assert_eq!(revisions, ["a", "b", "a"]);
            assert!(through_depends_on);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn branch_label_used_twice() {
    assert_eq!(
        error("a @ feat\nb < a @ feat"),
        "branch label 'feat' is declared by both a and b"
    );
}

#[test]
fn branch_label_that_is_a_revision_id() {
    assert_eq!(
        error("a\nb < a @ a"),
        "branch label 'a' of revision b is also a revision id; targets could not tell them apart"
    );
}

#[test]
fn empty_graph_where_one_is_required() {
    let g = RevisionGraph::new([]).unwrap();
    assert!(g.is_empty());
    assert_eq!(
        g.ensure_not_empty().unwrap_err().to_string(),
        "there are no revisions (is the migrations directory empty or the wrong one?)"
    );
    // An empty graph is otherwise usable: head and heads mean nothing to do.
    assert_eq!(dag::up(&g, &[], "head"), dag::ids(&[]));
    assert_eq!(dag::up(&g, &[], "heads"), dag::ids(&[]));
}

#[test]
fn queries_on_a_valid_graph() {
    let g = dag::graph("root\na < root\nb < root\nm < a,b\nx ~ m");
    assert_eq!(g.len(), 5);
    assert_eq!(g.heads(), ["m", "x"]);
    assert_eq!(g.effective_heads(), ["x"]);
    assert_eq!(g.bases(), ["root", "x"]);
    assert_eq!(g.children("root"), ["a", "b"]);
    assert_eq!(g.ancestors("m"), ["root", "a", "b"]);
    assert_eq!(g.descendants("a"), ["m", "x"]);
    assert_eq!(g.descendants("x"), Vec::<&pelican::RevisionId>::new());
    assert_eq!(g.topological_order(), ["root", "a", "b", "m", "x"]);
    assert!(g.is_branch_point("root"));
    assert!(!g.is_branch_point("a"));
    assert!(g.is_merge_point("m"));
    assert!(g.contains("m"));
    assert_eq!(g.get("m").unwrap().parents(), ["a", "b"]);
    assert!(g.get("zz").is_none());
}
