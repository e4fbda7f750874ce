//! Alembic's revision semantics, scenario by scenario (shared/reference/ALEMBIC_SEMANTICS.md),
//! through the public API. Sibling order: rank = (`created`, id); no revision here has
//! `created`, so ids decide.

#[path = "support/dag.rs"]
mod dag;

use dag::{down, graph, ids, stamp, up};
use pelican::RevisionGraph;

fn linear() -> RevisionGraph {
    graph("a\nb < a\nc < b")
}

/// root → a1 → a2, root → b1.
fn two_heads() -> RevisionGraph {
    graph("root\na1 < root\na2 < a1\nb1 < root")
}

#[test]
fn linear_upgrade_and_downgrade() {
    let g = linear();
    assert_eq!(up(&g, &[], "head"), ids(&["a", "b", "c"]));
    assert_eq!(up(&g, &["a"], "head"), ids(&["b", "c"]));
    assert_eq!(
        up(&g, &["a", "b"], "b"),
        ids(&[]),
        "upgrading to an applied revision is a no-op"
    );
    assert_eq!(up(&g, &["a", "b", "c"], "a"), ids(&[]));
    assert_eq!(up(&g, &[], "base"), ids(&[]));
    assert_eq!(down(&g, &["a", "b", "c"], "base"), ids(&["c", "b", "a"]));
    assert_eq!(down(&g, &["a", "b", "c"], "a"), ids(&["c", "b"]));
    assert_eq!(
        down(&g, &[], "base"),
        ids(&[]),
        "empty database + downgrade base is a no-op"
    );
    assert_eq!(
        down(&g, &["a", "b", "c"], "c"),
        ids(&[]),
        "downgrading to the current head"
    );
}

#[test]
fn downgrade_to_a_revision_above_the_current_state_is_an_error() {
    let g = linear();
    assert_eq!(
        down(&g, &["a"], "c"),
        Err("can't downgrade to c: it is not applied, so nothing above it can be removed".into())
    );
}

#[test]
fn head_with_two_heads_is_an_error_naming_them() {
    let g = two_heads();
    let expected = "'head' is ambiguous: there are several heads (a2, b1); name one of them, use <branch>@head, or 'heads' for all; or merge them into one (`pelican merge -m MESSAGE heads`)";
    assert_eq!(up(&g, &[], "head"), Err(expected.into()));
    assert_eq!(
        down(&g, &["root", "a1", "a2", "b1"], "head"),
        Err(expected.into())
    );
    assert_eq!(g.heads(), ["a2", "b1"]);
}

#[test]
fn heads_runs_each_branch_contiguously() {
    let g = two_heads();
    assert_eq!(up(&g, &[], "heads"), ids(&["root", "a1", "a2", "b1"]));
    assert_eq!(
        down(&g, &["root", "a1", "a2", "b1"], "base"),
        ids(&["b1", "a2", "a1", "root"]),
        "a downgrade is the exact reverse of the upgrade"
    );
    // Upgrading to a revision on another branch adds it, keeping the first branch.
    assert_eq!(up(&g, &["root", "a1", "a2"], "b1"), ids(&["b1"]));
    assert_eq!(up(&g, &[], "a1"), ids(&["root", "a1"]));
}

#[test]
fn downgrade_of_one_branch_keeps_the_other() {
    let g = two_heads();
    let all = ["root", "a1", "a2", "b1"];
    // Down to root removes both branches built on root's children.
    assert_eq!(down(&g, &all, "root"), ids(&["b1", "a2", "a1"]));
    // <branch>@<rev> narrows the roots to that branch's line.
    assert_eq!(down(&g, &all, "a2@root"), ids(&["a2", "a1"]));
    assert_eq!(down(&g, &all, "b1@root"), ids(&["b1"]));
    // <branch>@-N walks down that branch only.
    assert_eq!(down(&g, &all, "a2@-1"), ids(&["a2"]));
    assert_eq!(down(&g, &all, "a2@-2"), ids(&["a2", "a1"]));
    // With one shared root, <branch>@base removes the other branches too (Alembic).
    assert_eq!(down(&g, &all, "a2@base"), ids(&["b1", "a2", "a1", "root"]));
}

#[test]
fn relative_targets_from_several_heads_are_refused() {
    let g = two_heads();
    let all = ["root", "a1", "a2", "b1"];
    assert_eq!(
        down(&g, &all, "-1"),
        Err("'-1' is ambiguous: the database is at several heads (a2, b1); use <branch>@-1 or <revision>-1".into())
    );
    assert_eq!(
        up(&g, &["root", "a1", "b1"], "+1"),
        Err("'+1' is ambiguous: the database is at several heads (a1, b1); use <branch>@+1 or <revision>+1".into())
    );
    assert_eq!(
        up(&g, &["root"], "+1"),
        Err("'+1' is ambiguous: root is followed by several revisions here (a1, b1); name the revision instead".into())
    );
    // Narrowed to a branch, the walk is unambiguous.
    assert_eq!(up(&g, &["root"], "a2@+1"), ids(&["a1"]));
    assert_eq!(up(&g, &["root"], "a2@+2"), ids(&["a1", "a2"]));
    assert_eq!(up(&g, &["root", "a1", "b1"], "a1@+1"), ids(&["a2"]));
}

