//! Who uses what, for ordering and for what a change takes with it: the snapshot's
//! dependencies (`pg_depend`) when it has them. A snapshot without any (built by hand, or a
//! schema with nothing that uses anything) leaves the callers to read the definitions' text.

use std::collections::BTreeSet;

use super::renames::Confirmed;
use crate::schema::{
    ident, ColumnName, Dependencies, FunctionName, ObjectRef, QualifiedName, Snapshot, Table,
};

/// What the plan drops, renames or reshapes in the source snapshot, under whatever uses it.
#[derive(Debug, Default)]
pub(super) struct Reshaped {
    /// Some table loses a column, changes a column's type, or is renamed or dropped (or an
    /// enum type is replaced): what the text fallback goes by.
    pub(super) any: bool,
    /// Tables dropped or renamed.
    pub(super) tables: BTreeSet<QualifiedName>,
    /// Columns dropped, renamed, or whose type, collation or expression changes.
    pub(super) columns: BTreeSet<ColumnName>,
    /// The column types (as the snapshot prints them) of the enum types the plan replaces.
    pub(super) enums: BTreeSet<String>,
}

/// A table of the target, with the source table it comes from (same name, or renamed).
pub(super) type TablePair<'a> = (
    &'a QualifiedName,
    Option<(&'a QualifiedName, &'a Table)>,
    &'a Table,
);

impl Reshaped {
    /// What the tables' changes take from under a view: tables renamed or dropped, columns
    /// dropped, renamed or changing type, collation or expression (with `retyped_enums`, the
    /// column types of the enum types replaced).
    pub(super) fn of(
        from: &Snapshot,
        renames: &Confirmed,
        pairs: &[TablePair<'_>],
        retyped_enums: &BTreeSet<String>,
    ) -> Reshaped {
        let mut out = Reshaped {
            enums: retyped_enums.clone(),
            ..Reshaped::default()
        };
        out.tables.extend(renames.tables.keys().cloned());
        let sources: BTreeSet<&QualifiedName> =
            pairs.iter().filter_map(|p| p.1.map(|s| s.0)).collect();
        out.tables
            .extend(from.tables.keys().filter(|n| !sources.contains(n)).cloned());
        for (name, source, target) in pairs {
            let Some((source_name, source)) = source else {
                continue;
            };
            for old in &source.columns {
                let new = target
                    .columns
                    .iter()
                    .find(|c| renames.column_source(name, &c.name).unwrap_or(&c.name) == old.name);
                let changed = new.is_none_or(|new| {
                    new.name != old.name
                        || new.data_type != old.data_type
                        || new.collation != old.collation
                        // A new expression drops the column and adds it again.
                        || super::columns::recomputed(old, new)
                        || retyped_enums.contains(&old.data_type)
                });
                if changed {
                    out.columns.insert(ColumnName {
                        table: (*source_name).clone(),
                        name: old.name.clone(),
                    });
                }
            }
        }
        out.any = !out.tables.is_empty() || !out.columns.is_empty() || !retyped_enums.is_empty();
        out
    }

    /// Whether `used`, as the source snapshot names it, changes under what uses it.
    fn touches(&self, used: &ObjectRef, rebuilt: &BTreeSet<FunctionName>) -> bool {
        match used {
            ObjectRef::Relation(name) => self.tables.contains(name),
            ObjectRef::Column(column) => {
                self.columns.contains(column) || self.tables.contains(&column.table)
            }
            ObjectRef::Function(name) => rebuilt.contains(name),
            ObjectRef::Type(name) => self.enums.contains(&name.to_string()),
            _ => false,
        }
    }
}

/// `schema.name(`, as a call in another definition names it (the text fallback).
pub(super) fn call(name: &FunctionName) -> String {
    format!("{}.{}(", ident(&name.schema), ident(&name.name))
}

/// Whether `text` calls one of `functions`.
pub(super) fn calls_any(text: &str, functions: &BTreeSet<FunctionName>) -> bool {
    functions.iter().any(|f| text.contains(&call(f)))
}

/// Whether `snapshot` records who uses what (else the text of definitions has to do).
pub(super) fn known(snapshot: &Snapshot) -> bool {
    !snapshot.dependencies.is_empty()
}

/// What `object` uses directly.
pub(super) fn uses<'a>(
    dependencies: &'a Dependencies,
    object: &ObjectRef,
) -> impl Iterator<Item = &'a ObjectRef> {
    dependencies.get(object).into_iter().flatten()
}

