//! The objects a statement creates and drops, by kind and name: what the downgrade rule
//! compares (a `-- down` should drop only what its `-- up` created).

use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::SyntaxNode;

/// A schema object as a statement names it: its kind and its unqualified name (columns are
/// `table.column`), folded to lower case unless quoted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Object {
    pub(super) kind: &'static str,
    pub(super) name: String,
}

impl Object {
    fn new(kind: &'static str, node: &SyntaxNode) -> Self {
        Object {
            kind,
            name: unqualified(node),
        }
    }
}

/// The last dotted part of a name as written, without its quotes (folded to lower case when
/// unquoted, as PostgreSQL does) and without an argument list (`f(int)` → `f`).
pub(super) fn unqualified(node: &SyntaxNode) -> String {
    let text: String = node
        .text()
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                was_quoted = true;
            }
            '.' if !quoted => {
                parts.push((std::mem::take(&mut part), std::mem::take(&mut was_quoted)))
            }
            '(' if !quoted => break,
            _ => part.push(c),
        }
    }
    parts.push((part, was_quoted));
    let (last, quoted) = parts.pop().unwrap_or_default();
    if quoted {
        last
    } else {
        last.to_lowercase()
    }
}

/// The objects `statement` creates. A constraint or index created without a name is recorded
/// under the name `*` (PostgreSQL picks one the text doesn't show).
pub(super) fn created(statement: &ast::Stmt) -> Vec<Object> {
    let one =
        |kind, node: Option<&SyntaxNode>| node.map(|n| Object::new(kind, n)).into_iter().collect();
    let unnamed = |kind| {
        vec![Object {
            kind,
            name: "*".to_owned(),
        }]
    };
    match statement {
        ast::Stmt::CreateTable(s) => one("table", s.table_name().as_ref().map(AstNode::syntax)),
        ast::Stmt::CreateTableAs(s) => one("table", s.table_name().as_ref().map(AstNode::syntax)),
        ast::Stmt::CreateView(s) => one("view", s.view().as_ref().map(AstNode::syntax)),
        ast::Stmt::CreateMaterializedView(s) => one("view", s.view().as_ref().map(AstNode::syntax)),
        ast::Stmt::CreateIndex(s) => match s.index() {
            Some(index) => vec![Object::new("index", index.syntax())],
            None => unnamed("index"),
        },
        ast::Stmt::CreateType(s) => one("type", s.type_name().as_ref().map(AstNode::syntax)),
        ast::Stmt::CreateDomain(s) => one("type", s.domain().as_ref().map(AstNode::syntax)),
        ast::Stmt::CreateSequence(s) => one("sequence", s.sequence().as_ref().map(AstNode::syntax)),
        ast::Stmt::CreateSchema(s) => one(
            "schema",
            s.create_schema_target().as_ref().map(AstNode::syntax),
        ),
        ast::Stmt::CreateFunction(s) => one("function", s.name().as_ref().map(AstNode::syntax)),
        ast::Stmt::CreateProcedure(s) => one("function", s.name().as_ref().map(AstNode::syntax)),
        ast::Stmt::CreateExtension(s) => {
            one("extension", s.extension().as_ref().map(AstNode::syntax))
        }
        ast::Stmt::CreateTrigger(s) => one("trigger", s.trigger().as_ref().map(AstNode::syntax)),
        ast::Stmt::CreatePolicy(s) => one("policy", s.policy().as_ref().map(AstNode::syntax)),
        ast::Stmt::AlterTable(s) => {
            let Some(table) = s.table_relation_name().map(|t| unqualified(t.syntax())) else {
                return Vec::new();
            };
            let mut objects = Vec::new();
            for action in s.actions() {
                match action {
                    ast::AlterTableAction::AddColumn(add) => {
                        if let Some(column) = add.column_name() {
                            objects.push(Object {
                                kind: "column",
                                name: format!("{table}.{}", unqualified(column.syntax())),
                            });
                        }
                        // A column's own constraints get names PostgreSQL picks.
                        objects.extend(unnamed("constraint"));
                    }
                    ast::AlterTableAction::AddConstraint(add) => {
                        let name = add
                            .syntax()
                            .descendants()
                            .find_map(ast::ConstraintName::cast);
                        match name {
                            Some(name) => objects.push(Object::new("constraint", name.syntax())),
                            None => objects.extend(unnamed("constraint")),
                        }
                    }
                    _ => {}
                }
            }
            objects
        }
        _ => Vec::new(),
    }
}

