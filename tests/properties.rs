//! Properties of the planner on random DAGs: up to a few hundred revisions, random merges,
//! several bases and `depends-on` edges.

use std::collections::{HashMap, HashSet};

use pelican::plan::Planner;
use pelican::{Revision, RevisionGraph, Target};
use proptest::prelude::*;

/// A random DAG: revision `i` may only point at revisions `< i`, so it is acyclic by
/// construction. Ids are a permutation of the indices, so rank order != creation order.
#[derive(Debug, Clone)]
struct Dag {
    ids: Vec<String>,
    parents: Vec<Vec<usize>>,
    deps: Vec<Vec<usize>>,
}

impl Dag {
    fn revisions(&self) -> Vec<Revision> {
        (0..self.ids.len())
            .map(|i| {
                Revision::new(self.ids[i].parse().unwrap())
                    .with_parents(
                        self.parents[i]
                            .iter()
                            .map(|&p| self.ids[p].parse().unwrap())
                            .collect(),
                    )
                    .with_depends_on(self.deps[i].iter().map(|&d| self.ids[d].clone()).collect())
            })
            .collect()
    }

    fn graph(&self) -> RevisionGraph {
        RevisionGraph::new(self.revisions()).expect("generated DAGs are valid")
    }

    fn before(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.parents[i].iter().chain(&self.deps[i]).copied()
    }

    /// The smallest ancestor-closed set containing `seeds`.
    fn closure(&self, seeds: impl IntoIterator<Item = usize>) -> HashSet<usize> {
        let mut set = HashSet::new();
        let mut stack: Vec<usize> = seeds.into_iter().collect();
        while let Some(i) = stack.pop() {
            if set.insert(i) {
                stack.extend(self.before(i));
            }
        }
        set
    }

    fn names(&self, set: &HashSet<usize>) -> HashSet<String> {
        set.iter().map(|&i| self.ids[i].clone()).collect()
    }

    fn index(&self) -> HashMap<String, usize> {
        self.ids
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, id)| (id, i))
            .collect()
    }
}

fn dag_strategy(max: usize) -> impl Strategy<Value = Dag> {
    (1..max)
        .prop_flat_map(|n| {
            let nodes = proptest::collection::vec(
                (0u8..100, any::<u64>(), any::<u64>(), any::<u64>(), 0u8..100),
                n,
            );
            (
                Just(n),
                nodes,
                Just(()).prop_perturb(move |_, mut rng| {
                    let mut perm: Vec<usize> = (0..n).collect();
                    for i in (1..n).rev() {
                        perm.swap(i, rng.random_range(0..=i));
                    }
                    perm
                }),
            )
        })
        .prop_map(|(n, nodes, perm)| {
            let mut parents = vec![Vec::new(); n];
            let mut deps = vec![Vec::new(); n];
            for (i, &(kind, a, b, c, dep_roll)) in nodes.iter().enumerate().skip(1) {
                let pick = |x: u64| (x % i as u64) as usize;
                parents[i] = match kind {
                    0..=7 => vec![],                                   // a new base
                    8..=17 => dedup(vec![pick(a), pick(b)]),           // a merge
                    18..=20 => dedup(vec![pick(a), pick(b), pick(c)]), // a 3-way merge
                    _ => vec![pick(a)],
                };
                if dep_roll < 8 {
                    let dep = pick(c.rotate_left(17));
                    if !parents[i].contains(&dep) {
                        deps[i].push(dep);
                    }
                }
            }
            let ids = perm.iter().map(|p| format!("r{p:04}")).collect();
            Dag { ids, parents, deps }
        })
}

fn dedup(mut v: Vec<usize>) -> Vec<usize> {
    v.sort_unstable();
    v.dedup();
    v
}

/// A DAG and an ancestor-closed applied set.
fn dag_and_applied(max: usize) -> impl Strategy<Value = (Dag, HashSet<usize>)> {
    dag_strategy(max)
        .prop_flat_map(|dag| {
            let n = dag.ids.len();
            (Just(dag), proptest::collection::vec(0..n, 0..4))
        })
        .prop_map(|(dag, seeds)| {
            let applied = dag.closure(seeds);
            (dag, applied)
        })
}