#[test]
fn merge_points() {
    let g = graph("root\nl < root\nr < root\nm < l,r");
    assert_eq!(g.heads(), ["m"]);
    assert!(g.is_merge_point("m"));
    assert!(g.is_branch_point("root"));
    assert_eq!(up(&g, &[], "head"), ids(&["root", "l", "r", "m"]));
    // Upgrading to the merge from one side runs the other side too.
    assert_eq!(up(&g, &["root", "l"], "m"), ids(&["r", "m"]));
    assert_eq!(
        up(&g, &["root", "l"], "+1"),
        ids(&["r", "m"]),
        "+1 onto a merge runs its other parents"
    );
    let all = ["root", "l", "r", "m"];
    assert_eq!(down(&g, &all, "l"), ids(&["m"]));
    assert_eq!(down(&g, &all, "root"), ids(&["m", "r", "l"]));
    assert_eq!(
        down(&g, &all, "-1"),
        Err("'-1' is ambiguous: m is followed by several revisions here (l, r); name the revision instead".into()),
        "downgrade -1 at a merge is an ambiguous walk (Alembic)"
    );
}

#[test]
fn three_way_merge_and_diamond() {
    let g = graph("root\na < root\nb < root\nc < root\nm < c,a,b\ntop < m");
    assert_eq!(
        up(&g, &[], "heads"),
        ids(&["root", "a", "b", "c", "m", "top"])
    );
    assert_eq!(up(&g, &["root", "b"], "m"), ids(&["a", "c", "m"]));
    assert_eq!(
        down(&g, &["root", "a", "b", "c", "m", "top"], "b"),
        ids(&["top", "m"])
    );
    assert_eq!(
        down(&g, &["root", "a", "b", "c", "m", "top"], "top-2"),
        Err("'top-2' is ambiguous: m is followed by several revisions here (a, b, c); name the revision instead".into())
    );
    assert_eq!(
        down(&g, &["root", "a", "b", "c", "m", "top"], "top-1"),
        ids(&["top"])
    );
}

/// core: c1 → c2 → c3; feature: f1 → f2 (depends on c2) → f3.
fn depends_across_branches() -> RevisionGraph {
    graph("c1\nc2 < c1\nc3 < c2\nf1 @ feature\nf2 < f1 ~ c2\nf3 < f2")
}

#[test]
fn depends_on_pulls_in_the_dependency_first() {
    let g = depends_across_branches();
    assert_eq!(
        up(&g, &[], "feature@head"),
        ids(&["c1", "c2", "f1", "f2", "f3"])
    );
    assert_eq!(up(&g, &["f1"], "f2"), ids(&["c1", "c2", "f2"]));
    assert_eq!(g.dependencies("f2"), ["c2"]);
}

#[test]
fn downgrade_removes_dependants_but_keeps_what_depends_on_the_target_itself() {
    let g = depends_across_branches();
    let all = ["c1", "c2", "c3", "f1", "f2", "f3"];
    // Removing c2 (a child of c1) removes f2 and f3, which depend on it.
    assert_eq!(down(&g, &all, "c1"), ids(&["f3", "f2", "c3", "c2"]));
    // Down to c2: f2 merely depends on c2 itself and stays.
    assert_eq!(down(&g, &all, "c2"), ids(&["c3"]));
}

#[test]
fn effective_heads_ignore_heads_consumed_by_depends_on() {
    // x is a head by parents, but f depends on it.
    let g = graph("a\nx\nf < a ~ x");
    assert_eq!(g.heads(), ["f", "x"]);
    assert_eq!(g.effective_heads(), ["f"]);
    assert_eq!(
        up(&g, &[], "head"),
        Err("'head' is ambiguous: there are several heads (f, x); name one of them, use <branch>@head, or 'heads' for all; or merge them into one (`pelican merge -m MESSAGE heads`)".into())
    );
    assert_eq!(up(&g, &[], "heads"), ids(&["a", "x", "f"]));
}