/// Whether `object` uses directly something that `reshaped` or `rebuilt` changes.
pub(super) fn uses_changed(
    dependencies: &Dependencies,
    object: &ObjectRef,
    reshaped: &Reshaped,
    rebuilt: &BTreeSet<FunctionName>,
) -> bool {
    uses(dependencies, object).any(|used| reshaped.touches(used, rebuilt))
}

/// Everything `object` uses, directly or through what it uses.
pub(super) fn reach(dependencies: &Dependencies, object: &ObjectRef) -> BTreeSet<ObjectRef> {
    let mut seen = BTreeSet::new();
    let mut next = vec![object];
    while let Some(current) = next.pop() {
        for used in uses(dependencies, current) {
            if seen.insert(used.clone()) {
                next.push(used);
            }
        }
    }
    seen
}

/// `names` in an order where each comes after those `refs` of it `dependencies` says it uses
/// (directly or through others); ties, and everything when nothing is known, by `names`'
/// own order, so the output is the same every time. A circle (which PostgreSQL can't build)
/// is broken at its first name.
pub(super) fn order<K: Clone>(
    names: &[K],
    dependencies: &Dependencies,
    refs: impl Fn(&K) -> ObjectRef,
) -> Vec<K> {
    let refs: Vec<ObjectRef> = names.iter().map(refs).collect();
    let reached: Vec<BTreeSet<ObjectRef>> = refs.iter().map(|r| reach(dependencies, r)).collect();
    let indices: Vec<usize> = (0..names.len()).collect();
    ordered_by(&indices, |&a, &b| reached[a].contains(&refs[b]))
        .into_iter()
        .map(|i| names[i].clone())
        .collect()
}

/// `names` so that each comes after every other one `after(name, other)` says it follows;
/// otherwise in their given order.
pub(super) fn ordered_by<K: Clone>(names: &[K], after: impl Fn(&K, &K) -> bool) -> Vec<K> {
    let mut left: Vec<&K> = names.iter().collect();
    let mut placed = Vec::with_capacity(names.len());
    while !left.is_empty() {
        let at = (0..left.len())
            .find(|&i| {
                left.iter()
                    .enumerate()
                    .all(|(j, other)| j == i || !after(left[i], other))
            })
            .unwrap_or(0);
        placed.push(left.remove(at).clone());
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(name: &str) -> ObjectRef {
        ObjectRef::Relation(QualifiedName::new("app", name))
    }

    #[test]
    fn order_follows_uses_through_others_and_ties_by_name() {
        let mut deps = Dependencies::new();
        // a_top uses m_mid through a function; m_mid uses z_base.
        let f = ObjectRef::Function(FunctionName {
            schema: "app".into(),
            name: "f".into(),
            arguments: String::new(),
        });
        deps.entry(rel("a_top")).or_default().insert(f.clone());
        deps.entry(f).or_default().insert(rel("m_mid"));
        deps.entry(rel("m_mid")).or_default().insert(rel("z_base"));
        let names = ["a_top", "b_alone", "m_mid", "z_base"].map(String::from);
        let got = order(&names, &deps, |n| rel(n));
        assert_eq!(got, ["b_alone", "z_base", "m_mid", "a_top"]);
        // Nothing known: the given order.
        assert_eq!(order(&names, &Dependencies::new(), |n| rel(n)), names);
    }

    #[test]
    fn a_circle_is_broken_at_its_first_name() {
        let mut deps = Dependencies::new();
        deps.entry(rel("a")).or_default().insert(rel("b"));
        deps.entry(rel("b")).or_default().insert(rel("a"));
        let names = ["a", "b", "c"].map(String::from);
        assert_eq!(order(&names, &deps, |n| rel(n)), ["c", "a", "b"]);
    }
}