/// Plays `steps` on `applied`, checking each step's preconditions; returns the final set.
fn play(
    dag: &Dag,
    applied: &HashSet<usize>,
    plan: &pelican::Plan,
) -> Result<HashSet<usize>, TestCaseError> {
    let index = dag.index();
    let mut state = applied.clone();
    for step in plan.steps() {
        let i = index[step.revision.as_str()];
        match step.direction {
            pelican::Direction::Up => {
                prop_assert!(!state.contains(&i), "{} applied twice", step.revision);
                for before in dag.before(i) {
                    prop_assert!(
                        state.contains(&before),
                        "{} runs before its parent or dependency {}",
                        step.revision,
                        dag.ids[before]
                    );
                }
                state.insert(i);
            }
            pelican::Direction::Down => {
                prop_assert!(
                    state.remove(&i),
                    "{} removed but not applied",
                    step.revision
                );
                for (j, _) in dag.ids.iter().enumerate() {
                    if state.contains(&j) {
                        prop_assert!(
                            !dag.before(j).any(|b| b == i),
                            "{} removed while {} still needs it",
                            step.revision,
                            dag.ids[j]
                        );
                    }
                }
            }
        }
    }
    Ok(state)
}

fn planner<'g>(graph: &'g RevisionGraph, dag: &Dag, applied: &HashSet<usize>) -> Planner<'g> {
    Planner::new(graph, dag.names(applied)).unwrap()
}

