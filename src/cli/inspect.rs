//! The commands that read: `current`, `history`, `heads`, `branches`, `show`, `graph`.

use std::collections::HashSet;

use serde_json::Value;

use super::args::{GraphArgs, GraphFormat, HeadsArgs, HistoryArgs, ShowArgs};
use super::describe::{block, history_line, short_line, to_json, DbState};
use super::error::CliError;
use super::output::{Paint, Style};
use super::Context;
use crate::diagram::{
    terminal_lines, to_dot, to_mermaid, DiagramLine, Marks, NodeState, Tag, LEGEND,
};
use crate::migration::MigrationSet;
use crate::plan::Planner;
use crate::revision::RevisionId;
use crate::target::Target;

/// `current`: the database's current heads, one per line, the id first.
pub(crate) async fn current(ctx: &mut Context, as_json: bool) -> Result<(), CliError> {
    let set = ctx.migrations()?;
    let db = read_db_state(ctx, &set).await?;
    warn_about_db(ctx, &db);
    // A failed revision is shown beside the heads, never hidden behind its parent: part of
    // it may be applied.
    let failed: Vec<&str> = db.status.failed.iter().map(|(id, _)| id.as_str()).collect();
    let heads = db.status.current_heads.clone();
    if as_json {
        let list = heads
            .iter()
            .map(RevisionId::as_str)
            .chain(failed.iter().copied())
            .filter_map(|id| set.get(id))
            .map(|entry| to_json(&set, entry, Some(&db)))
            .collect();
        ctx.out.print_json(&Value::Array(list));
        return Ok(());
    }
    if heads.is_empty() && failed.is_empty() {
        ctx.out.say("The database has no revision applied.");
    }
    let style = ctx.out.out_style;
    let verbose = ctx.out.verbosity >= super::output::Verbosity::Verbose;
    let shown = heads
        .iter()
        .map(RevisionId::as_str)
        .chain(failed.iter().copied());
    for (i, id) in shown.enumerate() {
        let mark = if failed.contains(&id) {
            format!(" {}", style.paint(Paint::Bad, "(failed)"))
        } else {
            String::new()
        };
        if verbose {
            let Some(entry) = set.get(id) else {
                continue;
            };
            if i > 0 {
                ctx.out.print("");
            }
            for line in block(&set, entry, Some(&db), &style) {
                ctx.out.print(line);
            }
        } else {
            ctx.out
                .print(format!("{}{mark}", short_line(&set, id, &style)));
        }
    }
    Ok(())
}

/// `heads`.
pub(crate) fn heads(ctx: &mut Context, args: &HeadsArgs) -> Result<(), CliError> {
    let set = ctx.migrations()?;
    let graph = set.graph();
    let heads: Vec<RevisionId> = if args.resolve_dependencies {
        graph.effective_heads().into_iter().cloned().collect()
    } else {
        graph.heads().into_iter().cloned().collect()
    };
    print_revisions(ctx, &set, &heads, args.json, |set, id, style| {
        short_line(set, id, style)
    });
    Ok(())
}

/// `branches`: each branch point, then its children.
pub(crate) fn branches(ctx: &mut Context, as_json: bool) -> Result<(), CliError> {
    let set = ctx.migrations()?;
    let graph = set.graph();
    let points: Vec<RevisionId> = graph
        .topological_order()
        .into_iter()
        .filter(|id| graph.is_branch_point(id.as_str()))
        .cloned()
        .collect();
    if as_json {
        print_revisions(ctx, &set, &points, true, |_, _, _| String::new());
        return Ok(());
    }
    let style = ctx.out.out_style;
    let with_message = |set: &MigrationSet, id: &str| {
        let mut line = short_line(set, id, &style);
        if let Some(entry) = set.get(id) {
            if !entry.revision().message().is_empty() {
                line.push_str(", ");
                line.push_str(entry.revision().message());
            }
        }
        line
    };
    for point in &points {
        ctx.out.print(with_message(&set, point.as_str()));
        for child in graph.children(point.as_str()) {
            ctx.out
                .print(format!("  -> {}", with_message(&set, child.as_str())));
        }
    }
    Ok(())
}

/// `show REV`.
pub(crate) fn show(ctx: &mut Context, args: &ShowArgs) -> Result<(), CliError> {
    let set = ctx.migrations()?;
    let id = resolve_one(&set, &args.revision, None)?;
    let Some(entry) = set.get(id.as_str()) else {
        return Err(crate::Error::UnknownRevision { id: id.to_string() }.into());
    };
    if args.json {
        ctx.out.print_json(&to_json(&set, entry, None));
        return Ok(());
    }
    let style = ctx.out.out_style;
    for line in block(&set, entry, None, &style) {
        ctx.out.print(line);
    }
    Ok(())
}

