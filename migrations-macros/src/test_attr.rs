//! `#[pelican::test]`: an async test given a migrated, throwaway schema or database.
//!
//! ```ignore
//! #[pelican::test(migrations = MIGRATIONS, target = "b2", fixtures("tests/fixtures/users.sql"))]
//! #[pelican::test(migrations = MIGRATIONS, history_schema = "app_meta")]
//! async fn users_start_active(schema: TempSchema) { ... }
//! ```
//!
//! expands to a plain `#[test]` function that hands an inner `async fn` (the test as written)
//! to `pelican::__private::run_test`, which makes the runtime and the schema or database. The
//! argument's type picks which, through the `pelican::testing::Throwaway` trait, so a wrong
//! type is the trait's compile error, pointing at the type.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, FnArg, Ident, ItemFn, LitStr, Token};

/// What each option looks like, for messages.
const OPTIONS: &str = "`migrations = MIGRATIONS` (a static made by embed_migrations!) or \
                       `migrations = \"dir\"`, `target = \"revision\"`, \
                       `history_schema = \"schema\"` and `fixtures(\"file.sql\", ...)`";

/// The attribute's options.
#[derive(Default)]
struct Options {
    migrations: Option<Migrations>,
    target: Option<LitStr>,
    history_schema: Option<LitStr>,
    fixtures: Vec<LitStr>,
}

enum Migrations {
    /// An expression naming an `EmbeddedMigrations` (usually a static).
    Value(Expr),
    /// A directory to embed, relative to the crate's manifest directory.
    Dir(LitStr),
}

impl Parse for Options {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut options = Options::default();
        while !input.is_empty() {
            let name: Ident = input.parse().map_err(|error| {
                syn::Error::new(
                    error.span(),
                    format!("expected an option of #[pelican::test]: {OPTIONS}"),
                )
            })?;
            let repeated = || syn::Error::new(name.span(), format!("`{name}` is given twice"));
            match name.to_string().as_str() {
                "migrations" => {
                    input.parse::<Token![=]>()?;
                    if options.migrations.is_some() {
                        return Err(repeated());
                    }
                    options.migrations = Some(if input.peek(LitStr) {
                        Migrations::Dir(input.parse()?)
                    } else {
                        Migrations::Value(input.parse()?)
                    });
                }
                "target" => {
                    input.parse::<Token![=]>()?;
                    if options.target.is_some() {
                        return Err(repeated());
                    }
                    options.target = Some(input.parse().map_err(|error| {
                        syn::Error::new(
                            error.span(),
                            "expected the target as a string literal, such as target = \"head\"",
                        )
                    })?);
                }
                "history_schema" => {
                    input.parse::<Token![=]>()?;
                    if options.history_schema.is_some() {
                        return Err(repeated());
                    }
                    options.history_schema = Some(input.parse().map_err(|error| {
                        syn::Error::new(
                            error.span(),
                            "expected the schema as a string literal, such as history_schema = \"app_meta\"",
                        )
                    })?);
                }
                "fixtures" => {
                    let content;
                    syn::parenthesized!(content in input);
                    let files = content.parse_terminated(|stream: ParseStream<'_>| stream.parse::<LitStr>(), Token![,])
                        .map_err(|error| syn::Error::new(error.span(), "expected the fixture files as string literals, such as fixtures(\"tests/fixtures/users.sql\")"))?;
                    options.fixtures.extend(files);
                }
                other => {
                    return Err(syn::Error::new(
                        name.span(),
                        format!(
                        "unknown option `{other}` of #[pelican::test]; the options are {OPTIONS}"
                    ),
                    ))
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(options)
    }
}

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    match expand_checked(attr, item.clone()) {
        Ok(tokens) => tokens,
        // The function stays, so that the error is the only one (no "unused import").
        Err(error) => {
            let error = error.to_compile_error();
            quote!(#error #[allow(dead_code)] #item)
        }
    }
}

fn expand_checked(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let options: Options = syn::parse2(attr)?;
    let function: ItemFn = syn::parse2(item)?;
    let signature = &function.sig;
    if signature.asyncness.is_none() {
        return Err(syn::Error::new(
            signature.fn_token.span(),
            "#[pelican::test] functions must be `async fn`",
        ));
    }
    if !signature.generics.params.is_empty() {
        return Err(syn::Error::new(
            signature.generics.span(),
            "#[pelican::test] functions can't be generic",
        ));
    }
    let argument_type = match signature.inputs.iter().collect::<Vec<_>>().as_slice() {
        [FnArg::Typed(argument)] => argument.ty.clone(),
        _ => {
            return Err(syn::Error::new(
                signature.inputs.span().join(signature.paren_token.span.join()).unwrap_or_else(|| signature.ident.span()),
                "a #[pelican::test] function takes one argument, the schema or database it tests: \
                 `schema: pelican::testing::TempSchema` or `database: pelican::testing::TempDatabase`",
            ))
        }
    };

    let migrations = match &options.migrations {
        Some(Migrations::Value(expr)) => quote!(&#expr),
        Some(Migrations::Dir(dir)) => quote!(&::pelican::embed_migrations!(#dir)),
        None => quote!(&::pelican::embed_migrations!()),
    };
    let target = options.target.iter().map(|target| quote!(.target(#target)));
    let history_schema = options
        .history_schema
        .iter()
        .map(|schema| quote!(.history_schema(#schema)));
    let fixtures = options.fixtures.iter().map(|file| {
        // Read at compile time: a missing file is a compile error, and a changed one rebuilds.
        quote!(.fixture_sql(#file, ::core::include_str!(::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), "/", #file))))
    });

    let name = &signature.ident;
    let mut inner = signature.clone();
    inner.ident = format_ident!("__pelican_test_{}", name, span = Span::call_site());
    let inner_name = &inner.ident;
    let output = &signature.output;
    let attributes = &function.attrs;
    let visibility = &function.vis;
    let body = &function.block;
    let run = quote_spanned!(argument_type.span()=> ::pelican::__private::run_test::<#argument_type, _, _>);
    // Outside test builds the test function is compiled out, and with it the call that
    // needs `Throwaway`: this says the same then (`cargo check`, and trybuild's cases).
    let check = quote_spanned! {argument_type.span()=>
        #[cfg(not(test))]
        const _: fn() = || {
            fn takes_a_throwaway<T: ::pelican::testing::Throwaway>() {}
            takes_a_throwaway::<#argument_type>();
        };
    };
    Ok(quote! {
        #check

        #[::core::prelude::v1::test]
        #(#attributes)*
        #visibility fn #name() #output {
            #inner #body
            #run(
                ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                ::pelican::testing::TempSetup::new(#migrations) #(#target)* #(#history_schema)* #(#fixtures)*,
                #inner_name,
            )
        }
    })
}
