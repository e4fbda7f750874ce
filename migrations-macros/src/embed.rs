//! `embed_migrations!`: reads the directory, validates it, and writes the static data.

use std::path::{Path, PathBuf};

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::LitStr;

use crate::diagnostics::{describe_graph_error, describe_source_error};
use crate::graph::RevisionGraph;
use crate::history_digest::HistoryDigest;
use crate::migrations_dir::{Dir, Embedded};
use crate::revision::Revision;
use crate::rust_module::{find_migration_value, Located, MigrationValue};
use crate::source::{load_dir, MigrationKind, SqlSection};

/// The directory used when the macro is called without an argument.
const DEFAULT_DIR: &str = "migrations";

/// The macro's argument: an optional string literal.
struct Call {
    /// The directory as written, relative to the calling crate's manifest directory.
    dir: String,
    /// Where errors point: the literal, or the whole call when there is none.
    span: Span,
}

impl Parse for Call {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Ok(Call {
                dir: DEFAULT_DIR.to_owned(),
                span: Span::call_site(),
            });
        }
        let literal: LitStr = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected the migrations directory as a string literal, such as \
                 embed_migrations!(\"migrations\"), or nothing for \"migrations\"",
            )
        })?;
        if !input.is_empty() {
            let _: syn::Token![,] = input.parse()?;
            if !input.is_empty() {
                return Err(
                    input.error("embed_migrations! takes one argument: the migrations directory")
                );
            }
        }
        Ok(Call {
            dir: literal.value(),
            span: literal.span(),
        })
    }
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let call: Call = match syn::parse2(input) {
        Ok(call) => call,
        Err(error) => return error.to_compile_error(),
    };
    match embed(&call) {
        Ok(tokens) => tokens,
        Err(message) => syn::Error::new(call.span, message).to_compile_error(),
    }
}

fn embed(call: &Call) -> Result<TokenStream, String> {
    let Some(manifest_dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        return Err(
            "CARGO_MANIFEST_DIR is not set: embed_migrations! resolves its path from \
                    the crate's directory, which Cargo provides; build with cargo"
                .to_owned(),
        );
    };
    let dir = Dir {
        written: call.dir.clone(),
        absolute: Path::new(&manifest_dir).join(&call.dir),
    };
    let (migrations, at_head) = read(&dir)?;
    Ok(generate(&dir, &migrations, &at_head, call.span))
}

/// Loads, validates and resolves every migration of the directory.
fn read(dir: &Dir) -> Result<(Vec<Embedded>, AtHead), String> {
    let files = load_dir(&dir.absolute).map_err(|error| describe_source_error(dir, error))?;
    let mut migrations: Vec<Embedded> = files
        .into_iter()
        .map(|file| {
            let path = PathBuf::from(file.file_name());
            let name = path
                .file_name()
                .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
            Embedded {
                file,
                name,
                path,
                rust: None,
            }
        })
        .collect();

    let revisions: Vec<Revision> = migrations
        .iter()
        .map(|m| m.file.revision().clone())
        .collect();
    let graph = match RevisionGraph::new(revisions) {
        Ok(graph) => graph,
        Err(error) => return Err(describe_graph_error(dir, &migrations, error)),
    };

    for migration in &mut migrations {
        if migration.file.kind() == MigrationKind::Rust {
            let located = Located {
                shown: dir.show(&migration.name),
                path: &migration.path,
            };
            migration.rust = Some(find_migration_value(&located)?);
        }
    }
    let at_head = AtHead {
        digest: HistoryDigest::of_applied(migrations.iter().map(|m| {
            (
                m.file.revision().id().as_str(),
                m.file.revision().checksum(),
            )
        })),
        heads: graph.heads().len(),
    };
    Ok((migrations, at_head))
}

/// What the history table holds when every migration is applied, and the number of heads:
/// the expansion carries them, so that a start at head compares one row with constants.
pub(crate) struct AtHead {
    digest: HistoryDigest,
    heads: usize,
}