fn target(text: &str) -> Target {
    text.parse().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn upgrade_to_heads_runs_every_missing_revision_once_in_order((dag, applied) in dag_and_applied(300)) {
        let graph = dag.graph();
        let plan = planner(&graph, &dag, &applied).upgrade(&target("heads")).unwrap();
        let end = play(&dag, &applied, &plan)?;
        prop_assert_eq!(end.len(), dag.ids.len(), "every revision applied");
        prop_assert_eq!(plan.steps().len(), dag.ids.len() - applied.len());
    }

    #[test]
    fn down_to_base_then_up_to_the_old_heads_restores_the_applied_set((dag, applied) in dag_and_applied(200)) {
        let graph = dag.graph();
        let down = planner(&graph, &dag, &applied).downgrade(&target("base")).unwrap();
        let empty = play(&dag, &applied, &down)?;
        prop_assert!(empty.is_empty());
        let heads: Vec<String> = planner(&graph, &dag, &applied)
            .current_heads()
            .into_iter()
            .map(|h| h.to_string())
            .collect();
        let mut state = empty;
        for head in heads {
            let plan = planner(&graph, &dag, &state).upgrade(&target(&head)).unwrap();
            state = play(&dag, &state, &plan)?;
        }
        prop_assert_eq!(state, applied);
    }

    #[test]
    fn all_the_way_down_and_up_again((dag, _) in dag_and_applied(200)) {
        let graph = dag.graph();
        let all: HashSet<usize> = (0..dag.ids.len()).collect();
        let down = planner(&graph, &dag, &all).downgrade(&target("base")).unwrap();
        let empty = play(&dag, &all, &down)?;
        let up = planner(&graph, &dag, &empty).upgrade(&target("heads")).unwrap();
        prop_assert_eq!(play(&dag, &empty, &up)?, all);
        // A downgrade is the exact reverse of the upgrade of the same revisions.
        let mut reversed: Vec<_> = up.revisions().cloned().collect();
        reversed.reverse();
        prop_assert_eq!(down.revisions().cloned().collect::<Vec<_>>(), reversed);
    }

    #[test]
    fn planning_again_from_the_end_state_does_nothing(
        (dag, applied) in dag_and_applied(200),
        pick in any::<proptest::sample::Index>(),
    ) {
        let graph = dag.graph();
        let chosen = dag.ids[pick.index(dag.ids.len())].clone();
        for text in ["heads".to_owned(), chosen.clone()] {
            let t = target(&text);
            let plan = planner(&graph, &dag, &applied).upgrade(&t).unwrap();
            let end = play(&dag, &applied, &plan)?;
            prop_assert!(planner(&graph, &dag, &end).upgrade(&t).unwrap().is_empty());
        }
        // Downgrading to an applied revision twice: the second plan is empty.
        if applied.contains(&dag.index()[&chosen]) {
            let t = target(&chosen);
            let plan = planner(&graph, &dag, &applied).downgrade(&t).unwrap();
            let end = play(&dag, &applied, &plan)?;
            prop_assert!(end.contains(&dag.index()[&chosen]));
            prop_assert!(planner(&graph, &dag, &end).downgrade(&t).unwrap().is_empty());
        }
    }

    #[test]
    fn every_plan_to_any_revision_is_valid(
        (dag, applied) in dag_and_applied(150),
        pick in any::<proptest::sample::Index>(),
    ) {
        let graph = dag.graph();
        let chosen = &dag.ids[pick.index(dag.ids.len())];
        let up = planner(&graph, &dag, &applied).upgrade(&target(chosen)).unwrap();
        let end = play(&dag, &applied, &up)?;
        // Exactly the target's closure was added.
        let i = dag.index()[chosen];
        let mut expected = applied.clone();
        expected.extend(dag.closure([i]));
        prop_assert_eq!(end, expected);
        // Any downgrade plan (when it plans at all) is valid too.
        if let Ok(down) = planner(&graph, &dag, &applied).downgrade(&target(chosen)) {
            play(&dag, &applied, &down)?;
        }
    }

    #[test]
    fn plans_do_not_depend_on_input_order(
        (dag, applied) in dag_and_applied(120),
        seed in any::<u64>(),
    ) {
        let graph = dag.graph();
        let mut shuffled = dag.revisions();
        let len = shuffled.len();
        let mut state = seed;
        for i in (1..len).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (state >> 33) as usize % (i + 1));
        }
        let other = RevisionGraph::new(shuffled).unwrap();
        let a = planner(&graph, &dag, &applied).upgrade(&target("heads")).unwrap();
        let b = planner(&other, &dag, &applied).upgrade(&target("heads")).unwrap();
        prop_assert_eq!(a, b);
        let a = planner(&graph, &dag, &applied).downgrade(&target("base")).unwrap();
        let b = planner(&other, &dag, &applied).downgrade(&target("base")).unwrap();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn stamp_heads_records_everything_and_stamp_base_nothing((dag, applied) in dag_and_applied(150)) {
        let graph = dag.graph();
        let p = planner(&graph, &dag, &applied);
        let stamp = p.stamp(&[target("heads")], false).unwrap();
        prop_assert_eq!(stamp.add.len(), dag.ids.len() - applied.len());
        prop_assert!(stamp.remove.is_empty());
        let stamp = p.stamp(&[target("base")], false).unwrap();
        prop_assert_eq!(stamp.remove.len(), applied.len());
        prop_assert!(stamp.add.is_empty());
    }

    #[test]
    fn target_parser_never_panics(text in ".{0,24}") {
        let _ = text.parse::<Target>();
    }

    #[test]
    fn resolving_any_target_text_never_panics(
        (dag, applied) in dag_and_applied(60),
        text in "[a-z0-9_@+\\-]{0,12}|(r00[0-9]|head|heads|base)(@(head|heads|base|r00[0-9]))?([+-][0-9])?",
    ) {
        let graph = dag.graph();
        if let Ok(t) = text.parse::<Target>() {
            let p = planner(&graph, &dag, &applied);
            if let Ok(plan) = p.upgrade(&t) {
                play(&dag, &applied, &plan)?;
            }
            if let Ok(plan) = p.downgrade(&t) {
                play(&dag, &applied, &plan)?;
            }
            let _ = p.stamp(&[t], false);
        }
    }
}