#[test]
fn branch_labels() {
    let g = graph("root\na1 < root @ alpha\na2 < a1\nb1 < root @ beta\nb2 < b1");
    assert_eq!(up(&g, &[], "alpha@head"), ids(&["root", "a1", "a2"]));
    assert_eq!(up(&g, &[], "beta@heads"), ids(&["root", "b1", "b2"]));
    // A plain label names the revision that declares it.
    assert_eq!(up(&g, &[], "beta"), ids(&["root", "b1"]));
    // A prefix of a label (over 3 characters) resolves too.
    assert_eq!(up(&g, &[], "alph@head"), ids(&["root", "a1", "a2"]));
    assert_eq!(up(&g, &[], "alpha@a2"), ids(&["root", "a1", "a2"]));
    assert_eq!(
        up(&g, &[], "alpha@b2"),
        Err("revision b2 is not a member of branch 'alpha'".into())
    );
    assert_eq!(
        up(&g, &[], "gamma@head"),
        Err("no branch 'gamma': it is neither a branch label nor a revision".into())
    );
    // A revision id also works as a branch.
    assert_eq!(up(&g, &[], "b1@head"), ids(&["root", "b1", "b2"]));
    // The label covers the declarer, its descendants, and its single-parent line down to
    // (not including) the branch point.
    assert_eq!(g.branch_labels_of("a2"), ["alpha"]);
    assert_eq!(g.branch_labels_of("root"), Vec::<&str>::new());
    let g = graph("r0\nr1 < r0\nr2 < r1 @ main");
    assert_eq!(g.branch_labels_of("r0"), ["main"]);
    let all = ["root", "a1", "a2", "b1", "b2"];
    let g = graph("root\na1 < root @ alpha\na2 < a1\nb1 < root @ beta\nb2 < b1");
    assert_eq!(
        down(&g, &all, "beta@base"),
        ids(&["b2", "b1", "a2", "a1", "root"])
    );
    assert_eq!(down(&g, &all, "beta@root"), ids(&["b2", "b1"]));
    assert_eq!(down(&g, &all, "beta@-1"), ids(&["b2"]));
}

#[test]
fn several_bases() {
    let g = graph("x1\nx2 < x1\ny1 @ other\ny2 < y1");
    assert_eq!(g.bases(), ["x1", "y1"]);
    assert_eq!(up(&g, &[], "heads"), ids(&["x1", "x2", "y1", "y2"]));
    assert_eq!(
        up(&g, &[], "+1"),
        Err("'+1' is ambiguous: base is followed by several revisions here (x1, y1); name the revision instead".into())
    );
    assert_eq!(up(&g, &[], "other@+1"), ids(&["y1"]));
    let all = ["x1", "x2", "y1", "y2"];
    // With several roots, <branch>@base removes only that branch's root and above.
    assert_eq!(down(&g, &all, "other@base"), ids(&["y2", "y1"]));
    assert_eq!(down(&g, &all, "base"), ids(&["y2", "y1", "x2", "x1"]));
}

#[test]
fn relative_targets() {
    let g = graph("a\nb < a\nc < b\nd < c");
    assert_eq!(up(&g, &[], "+2"), ids(&["a", "b"]));
    assert_eq!(up(&g, &["a", "b"], "+1"), ids(&["c"]));
    assert_eq!(up(&g, &["a"], "b+2"), ids(&["b", "c", "d"]));
    assert_eq!(up(&g, &[], "base+1"), ids(&["a"]));
    assert_eq!(up(&g, &[], "head-1"), ids(&["a", "b", "c"]));
    assert_eq!(
        up(&g, &[], "c-3"),
        ids(&[]),
        "one step past the base is base"
    );
    assert_eq!(
        up(&g, &["a", "b"], "+3"),
        Err("'+3' goes 3 revisions up, but only 2 exist in that direction".into())
    );
    assert_eq!(
        up(&g, &[], "c+2"),
        Err("'c+2' goes 2 revisions up, but only 1 exist in that direction".into())
    );
    assert_eq!(
        up(&g, &[], "-1"),
        Err("'-1' moves down: use downgrade instead".into())
    );
    let all = ["a", "b", "c", "d"];
    assert_eq!(down(&g, &all, "-1"), ids(&["d"]));
    assert_eq!(
        down(&g, &all, "-4"),
        ids(&["d", "c", "b", "a"]),
        "past the base by one = base"
    );
    assert_eq!(
        down(&g, &all, "-5"),
        Err("'-5' goes 5 revisions down, but only 4 exist in that direction".into())
    );
    assert_eq!(down(&g, &all, "head-2"), ids(&["d", "c"]));
    assert_eq!(down(&g, &all, "d-1"), ids(&["d"]));
    assert_eq!(down(&g, &all, "a+1"), ids(&["d", "c"]));
    assert_eq!(
        down(&g, &all, "+1"),
        Err("'+1' moves up: use upgrade instead".into())
    );
    assert_eq!(
        down(&g, &[], "-1"),
        Err("'-1' goes 1 revisions down, but only 0 exist in that direction".into())
    );
}

