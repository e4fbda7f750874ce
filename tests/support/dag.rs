//! Building revision graphs from a compact spec, for tests.
//!
//! One revision per line: `id [< parent,parent] [~ dep,dep] [@ label,label] [! reason]`,
//! e.g. `f2 < f1 ~ c2 @ feature`.
#![allow(dead_code)]

use pelican::plan::Planner;
use pelican::{Revision, RevisionGraph};

pub fn revisions(spec: &str) -> Vec<Revision> {
    spec.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(revision)
        .collect()
}

fn revision(line: &str) -> Revision {
    let mut tokens = line.split_whitespace();
    let id = tokens.next().unwrap();
    let mut revision = Revision::new(id.parse().unwrap());
    while let Some(marker) = tokens.next() {
        let value = tokens
            .next()
            .unwrap_or_else(|| panic!("{line}: {marker} needs a value"));
        let list = || value.split(',').map(str::to_owned).collect::<Vec<_>>();
        revision = match marker {
            "<" => revision.with_parents(list().iter().map(|p| p.parse().unwrap()).collect()),
            "~" => revision.with_depends_on(list()),
            "@" => revision.with_branch_labels(list()),
            "!" => revision.with_irreversible(value),
            other => panic!("{line}: unknown marker {other}"),
        };
    }
    revision
}

pub fn graph(spec: &str) -> RevisionGraph {
    RevisionGraph::new(revisions(spec)).unwrap_or_else(|e| panic!("{e}"))
}

/// The ids an upgrade runs, or the error message.
pub fn up(graph: &RevisionGraph, applied: &[&str], target: &str) -> Result<Vec<String>, String> {
    let planner = Planner::new(graph, applied).map_err(|e| e.to_string())?;
    let target = target
        .parse()
        .map_err(|e: pelican::TargetError| e.to_string())?;
    let plan = planner.upgrade(&target).map_err(|e| e.to_string())?;
    Ok(plan.revisions().map(|r| r.to_string()).collect())
}

/// The ids a downgrade runs, or the error message.
pub fn down(graph: &RevisionGraph, applied: &[&str], target: &str) -> Result<Vec<String>, String> {
    let planner = Planner::new(graph, applied).map_err(|e| e.to_string())?;
    let target = target
        .parse()
        .map_err(|e: pelican::TargetError| e.to_string())?;
    let plan = planner.downgrade(&target).map_err(|e| e.to_string())?;
    Ok(plan.revisions().map(|r| r.to_string()).collect())
}

/// The applied set after `stamp targets`, sorted, or the error message.
pub fn stamp(
    graph: &RevisionGraph,
    applied: &[&str],
    targets: &[&str],
) -> Result<Vec<String>, String> {
    let planner = Planner::new(graph, applied).map_err(|e| e.to_string())?;
    let targets = targets
        .iter()
        .map(|t| t.parse())
        .collect::<Result<Vec<_>, pelican::TargetError>>()
        .map_err(|e| e.to_string())?;
    let stamp = planner.stamp(&targets, false).map_err(|e| e.to_string())?;
    let mut after: Vec<String> = applied
        .iter()
        .map(|s| s.to_string())
        .filter(|id| !stamp.remove.iter().any(|r| r == id.as_str()))
        .chain(stamp.add.iter().map(|r| r.to_string()))
        .collect();
    after.sort();
    Ok(after)
}

pub fn ids(list: &[&str]) -> Result<Vec<String>, String> {
    Ok(list.iter().map(|s| s.to_string()).collect())
}
