//! Build + validate + plan to `heads` for large DAGs (goal: < 100 ms for 100,000 revisions on
//! a 2-core machine, memory linear in the DAG).
//!
//! `cargo bench --bench planner`. Besides criterion's timings it prints the resident memory a
//! built graph takes, per revision, for 10,000 and 100,000 revisions.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use pelican::plan::Planner;
use pelican::{Revision, RevisionGraph, RevisionId, Target};

/// A deterministic 12-hex-digit id, like generated ones (not in creation order).
fn id(i: usize) -> RevisionId {
    let mixed = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16;
    format!("{mixed:012x}").parse().unwrap()
}

fn chain(n: usize) -> Vec<Revision> {
    (0..n)
        .map(|i| {
            let parents = if i == 0 { vec![] } else { vec![id(i - 1)] };
            Revision::new(id(i)).with_parents(parents)
        })
        .collect()
}

/// Two lines that merge every 20 revisions and fork again from the merge.
fn branchy(n: usize) -> Vec<Revision> {
    let mut revisions = vec![Revision::new(id(0))];
    let mut tips = [0usize, 0usize];
    for i in 1..n {
        let parents = if i % 20 == 0 {
            let merged = vec![id(tips[0]), id(tips[1])];
            tips = [i, i];
            merged
        } else {
            let side = i % 2;
            let parent = tips[side];
            tips[side] = i;
            vec![id(parent)]
        };
        revisions.push(Revision::new(id(i)).with_parents(parents));
    }
    revisions
}

/// Returns what it built so that criterion drops it outside the timed part: freeing 100,000
/// revisions is the allocator's cost, not the planner's.
fn build_and_plan(revisions: Vec<Revision>) -> (RevisionGraph, pelican::Plan) {
    let graph = RevisionGraph::new(revisions).unwrap();
    let heads: Target = "heads".parse().unwrap();
    let plan = Planner::new(&graph, std::iter::empty::<&str>())
        .unwrap()
        .upgrade(&heads)
        .unwrap();
    assert_eq!(plan.steps().len(), graph.len());
    (graph, plan)
}

fn resident_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn report_memory() {
    for n in [10_000, 100_000] {
        let revisions = branchy(n);
        let before = resident_bytes();
        let graph = RevisionGraph::new(revisions).unwrap();
        let after = resident_bytes();
        eprintln!(
            "memory: branchy DAG of {n} revisions: {:.1} MiB resident for the graph, {} bytes per revision",
            (after.saturating_sub(before)) as f64 / (1024.0 * 1024.0),
            after.saturating_sub(before) / n
        );
        drop(black_box(graph));
    }
}

fn planner_benches(c: &mut Criterion) {
    report_memory();
    let mut group = c.benchmark_group("build+validate+plan heads");
    group.sample_size(20);
    for (name, revisions) in [
        ("chain 100k", chain(100_000)),
        ("branchy 100k (merge every 20)", branchy(100_000)),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || revisions.clone(),
                |revs| black_box(build_and_plan(revs)),
                criterion::BatchSize::LargeInput,
            )
        });
    }
    // The same, with freeing the graph inside the timed part, for comparison.
    let chain = chain(100_000);
    group.bench_function("chain 100k, dropping the graph too", |b| {
        b.iter_batched(
            || chain.clone(),
            |revs| drop(black_box(build_and_plan(revs))),
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, planner_benches);
criterion_main!(benches);