/// `history`: the revisions newest first, optionally within a range, marked with the
/// database's state when a database is given.
pub(crate) async fn history(ctx: &mut Context, args: &HistoryArgs) -> Result<(), CliError> {
    let set = ctx.migrations()?;
    let range = args.rev_range.as_deref().map(parse_range).transpose()?;
    let mentions_current = range
        .as_ref()
        .is_some_and(|(start, end)| *start == Some("current") || *end == Some("current"));
    let db = if ctx.has_database() || mentions_current {
        let db = read_db_state(ctx, &set).await?;
        warn_about_db(ctx, &db);
        Some(db)
    } else {
        None
    };
    if args.graph {
        let marks = marks(&set, db.as_ref());
        let style = ctx.out.out_style;
        for line in terminal_lines(set.graph(), &marks) {
            ctx.out.print(paint_diagram_line(&line, &style));
        }
        if db.is_some() {
            ctx.out.say(LEGEND);
        }
        return Ok(());
    }
    let selected = match range {
        Some((start, end)) => Some(select_range(&set, start, end, db.as_ref())?),
        None => None,
    };
    let mut order: Vec<RevisionId> = set
        .graph()
        .topological_order()
        .into_iter()
        .cloned()
        .collect();
    order.reverse();
    order.retain(|id| selected.as_ref().is_none_or(|s| s.contains(id)));

    if args.json {
        let list = order
            .iter()
            .filter_map(|id| set.get(id.as_str()))
            .map(|entry| to_json(&set, entry, db.as_ref()))
            .collect();
        ctx.out.print_json(&Value::Array(list));
        return Ok(());
    }
    let style = ctx.out.out_style;
    let verbose = ctx.out.verbosity >= super::output::Verbosity::Verbose;
    for (i, id) in order.iter().enumerate() {
        let Some(entry) = set.get(id.as_str()) else {
            continue;
        };
        if verbose {
            if i > 0 {
                ctx.out.print("");
            }
            for line in block(&set, entry, db.as_ref(), &style) {
                ctx.out.print(line);
            }
        } else {
            ctx.out
                .print(history_line(&set, entry, db.as_ref(), &style));
        }
    }
    Ok(())
}

/// `graph --format dot|mermaid`, marked with the database's state when a database is given.
pub(crate) async fn graph(ctx: &mut Context, args: &GraphArgs) -> Result<(), CliError> {
    let set = ctx.migrations()?;
    let db = if ctx.has_database() {
        Some(read_db_state(ctx, &set).await?)
    } else {
        None
    };
    let marks = marks(&set, db.as_ref());
    let text = match args.format {
        GraphFormat::Dot => to_dot(set.graph(), &marks),
        GraphFormat::Mermaid => to_mermaid(set.graph(), &marks),
    };
    ctx.out.print_raw(&text);
    Ok(())
}

/// What to mark applied in a drawing.
fn marks(set: &MigrationSet, db: Option<&DbState>) -> Marks {
    match db {
        Some(db) => Marks::from_applied(set.graph(), &db.status.applied),
        None => Marks::none(),
    }
}

/// A line of the terminal drawing, colored when colors are on: the revision's glyph by its
/// state, its id, and `(current)`.
fn paint_diagram_line(line: &DiagramLine, style: &Style) -> String {
    let Some(node) = line.node.as_ref().filter(|_| style.enabled()) else {
        return line.render_plain();
    };
    let (before, glyph_and_after) = line.graph.split_at(node.glyph_index.min(line.graph.len()));
    let (glyph, after) = glyph_and_after.split_at(glyph_and_after.len().min(1));
    let glyph = match node.state {
        NodeState::Current | NodeState::Applied => style.paint(Paint::Good, glyph),
        NodeState::NotApplied => glyph.to_owned(),
    };
    let mut text = format!(
        "{before}{glyph}{after}{}",
        style.paint(Paint::Id, node.revision.as_str())
    );
    for tag in &node.tags {
        text.push(' ');
        match tag {
            Tag::Current => text.push_str(&style.paint(Paint::Good, tag.to_string())),
            _ => text.push_str(&tag.to_string()),
        }
    }
    if !node.message.is_empty() {
        text.push(' ');
        text.push_str(&node.message);
    }
    text
}

/// Splits `START:END`; either side may be empty.
fn parse_range(text: &str) -> Result<(Option<&str>, Option<&str>), CliError> {
    let Some((start, end)) = text.split_once(':') else {
        return Err(CliError::Usage(format!(
            "'{text}' is not a range; write START:END, where either side may be empty \
             (base:head, ae10:, :current)"
        )));
    };
    fn side(s: &str) -> Option<&str> {
        Some(s.trim()).filter(|s| !s.is_empty())
    }
    Ok((side(start), side(end)))
}

