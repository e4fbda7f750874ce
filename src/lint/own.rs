//! pelican's own rules: strong_migrations' checks that squawk lacks, and what only a revision
//! shows (its downgrade beside its upgrade, its transaction mode, the server's version).

use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SourceFile, SyntaxNode};

use super::objects::{concurrently, created, dropped, keyword, unqualified, was_created, Object};
use super::{RevisionContext, Severity};

/// The names of pelican's own statement rules, for the rule catalog.
pub(super) const RULES: [(&str, Severity); 6] = [
    ("prefer-jsonb", Severity::Warning),
    ("adding-exclusion-constraint", Severity::Error),
    ("index-with-many-columns", Severity::Warning),
    ("concurrent-index-before-14-4", Severity::Error),
    ("downgrade-drops-unrelated-object", Severity::Error),
    (
        "non-transactional-revision-not-retryable",
        Severity::Warning,
    ),
];

/// A finding before it is placed in its file: a byte offset in the text.
pub(super) struct Raw {
    pub(super) offset: usize,
    pub(super) rule: String,
    pub(super) severity: Severity,
    pub(super) message: String,
    pub(super) help: Option<String>,
}

fn raw(node: &SyntaxNode, rule: &'static str, message: String, help: &str) -> Raw {
    let severity = RULES
        .iter()
        .find(|(name, _)| *name == rule)
        .map_or(Severity::Error, |(_, severity)| *severity);
    Raw {
        offset: usize::from(node.text_range().start()),
        rule: rule.to_owned(),
        severity,
        message,
        help: Some(help.to_owned()),
    }
}

/// pelican's own findings in `file` (one SQL text) in `context`, and the objects the text
/// creates. For a downgrade, `upgrade_created` is what its upgrade created.
pub(super) fn check(
    file: &SourceFile,
    context: &RevisionContext,
    upgrade_created: Option<&[Object]>,
) -> (Vec<Raw>, Vec<Object>) {
    let mut findings = Vec::new();
    let mut all_created: Vec<Object> = Vec::new();
    let mut tables_created: Vec<String> = Vec::new();
    let mut not_retryable = 0;
    for statement in file.stmts() {
        let syntax = statement.syntax();
        prefer_jsonb(&statement, &mut findings);
        if let ast::Stmt::AlterTable(alter) = &statement {
            let table = alter.table_relation_name().map(|t| unqualified(t.syntax()));
            let new_table = table.is_some_and(|t| tables_created.contains(&t));
            if !new_table {
                adding_exclusion_constraint(alter, &mut findings);
            }
        }
        if let ast::Stmt::CreateIndex(index) = &statement {
            index_with_many_columns(index, &mut findings);
        }
        concurrent_index_before_14_4(&statement, context, &mut findings);
        if !context.transactional && !retryable(&statement) {
            not_retryable += 1;
            if not_retryable == 2 {
                findings.push(raw(
                    syntax,
                    "non-transactional-revision-not-retryable",
                    "this revision runs without a transaction, and this is its second statement \
                     that can't run twice: if it fails, the ones before it stay applied, the \
                     revision isn't recorded, and the rerun fails on them"
                        .to_owned(),
                    "give each non-transactional statement a revision of its own, or make the \
                     statements rerunnable (`IF NOT EXISTS`, `IF EXISTS`)",
                ));
            }
        }
        let made = created(&statement);
        tables_created.extend(
            made.iter()
                .filter(|o| o.kind == "table")
                .map(|o| o.name.clone()),
        );
        all_created.extend(made);
    }
    if let (true, Some(made)) = (context.downgrade, upgrade_created) {
        downgrade_drops_unrelated_object(file, made, &mut findings);
    }
    (findings, all_created)
}

/// `json` columns: no equality operator, and the text kept as written.
fn prefer_jsonb(statement: &ast::Stmt, findings: &mut Vec<Raw>) {
    if !matches!(
        statement,
        ast::Stmt::CreateTable(_) | ast::Stmt::AlterTable(_)
    ) {
        return;
    }
    for path in statement
        .syntax()
        .descendants()
        .filter_map(ast::PathType::cast)
    {
        if unqualified(path.syntax()) == "json" {
            findings.push(raw(
                path.syntax(),
                "prefer-jsonb",
                "`json` has no equality operator, so `SELECT DISTINCT`, `UNION` and `GROUP BY` \
                 over the column fail, and it keeps each value as text to parse again"
                    .to_owned(),
                "use `jsonb`",
            ));
        }
    }
}