#[test]
fn partial_ids() {
    let g = graph("ae1027a6acf1\nae10b2c3d4e5 < ae1027a6acf1\n27c6a30d7c24 < ae10b2c3d4e5\nabc < 27c6a30d7c24");
    assert_eq!(up(&g, &[], "ae1027").unwrap().len(), 1);
    assert_eq!(
        up(&g, &[], "27").unwrap().len(),
        3,
        "short prefixes resolve when unique"
    );
    assert_eq!(
        up(&g, &[], "ae10"),
        Err("'ae10' is ambiguous: it starts 'ae1027a6acf1', 'ae10b2c3d4e5'".into())
    );
    assert_eq!(
        up(&g, &[], "ff"),
        Err("no revision or branch label 'ff', and none starts with 'ff'".into())
    );
    assert_eq!(
        up(&g, &[], "ffffff"),
        Err("no revision or branch label 'ffffff', and none starts with 'ffffff'".into())
    );
    // Ids of 3 characters or fewer only match exactly.
    assert_eq!(up(&g, &[], "abc").unwrap().len(), 4);
    assert!(up(&g, &[], "ab").is_err());
    // A branch narrows the candidates of a prefix.
    assert_eq!(
        down(
            &g,
            &["ae1027a6acf1", "ae10b2c3d4e5", "27c6a30d7c24", "abc"],
            "ae10b2c3d4e5@ae10"
        ),
        Err("'ae10' is ambiguous: it starts 'ae1027a6acf1', 'ae10b2c3d4e5'".into()),
        "both lie on the line of ae10b2c3d4e5"
    );
}

#[test]
fn stamp_moves_only_the_heads_it_shares_a_line_with() {
    let g = two_heads();
    assert_eq!(stamp(&g, &[], &["heads"]), ids(&["a1", "a2", "b1", "root"]));
    assert_eq!(
        stamp(&g, &["root", "a1", "a2", "b1"], &["a1"]),
        ids(&["a1", "b1", "root"])
    );
    assert_eq!(
        stamp(&g, &["root", "a1", "a2", "b1"], &["root"]),
        ids(&["root"])
    );
    assert_eq!(stamp(&g, &["root", "a1", "a2", "b1"], &["base"]), ids(&[]));
    assert_eq!(
        stamp(&g, &["root", "a1"], &["a1"]),
        ids(&["a1", "root"]),
        "already there"
    );
    assert_eq!(
        stamp(&g, &["root", "a1"], &["b1"]),
        ids(&["a1", "b1", "root"]),
        "unrelated: added"
    );
    // Targets apply one after the other (Alembic computes each against the initial state and
    // drops berry1 here).
    let g = graph("root\napple1 < root\napple2 < apple1\nberry1 < root");
    assert_eq!(
        stamp(
            &g,
            &["root", "apple1", "apple2", "berry1"],
            &["apple1", "berry1"]
        ),
        ids(&["apple1", "berry1", "root"])
    );
    assert_eq!(
        stamp(&g, &[], &["apple1", "apple2"]),
        ids(&["apple1", "apple2", "root"])
    );
}

#[test]
fn unknown_applied_revisions_are_reported() {
    let g = linear();
    assert_eq!(
        up(&g, &["a", "zz9", "deadbeef0000"], "head"),
        Err("the database has applied revisions that are not among the known migrations: deadbeef0000, zz9".into())
    );
}

#[test]
fn irreversible_revisions_stop_a_downgrade_before_anything_runs() {
    let g = graph("a\nb < a ! drops_the_legacy_table\nc < b");
    assert_eq!(down(&g, &["a", "b", "c"], "b"), ids(&["c"]));
    assert_eq!(
        down(&g, &["a", "b", "c"], "base"),
        Err("can't downgrade through b: it is irreversible (drops_the_legacy_table)".into())
    );
}

#[test]
fn sibling_order_follows_created_then_id_never_input_order() {
    use pelican::Revision;
    let mk = |id: &str, created: &str| {
        Revision::new(id.parse().unwrap())
            .with_parents(vec!["root".parse().unwrap()])
            .with_created(created)
    };
    let root = Revision::new("root".parse().unwrap());
    let forward = vec![
        root.clone(),
        mk("zz", "2026-01-01T00:00:00Z"),
        mk("aa", "2026-02-01T00:00:00Z"),
    ];
    let mut backward = forward.clone();
    backward.reverse();
    for revisions in [forward, backward] {
        let g = RevisionGraph::new(revisions).unwrap();
        assert_eq!(
            up(&g, &[], "heads"),
            ids(&["root", "zz", "aa"]),
            "older branch first"
        );
    }
}