/// The objects `statement` drops, each with the byte offset of the statement.
pub(super) fn dropped(statement: &ast::Stmt) -> Vec<Object> {
    let all = |kind, nodes: Vec<SyntaxNode>| nodes.iter().map(|n| Object::new(kind, n)).collect();
    let syntax = |nodes: &mut dyn Iterator<Item = SyntaxNode>| nodes.collect::<Vec<_>>();
    match statement {
        ast::Stmt::DropTable(s) => all(
            "table",
            syntax(&mut s.table_name_refs().map(|n| n.syntax().clone())),
        ),
        ast::Stmt::DropView(s) => all(
            "view",
            syntax(&mut s.view_refs().map(|n| n.syntax().clone())),
        ),
        ast::Stmt::DropMaterializedView(s) => all(
            "view",
            syntax(&mut s.view_refs().map(|n| n.syntax().clone())),
        ),
        ast::Stmt::DropIndex(s) => all(
            "index",
            syntax(&mut s.index_refs().map(|n| n.syntax().clone())),
        ),
        ast::Stmt::DropType(s) => all(
            "type",
            syntax(&mut s.type_name_refs().map(|n| n.syntax().clone())),
        ),
        ast::Stmt::DropDomain(s) => all(
            "type",
            syntax(&mut s.domain_refs().map(|n| n.syntax().clone())),
        ),
        ast::Stmt::DropSequence(s) => all(
            "sequence",
            syntax(&mut s.sequence_refs().map(|n| n.syntax().clone())),
        ),
        ast::Stmt::DropSchema(s) => all(
            "schema",
            syntax(&mut s.schema_refs().map(|n| n.syntax().clone())),
        ),
        ast::Stmt::DropExtension(s) => all(
            "extension",
            syntax(&mut s.extension_refs().map(|n| n.syntax().clone())),
        ),
        ast::Stmt::DropFunction(s) => all(
            "function",
            s.function_sig_list()
                .map(|list| list.function_sigs().map(|n| n.syntax().clone()).collect())
                .unwrap_or_default(),
        ),
        ast::Stmt::DropProcedure(s) => all(
            "function",
            s.procedure_sig_list()
                .map(|list| list.syntax().children().collect())
                .unwrap_or_default(),
        ),
        ast::Stmt::DropTrigger(s) => all(
            "trigger",
            s.trigger_ref()
                .map(|n| n.syntax().clone())
                .into_iter()
                .collect(),
        ),
        ast::Stmt::DropPolicy(s) => all(
            "policy",
            s.policy_ref()
                .map(|n| n.syntax().clone())
                .into_iter()
                .collect(),
        ),
        ast::Stmt::AlterTable(s) => {
            let Some(table) = s.table_relation_name().map(|t| unqualified(t.syntax())) else {
                return Vec::new();
            };
            s.actions()
                .filter_map(|action| match action {
                    ast::AlterTableAction::DropColumn(drop) => {
                        drop.column_name_ref().map(|column| Object {
                            kind: "column",
                            name: format!("{table}.{}", unqualified(column.syntax())),
                        })
                    }
                    ast::AlterTableAction::DropConstraint(drop) => drop
                        .constraint_name_ref()
                        .map(|name| Object::new("constraint", name.syntax())),
                    _ => None,
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Whether `object`, dropped by a downgrade, is among what its upgrade `created`: the object
/// itself, a column of a table it created, or an index or constraint when the upgrade made
/// one without a name (the name PostgreSQL picked can't be checked).
pub(super) fn was_created(object: &Object, created: &[Object]) -> bool {
    created.iter().any(|c| {
        c.kind == object.kind && (c.name == object.name || c.name == "*")
            || (object.kind == "column"
                && c.kind == "table"
                && object.name.split('.').next() == Some(c.name.as_str()))
            // A unique or primary key constraint is also an index of the same name.
            || (object.kind == "index" && c.kind == "constraint" && (c.name == object.name || c.name == "*"))
            || (object.kind == "constraint" && c.kind == "index" && c.name == object.name)
    })
}

/// The table `statement` acts on, when it acts on one: the table an index is built on, the
/// table altered.
pub(super) fn acted_on(statement: &ast::Stmt) -> Option<String> {
    match statement {
        ast::Stmt::AlterTable(s) => s.table_relation_name().map(|t| unqualified(t.syntax())),
        ast::Stmt::CreateIndex(s) => s.table_relation_name().map(|t| unqualified(t.syntax())),
        _ => None,
    }
}

/// The keyword `word` (case-insensitive) among `node`'s tokens.
pub(super) fn keyword(node: &SyntaxNode, word: &str) -> Option<squawk_syntax::SyntaxToken> {
    node.descendants_with_tokens()
        .filter_map(|element| element.into_token())
        .find(|token| token.text().eq_ignore_ascii_case(word))
}

/// The `CONCURRENTLY` keyword of a statement that can't run inside a transaction block:
/// index builds and drops, `REINDEX`, `DETACH PARTITION`.
pub(super) fn concurrently(statement: &ast::Stmt) -> Option<squawk_syntax::SyntaxToken> {
    match statement {
        ast::Stmt::CreateIndex(index) => index.concurrently_token(),
        ast::Stmt::DropIndex(index) => index.concurrently_token(),
        ast::Stmt::Reindex(reindex) => keyword(reindex.syntax(), "concurrently"),
        ast::Stmt::AlterTable(alter) => alter.actions().find_map(|action| match action {
            ast::AlterTableAction::DetachPartition(detach) => {
                keyword(detach.syntax(), "concurrently")
            }
            _ => None,
        }),
        _ => None,
    }
}
