//! `dump [--output FILE]`: the database's schema as one deterministic SQL file; also what
//! `dump_after_upgrade` in pelican.toml rewrites after each `upgrade` and `downgrade`.

use std::io::Write;
use std::path::Path;

use tokio_postgres::Client;

use super::args::DumpArgs;
use super::error::CliError;
use super::Context;
use crate::autogen::dump as dump_schema;
use crate::schema::SnapshotOptions;

/// The schema of the database behind `client`, as [`crate::autogen::dump`] writes it.
async fn dump_text(client: &Client, privileges: bool) -> Result<String, CliError> {
    let snapshot = SnapshotOptions::new()
        .include_privileges(privileges)
        .snapshot(client)
        .await?;
    Ok(dump_schema(&snapshot, "the database"))
}

/// Replaces `path` with `text` through a file beside it, so that a crash never leaves half a
/// dump; an unchanged file is not touched.
fn replace_file(path: &Path, text: &str) -> Result<bool, CliError> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    let io_error = |action, error| CliError::Io {
        action,
        path: path.to_path_buf(),
        error,
    };
    let name = path
        .file_name()
        .map_or_else(|| "dump".into(), |n| n.to_string_lossy().into_owned());
    let temporary = path.with_file_name(format!(".{name}.pelican-tmp"));
    let mut file = std::fs::File::create(&temporary).map_err(|e| io_error("create", e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error("write", e))?;
    std::fs::rename(&temporary, path).map_err(|e| io_error("replace", e))?;
    Ok(true)
}

/// `dump`.
pub(super) async fn dump(ctx: &mut Context, args: &DumpArgs) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let text = dump_text(&client, args.privileges).await?;
    match &args.output {
        Some(path) => {
            replace_file(path, &text)?;
            ctx.out
                .say(format!("Wrote the schema to {}.", path.display()));
        }
        None => ctx.out.print_raw(&text),
    }
    Ok(())
}

/// After `upgrade` or `downgrade`: rewrites `dump_after_upgrade`, when configured.
pub(super) async fn after_run(ctx: &Context, client: &Client) -> Result<(), CliError> {
    let Some(path) = &ctx.settings.dump_after_upgrade else {
        return Ok(());
    };
    let text = dump_text(client, false).await?;
    if replace_file(path, &text)? {
        ctx.out
            .say(format!("Rewrote {} (dump_after_upgrade).", path.display()));
    }
    Ok(())
}
