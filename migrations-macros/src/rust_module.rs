//! Finding the `Migration` value of a Rust migration module.
//!
//! The embedded set holds a `&'static dyn Migration` for each Rust migration, so the macro
//! must name a value that lives in a `static`. It reads the module with `syn` and looks, at
//! its top level, for the one `impl … Migration for T`. Then:
//!
//! * a `pub` `static` or `const` of type `T` declared in the module is that value (for types
//!   that hold data);
//! * otherwise `T` must be a `pub` unit struct declared in the module (`pub struct AddUsers;`),
//!   and the value is `T` itself.

use std::fs;
use std::path::Path;

use proc_macro2::Ident;
use quote::ToTokens;
use syn::{Fields, Item, Type, Visibility};

/// A migration file: as shown to the user, and where it is.
pub(crate) struct Located<'a> {
    pub(crate) shown: String,
    pub(crate) path: &'a Path,
}

/// How the generated code reaches a Rust migration's value, from the module's parent.
pub(crate) enum MigrationValue {
    /// A `pub` unit struct, or a `pub static` / `pub const`, declared in the module.
    Item(Ident),
    /// The file is not valid Rust. The module is still compiled, so that the compiler reports
    /// the syntax errors where they are; the message says to look at them.
    Unparseable(String),
}

pub(crate) fn find_migration_value(file: &Located<'_>) -> Result<MigrationValue, String> {
    let shown = &file.shown;
    let text =
        fs::read_to_string(file.path).map_err(|error| format!("can't read {shown}: {error}"))?;
    let module = match syn::parse_file(&text) {
        Ok(module) => module,
        Err(error) => {
            return Ok(MigrationValue::Unparseable(format!(
                "{shown}: the Rust migration is not valid Rust ({error}); see the compiler's \
                 errors in that file"
            )))
        }
    };

    let implementations: Vec<&Type> = module
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(implementation) => implementation.trait_.as_ref().and_then(|(path, _)| {
                let is_migration = path
                    .segments
                    .last()
                    .is_some_and(|segment| segment.ident == "Migration");
                let negative = implementation.modifiers.polarity.is_some();
                (is_migration && !negative).then_some(&*implementation.self_ty)
            }),
            _ => None,
        })
        .collect();
    let self_type = match implementations.as_slice() {
        [] => {
            return Err(format!(
                "{shown}: no type implements `Migration`; a Rust migration module declares \
                 one, such as `pub struct AddUsers;` with \
                 `#[pelican::async_trait] impl Migration for AddUsers {{ … }}`, at the top \
                 level of the file"
            ))
        }
        [one] => *one,
        several => {
            let names: Vec<String> = several.iter().map(|ty| type_text(ty)).collect();
            return Err(format!(
                "{shown}: {} types implement `Migration` ({}); a Rust migration module holds \
                 exactly one",
                several.len(),
                names.join(", ")
            ));
        }
    };
    let type_name = type_text(self_type);

    // A `static` or `const` of the type, for types that hold data.
    let value = module.items.iter().find_map(|item| match item {
        Item::Static(item) if type_text(&item.ty) == type_name => Some((&item.ident, &item.vis)),
        Item::Const(item) if type_text(&item.ty) == type_name => Some((&item.ident, &item.vis)),
        _ => None,
    });
    if let Some((ident, visibility)) = value {
        if matches!(visibility, Visibility::Inherited) {
            return Err(format!(
                "{shown}: `{ident}` is private; make it `pub` so the embedded set can refer \
                 to it"
            ));
        }
        return Ok(MigrationValue::Item(ident.clone()));
    }

    let not_a_unit_struct = || {
        format!(
            "{shown}: `Migration` is implemented for `{type_name}`, which is not a unit struct \
             declared in this file; the embedded set holds a `&'static dyn Migration`, so \
             declare `pub struct {type_name};`, or add `pub static MIGRATION: {type_name} = …;` \
             to the file"
        )
    };
    let Type::Path(path) = self_type else {
        return Err(not_a_unit_struct());
    };
    let Some(ident) = path
        .qself
        .is_none()
        .then(|| path.path.get_ident())
        .flatten()
    else {
        return Err(not_a_unit_struct());
    };
    let declaration = module.items.iter().find_map(|item| match item {
        Item::Struct(item) if item.ident == *ident => Some(item),
        _ => None,
    });
    match declaration {
        Some(item) if matches!(item.fields, Fields::Unit) && item.generics.params.is_empty() => {
            if matches!(item.vis, Visibility::Inherited) {
                return Err(format!(
                    "{shown}: `struct {ident}` is private; make it `pub struct {ident};` so \
                     the embedded set can refer to it"
                ));
            }
            Ok(MigrationValue::Item(ident.clone()))
        }
        _ => Err(not_a_unit_struct()),
    }
}

/// A type as written, without the spaces tokens print with (`Vec < u8 >` → `Vec<u8>`).
fn type_text(ty: &Type) -> String {
    ty.to_token_stream()
        .to_string()
        .replace(" :: ", "::")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
}