/// The revisions between `start` and `end`, both included: descendants of the start that are
/// ancestors of the end.
fn select_range(
    set: &MigrationSet,
    start: Option<&str>,
    end: Option<&str>,
    db: Option<&DbState>,
) -> Result<HashSet<RevisionId>, CliError> {
    let graph = set.graph();
    let side = |text: &str| -> Result<Vec<RevisionId>, CliError> {
        if text == "current" {
            return Ok(db
                .map(|db| db.status.current_heads.clone())
                .unwrap_or_default());
        }
        resolve(set, text, db)
    };
    let mut selected: HashSet<RevisionId> = match end {
        None => graph.revisions().map(|r| r.id().clone()).collect(),
        Some(end) => {
            let mut upper = HashSet::new();
            for id in side(end)? {
                upper.extend(graph.ancestors(id.as_str()).into_iter().cloned());
                upper.insert(id);
            }
            upper
        }
    };
    if let Some(start) = start {
        let starts = side(start)?;
        // `base`, or a database with nothing applied: no lower bound.
        if !starts.is_empty() {
            let mut lower = HashSet::new();
            for id in starts {
                lower.extend(graph.descendants(id.as_str()).into_iter().cloned());
                lower.insert(id);
            }
            selected.retain(|id| lower.contains(id));
        }
    }
    Ok(selected)
}

/// The revisions a target names (`head`, a prefix, a label, `<label>@head`, `-1` ...),
/// relative to the database's state when known.
pub(crate) fn resolve(
    set: &MigrationSet,
    text: &str,
    db: Option<&DbState>,
) -> Result<Vec<RevisionId>, CliError> {
    let target: Target = text.parse().map_err(crate::Error::from)?;
    let applied: Vec<&RevisionId> = db
        .map(|db| db.status.applied.iter().collect())
        .unwrap_or_default();
    let planner = Planner::new(set.graph(), applied).map_err(crate::Error::from)?;
    let ids = planner.resolve(&target).map_err(crate::Error::from)?;
    Ok(ids.into_iter().cloned().collect())
}

/// The one revision a target names.
pub(crate) fn resolve_one(
    set: &MigrationSet,
    text: &str,
    db: Option<&DbState>,
) -> Result<RevisionId, CliError> {
    let mut ids = resolve(set, text, db)?;
    match ids.len() {
        1 => Ok(ids.remove(0)),
        0 => Err(CliError::NoRevision {
            target: text.to_owned(),
        }),
        _ => Err(CliError::SeveralRevisions {
            target: text.to_owned(),
            revisions: ids,
        }),
    }
}

/// Reads the database's state: the comparison with the migrations and every history row.
pub(crate) async fn read_db_state(ctx: &Context, set: &MigrationSet) -> Result<DbState, CliError> {
    let client = ctx.connect().await?;
    let migrator = ctx.migrator(set.clone());
    let status = migrator.status(&client).await?;
    let rows = migrator
        .history(&client)
        .await?
        .into_iter()
        .map(|row| (row.revision.clone(), row))
        .collect();
    Ok(DbState { status, rows })
}

/// Warns on stderr about what `check` would fail on in the database, so that listings don't
/// hide it.
fn warn_about_db(ctx: &Context, db: &DbState) {
    let status = &db.status;
    if !status.unknown.is_empty() {
        ctx.out.warn(format!(
            "the database records revisions these migrations don't have: {}",
            status.unknown.join(", ")
        ));
    }
    for (revision, _) in &status.failed {
        ctx.out.warn(format!(
            "revision {revision} is marked failed in the database (see `{} status`)",
            ctx.program
        ));
    }
    for mismatch in &status.checksum_mismatches {
        ctx.out.warn(format!(
            "revision {} ({}) changed since it was applied (see `{} status`)",
            mismatch.revision, mismatch.file, ctx.program
        ));
    }
}

/// Prints revisions one per line (or as `-v` blocks, or JSON).
fn print_revisions(
    ctx: &mut Context,
    set: &MigrationSet,
    ids: &[RevisionId],
    as_json: bool,
    line: impl Fn(&MigrationSet, &str, &super::output::Style) -> String,
) {
    if as_json {
        let list = ids
            .iter()
            .filter_map(|id| set.get(id.as_str()))
            .map(|entry| to_json(set, entry, None))
            .collect();
        ctx.out.print_json(&Value::Array(list));
        return;
    }
    let style = ctx.out.out_style;
    let verbose = ctx.out.verbosity >= super::output::Verbosity::Verbose;
    for (i, id) in ids.iter().enumerate() {
        if verbose {
            let Some(entry) = set.get(id.as_str()) else {
                continue;
            };
            if i > 0 {
                ctx.out.print("");
            }
            for text in block(set, entry, None, &style) {
                ctx.out.print(text);
            }
        } else {
            ctx.out.print(line(set, id.as_str(), &style));
        }
    }
}