/// `ADD CONSTRAINT ... EXCLUDE` on an existing table: every row checked under a lock that
/// blocks reads and writes, with no `NOT VALID` way around it.
fn adding_exclusion_constraint(alter: &ast::AlterTable, findings: &mut Vec<Raw>) {
    for action in alter.actions() {
        if let ast::AlterTableAction::AddConstraint(add) = action {
            if let Some(ast::Constraint::ExcludeConstraint(exclude)) = add.constraint() {
                findings.push(raw(
                    exclude.syntax(),
                    "adding-exclusion-constraint",
                    "adding an exclusion constraint checks every row while the table is locked \
                     against reads and writes, and it can't be added `NOT VALID`"
                        .to_owned(),
                    "declare it when the table is created, or add it in a maintenance window \
                     (see docs/operations.md)",
                ));
            }
        }
    }
}

/// A non-unique index over more than three columns.
fn index_with_many_columns(index: &ast::CreateIndex, findings: &mut Vec<Raw>) {
    if index.unique_token().is_some() {
        return;
    }
    let columns = index
        .partition_item_list()
        .map_or(0, |list| list.partition_items().count());
    if columns > 3 {
        findings.push(raw(
            index.syntax(),
            "index-with-many-columns",
            format!(
                "a non-unique index over {columns} columns rarely serves queries better than \
                 one over its first three, and every write pays for all of them"
            ),
            "index the three most selective columns; add more only when a query plan shows \
             the need",
        ));
    }
}

/// `CONCURRENTLY` index builds on PostgreSQL 14.0 to 14.3, which can corrupt the index.
fn concurrent_index_before_14_4(
    statement: &ast::Stmt,
    context: &RevisionContext,
    findings: &mut Vec<Raw>,
) {
    let Some((14, minor)) = context.postgres_version else {
        return;
    };
    if minor >= 4 {
        return;
    }
    // The bug is in concurrent builds: CREATE INDEX and REINDEX, not drops or detaches.
    let builds = matches!(statement, ast::Stmt::CreateIndex(_) | ast::Stmt::Reindex(_));
    if builds && concurrently(statement).is_some() {
        findings.push(raw(
            statement.syntax(),
            "concurrent-index-before-14-4",
            format!(
                "PostgreSQL 14.{minor} can silently corrupt an index built or rebuilt \
                 `CONCURRENTLY` (fixed in 14.4)"
            ),
            "upgrade the server to 14.4 or later first; then rebuild the indexes built \
             concurrently on 14.0 to 14.3",
        ));
    }
}

/// In a downgrade, drops of objects its upgrade didn't create.
fn downgrade_drops_unrelated_object(file: &SourceFile, made: &[Object], findings: &mut Vec<Raw>) {
    for statement in file.stmts() {
        for object in dropped(&statement) {
            if !was_created(&object, made) {
                findings.push(raw(
                    statement.syntax(),
                    "downgrade-drops-unrelated-object",
                    format!(
                        "this downgrade drops {} `{}`, which its upgrade didn't create: it \
                         destroys what an earlier revision made, and its data",
                        object.kind, object.name
                    ),
                    "a downgrade undoes its own upgrade only; if this drop is meant, say why \
                     with an ignore",
                ));
            }
        }
    }
}

/// Whether running `statement` a second time is harmless: guarded DDL, settings, reads.
fn retryable(statement: &ast::Stmt) -> bool {
    let syntax = statement.syntax();
    let guarded = syntax.descendants().any(|node| {
        ast::IfExists::can_cast(node.kind())
            || ast::IfNotExists::can_cast(node.kind())
            || ast::OrReplace::can_cast(node.kind())
    });
    match statement {
        ast::Stmt::Insert(insert) => insert.on_conflict_clause().is_some(),
        ast::Stmt::AlterTable(alter) => alter.actions().all(|action| match action {
            ast::AlterTableAction::AddColumn(a) => a.if_not_exists().is_some(),
            ast::AlterTableAction::DropColumn(d) => d.if_exists().is_some(),
            ast::AlterTableAction::DropConstraint(d) => d.if_exists().is_some(),
            ast::AlterTableAction::AddConstraint(_)
            | ast::AlterTableAction::RenameColumn(_)
            | ast::AlterTableAction::RenameConstraint(_) => false,
            other => !renames(other.syntax()),
        }),
        _ => {
            let kind = format!("{:?}", syntax.kind());
            if kind.starts_with("CREATE") || kind.starts_with("DROP") {
                guarded
            } else if kind.starts_with("ALTER") {
                guarded || !(renames(syntax) || keyword(syntax, "add").is_some())
            } else {
                true
            }
        }
    }
}

/// Whether `node` renames something (`RENAME TO`, `RENAME COLUMN`, `RENAME VALUE`).
fn renames(node: &SyntaxNode) -> bool {
    keyword(node, "rename").is_some()
}