/// The expression: a block holding the Rust migrations' modules, the files' tracking
/// constants and the data, whose value is the `EmbeddedMigrations`. Items in a block are
/// private to it, so any number of sets can be embedded in one module.
fn generate(dir: &Dir, migrations: &[Embedded], at_head: &AtHead, span: Span) -> TokenStream {
    let mut errors: Vec<&str> = Vec::new();
    let mut modules = Vec::new();
    let mut tracked = Vec::new();
    let mut entries = Vec::new();
    for migration in migrations {
        let path = migration.path.to_string_lossy();
        let path = path.as_ref();
        let body = match &migration.rust {
            Some(value) => {
                let id = migration.file.revision().id().as_str();
                let module = format_ident!("m_{}", id);
                // Ids may hold capitals; the module name comes from the id.
                let allow = id
                    .bytes()
                    .any(|b| b.is_ascii_uppercase())
                    .then(|| quote!(#[allow(non_snake_case)]));
                modules.push(quote! {
                    #allow
                    #[path = #path]
                    pub(super) mod #module;
                });
                match value {
                    MigrationValue::Item(item) => quote!(
                        ::pelican::embedded::EmbeddedBody::Rust(&rust_migrations::#module::#item)
                    ),
                    MigrationValue::Unparseable(message) => {
                        errors.push(message);
                        continue;
                    }
                }
            }
            None => {
                // Makes the compiler read the file, so that Cargo rebuilds the crate when it
                // changes (a `mod` does the same for Rust migrations). An unused constant
                // costs nothing in the binary.
                tracked.push(quote!(
                    const _: &[u8] = ::core::include_bytes!(#path);
                ));
                let up = sql_section(migration.file.up());
                let down = match migration.file.down() {
                    Some(section) => {
                        let section = sql_section(Some(section));
                        quote!(::core::option::Option::Some(#section))
                    }
                    None => quote!(::core::option::Option::None),
                };
                quote!(::pelican::embedded::EmbeddedBody::Sql { up: #up, down: #down })
            }
        };
        entries.push(entry(migration, body));
    }

    let digest = Literal::byte_string(at_head.digest.bits());
    let heads = Literal::usize_unsuffixed(at_head.heads);
    let written = &dir.written;
    let absolute = dir.absolute.to_string_lossy();
    let absolute = absolute.as_ref();
    let modules = if modules.is_empty() {
        quote!()
    } else {
        quote! {
            // The migrations' types must be `pub` to be reached from here, though the module
            // is private: not a mistake of the user's.
            #[allow(unreachable_pub)]
            mod rust_migrations {
                #(#modules)*
            }
        }
    };
    if !errors.is_empty() {
        // The modules stay, so that the compiler shows the syntax errors in the files.
        let message = errors.join("\n");
        let error = quote_spanned!(span=> ::core::compile_error!(#message));
        return quote!({ #modules #error });
    }
    quote! {
        {
            #modules
            #(#tracked)*
            // A constant, so the slice is `'static` wherever the macro is used.
            const MIGRATIONS: &[::pelican::embedded::EmbeddedMigration] = &[#(#entries),*];
            ::pelican::embedded::EmbeddedMigrations::new(#written, #absolute, MIGRATIONS)
                .with_at_head(*#digest, #heads)
        }
    }
}

fn sql_section(section: Option<&SqlSection>) -> TokenStream {
    let (sql, first_line) = section.map_or(("", 1), |s| (s.sql(), s.first_line()));
    let first_line = Literal::usize_unsuffixed(first_line);
    quote!(::pelican::embedded::EmbeddedSql::new(#sql, #first_line))
}

/// `EmbeddedMigration::new(…)` followed by a `with_*` call for each header key that differs
/// from its default, so that a plain migration costs the compiler little.
fn entry(migration: &Embedded, body: TokenStream) -> TokenStream {
    let revision = migration.file.revision();
    let id = revision.id().as_str();
    let name = &migration.name;
    let digest = Literal::byte_string(revision.checksum().digest());
    let mut tokens = quote! {
        ::pelican::embedded::EmbeddedMigration::new(
            #id,
            #name,
            ::pelican::Checksum::from_parts(::pelican::ChecksumAlgorithm::Sha256, *#digest),
            #body,
        )
    };
    let names = |list: &mut dyn Iterator<Item = &str>| {
        let list: Vec<&str> = list.collect();
        quote!(&[#(#list),*])
    };
    if !revision.parents().is_empty() {
        let parents = names(&mut revision.parents().iter().map(|p| p.as_str()));
        tokens.extend(quote!(.with_parents(#parents)));
    }
    if !revision.depends_on().is_empty() {
        let depends_on = names(&mut revision.depends_on().iter().map(String::as_str));
        tokens.extend(quote!(.with_depends_on(#depends_on)));
    }
    if !revision.branch_labels().is_empty() {
        let labels = names(&mut revision.branch_labels().iter().map(String::as_str));
        tokens.extend(quote!(.with_branch_labels(#labels)));
    }
    if !revision.message().is_empty() {
        let message = revision.message();
        tokens.extend(quote!(.with_message(#message)));
    }
    if let Some(created) = revision.created() {
        tokens.extend(quote!(.with_created(#created)));
    }
    if !revision.is_transactional() {
        tokens.extend(quote!(.with_transactional(false)));
    }
    if let Some(reason) = revision.irreversible() {
        tokens.extend(quote!(.with_irreversible(#reason)));
    }
    if let Some(timeout) = revision.lock_timeout() {
        let millis = Literal::u64_unsuffixed(duration_millis(timeout));
        tokens.extend(quote!(.with_lock_timeout(::core::time::Duration::from_millis(#millis))));
    }
    if let Some((rules, line)) = revision.lint_ignore() {
        tokens.extend(quote!(.with_lint_ignore(#rules, #line)));
    }
    if let Some(timeout) = revision.statement_timeout() {
        let millis = Literal::u64_unsuffixed(duration_millis(timeout));
        tokens
            .extend(quote!(.with_statement_timeout(::core::time::Duration::from_millis(#millis))));
    }
    tokens
}

/// Timeouts are parsed from whole milliseconds (or larger units), and the parser refuses
/// anything that overflows `u64` milliseconds, so this is exact.
fn duration_millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
