//! The commands that write files: `init`, `revision`, `merge`.

use std::collections::hash_map::RandomState;
use std::fs::{self, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::args::{MergeArgs, RevisionArgs};
use super::describe::join;
use super::error::CliError;
use super::inspect::resolve_one;
use super::settings::settings_file_text;
use super::Context;
use crate::graph::RevisionGraph;
use crate::migration::MigrationSet;
use crate::revision::{check_name, NameKind, RevisionId};
use crate::source::{parse_migration, MigrationKind};

/// The longest slug taken from a message for a file name.
const MAX_SLUG_LEN: usize = 40;

/// `init`: writes `pelican.toml` and creates the migrations directory.
pub(crate) fn init(ctx: &mut Context) -> Result<(), CliError> {
    let dir = ctx.dir_for_writing("init")?.to_path_buf();
    let config = ctx.settings.config_target.clone();
    if config.exists() {
        return Err(CliError::ConfigExists { path: config });
    }
    // The file names the directory relative to itself.
    let shown_dir = match config.parent() {
        Some(parent) if !parent.as_os_str().is_empty() && dir.is_relative() => {
            relative_path(&dir, parent)
        }
        _ => dir.display().to_string(),
    };
    let existed = dir.is_dir();
    fs::create_dir_all(&dir).map_err(|error| CliError::Io {
        action: "create the directory",
        path: dir.clone(),
        error,
    })?;
    write_new_file(&config, &settings_file_text(&shown_dir))?;
    ctx.out.print(config.display().to_string());
    ctx.out.say(format!(
        "Created {}, for the migrations directory {} ({}). Next: `{} revision -m \"first \
         revision\"`.",
        config.display(),
        dir.display(),
        if existed { "already there" } else { "created" },
        ctx.program
    ));
    Ok(())
}

/// `revision`: a new file revising the head (or `--head`).
pub(crate) fn revision(ctx: &mut Context, args: &RevisionArgs) -> Result<(), CliError> {
    let dir = ctx.dir_for_writing("revision")?.to_path_buf();
    let set = MigrationSet::from_dir(&dir)?;
    let new = NewRevision::prepare(ctx, &set, args)?;
    let path = new.write(&dir, set.graph())?;
    new.announce(ctx, &path);
    if args.rust {
        ctx.out.say(
            "Rust migrations run from the application that compiles them in \
             (pelican::embed_migrations! with pelican::cli::run), not from the pelican binary.",
        );
    }
    Ok(())
}

/// `merge`: a new revision whose parents are the given heads.
pub(crate) fn merge(ctx: &mut Context, args: &MergeArgs) -> Result<(), CliError> {
    let dir = ctx.dir_for_writing("merge")?.to_path_buf();
    let set = MigrationSet::from_dir(&dir)?;
    let graph = set.graph();

    let parents: Vec<RevisionId> = if args.revisions == ["heads"] {
        let heads: Vec<RevisionId> = graph.heads().into_iter().cloned().collect();
        if heads.len() < 2 {
            return Err(CliError::NothingToMerge(match heads.first() {
                Some(head) => format!("there is only one head ({head}): nothing to merge"),
                None => "there are no revisions: nothing to merge".to_owned(),
            }));
        }
        heads
    } else {
        let mut parents: Vec<RevisionId> = Vec::new();
        for name in &args.revisions {
            let id = resolve_one(&set, name, None)?;
            if parents.contains(&id) {
                return Err(CliError::NothingToMerge(format!(
                    "revision {id} is named twice; name each head once"
                )));
            }
            let children: Vec<RevisionId> =
                graph.children(id.as_str()).into_iter().cloned().collect();
            if !children.is_empty() {
                return Err(CliError::NotAHead {
                    revision: id,
                    children,
                    hint: "a merge joins heads; name heads, or `heads` for all of them",
                });
            }
            parents.push(id);
        }
        if parents.len() < 2 {
            return Err(CliError::NothingToMerge(format!(
                "a merge needs at least two heads, and only {} was given",
                join(&parents)
            )));
        }
        parents
    };
    let new = NewRevision {
        id: new_id(&set, args.rev_id.as_deref())?,
        parents,
        depends_on: Vec::new(),
        branch_labels: args.branch_label.clone(),
        message: one_line(&args.message),
        created: rfc3339_utc(SystemTime::now()),
        kind: MigrationKind::Sql,
        body: (String::new(), String::new()),
        outside_transaction: false,
    };
    let path = new.write(&dir, graph)?;
    ctx.out.print(path.display().to_string());
    ctx.out.say(format!(
        "Created merge revision {} (merging {}).",
        new.id,
        join(&new.parents)
    ));
    Ok(())
}

/// A revision about to be written.
pub(super) struct NewRevision {
    pub(super) id: RevisionId,
    pub(super) parents: Vec<RevisionId>,
    depends_on: Vec<String>,
    branch_labels: Vec<String>,
    message: String,
    created: String,
    kind: MigrationKind,
    /// For SQL, what follows `-- up` and `-- down` (empty for a new file to fill in).
    pub(super) body: (String, String),
    /// `transaction: false` in the header.
    pub(super) outside_transaction: bool,
}

impl NewRevision {
    /// A revision on top of this one, for the same change: a fresh id, no labels.
    pub(super) fn follow_up(
        &self,
        set: &MigrationSet,
        message: String,
    ) -> Result<NewRevision, CliError> {
        let mut id = new_id(set, None)?;
        while id == self.id {
            id = new_id(set, None)?;
        }
        Ok(NewRevision {
            id,
            parents: vec![self.id.clone()],
            depends_on: Vec::new(),
            branch_labels: Vec::new(),
            message: one_line(&message),
            created: self.created.clone(),
            kind: self.kind,
            body: (String::new(), String::new()),
            outside_transaction: false,
        })
    }

    /// The revision `revision` would write on top of `set`: its parents from the head (or
    /// `--head`), a fresh id, the header from the options.
    pub(super) fn prepare(
        ctx: &Context,
        set: &MigrationSet,
        args: &RevisionArgs,
    ) -> Result<NewRevision, CliError> {
        let graph = set.graph();
        let parents: Vec<RevisionId> = match args.head.as_deref() {
            Some("base") => Vec::new(),
            Some(head) => {
                let id = resolve_one(set, head, None)?;
                let children: Vec<RevisionId> =
                    graph.children(id.as_str()).into_iter().cloned().collect();
                if !args.splice && !children.is_empty() {
                    return Err(CliError::NotAHead {
                        revision: id,
                        children,
                        hint: "pass --splice to start a new branch from it",
                    });
                }
                vec![id]
            }
            None => only_head(ctx, graph)?,
        };
        let depends_on = args
            .depends_on
            .iter()
            .map(|name| resolve_dependency(graph, name))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NewRevision {
            id: new_id(set, args.rev_id.as_deref())?,
            parents,
            depends_on,
            branch_labels: args.branch_label.clone(),
            message: one_line(&args.message),
            created: rfc3339_utc(SystemTime::now()),
            kind: if args.rust {
                MigrationKind::Rust
            } else {
                MigrationKind::Sql
            },
            body: (String::new(), String::new()),
            outside_transaction: false,
        })
    }

    /// A SQL revision on top of the only head, with `message` (for `drift --fix-revision`).
    pub(super) fn on_the_head(
        ctx: &Context,
        set: &MigrationSet,
        message: &str,
    ) -> Result<NewRevision, CliError> {
        Ok(NewRevision {
            id: new_id(set, None)?,
            parents: only_head(ctx, set.graph())?,
            depends_on: Vec::new(),
            branch_labels: Vec::new(),
            message: one_line(message),
            created: rfc3339_utc(SystemTime::now()),
            kind: MigrationKind::Sql,
            body: (String::new(), String::new()),
            outside_transaction: false,
        })
    }

    /// Prints the new file's path (stdout) and what it revises (stderr).
    pub(super) fn announce(&self, ctx: &mut Context, path: &Path) {
        ctx.out.print(path.display().to_string());
        let revises = if self.parents.is_empty() {
            "a new base".to_owned()
        } else {
            format!("revising {}", join(&self.parents))
        };
        ctx.out
            .say(format!("Created revision {} ({revises}).", self.id));
    }

    fn file_name(&self) -> String {
        let slug = slug(&self.message);
        let extension = match self.kind {
            MigrationKind::Sql => "sql",
            MigrationKind::Rust => "rs",
        };
        if slug.is_empty() {
            format!("{}.{extension}", self.id)
        } else {
            format!("{}_{slug}.{extension}", self.id)
        }
    }

    pub(super) fn text(&self) -> String {
        let prefix = self.kind.header_prefix();
        let mut header = vec![format!("revision: {}", self.id)];
        if !self.parents.is_empty() {
            header.push(format!("revises: {}", join(&self.parents)));
        }
        if !self.depends_on.is_empty() {
            header.push(format!("depends-on: {}", self.depends_on.join(", ")));
        }
        if !self.branch_labels.is_empty() {
            header.push(format!("branch-labels: {}", self.branch_labels.join(", ")));
        }
        if self.outside_transaction {
            header.push("transaction: false".to_owned());
        }
        if !self.message.is_empty() {
            header.push(format!("message: {}", self.message));
        }
        header.push(format!("created: {}", self.created));
        let mut text: String = header
            .iter()
            .map(|line| format!("{prefix} {line}\n"))
            .collect();
        match self.kind {
            MigrationKind::Sql => {
                let (up, down) = &self.body;
                text.push_str(&format!("\n-- up\n{up}\n\n-- down\n{down}\n"));
            }
            MigrationKind::Rust => text.push_str(&rust_body(&self.message, &self.id)),
        }
        text
    }

    /// Checks the file as pelican will read it, and the graph with it, then writes it
    /// (never over an existing file). Returns its path.
    pub(super) fn write(&self, dir: &Path, graph: &RevisionGraph) -> Result<PathBuf, CliError> {
        let path = dir.join(self.file_name());
        let text = self.text();
        let parsed = parse_migration(&path.display().to_string(), text.as_bytes())
            .map_err(|err| CliError::InvalidNewRevision(err.to_string()))?;
        let revisions = graph
            .revisions()
            .cloned()
            .chain(std::iter::once(parsed.into_revision()));
        RevisionGraph::new(revisions)
            .map_err(|err| CliError::InvalidNewRevision(err.to_string()))?;
        write_new_file(&path, &text)?;
        Ok(path)
    }
}

/// The graph's head, when it has no more than one (none: a new base).
fn only_head(ctx: &Context, graph: &RevisionGraph) -> Result<Vec<RevisionId>, CliError> {
    let heads: Vec<RevisionId> = graph.heads().into_iter().cloned().collect();
    if heads.len() > 1 {
        return Err(CliError::MultipleHeads {
            heads,
            program: ctx.program.clone(),
        });
    }
    Ok(heads)
}

/// A Rust migration's code, after its header.
fn rust_body(message: &str, id: &RevisionId) -> String {
    let type_name = type_name(message, id);
    let doc = if message.is_empty() {
        "The migration of this revision.".to_owned()
    } else {
        message.to_owned()
    };
    format!(
        "\n\
         use pelican::migration::{{BoxError, Migration}};\n\
         \n\
         /// {doc}\n\
         pub struct {type_name};\n\
         \n\
         #[pelican::async_trait]\n\
         impl Migration for {type_name} {{\n\
         \x20   async fn up(&self, db: &tokio_postgres::Client) -> Result<(), BoxError> {{\n\
         \x20       // The upgrade: runs in the revision's transaction; return an error to roll back.\n\
         \x20       let _ = db;\n\
         \x20       Ok(())\n\
         \x20   }}\n\
         \n\
         \x20   async fn down(&self, db: &tokio_postgres::Client) -> Result<(), BoxError> {{\n\
         \x20       // The downgrade: undoes `up`.\n\
         \x20       let _ = db;\n\
         \x20       Ok(())\n\
         \x20   }}\n\
         }}\n"
    )
}

/// `AddPriorityColumn` from "add priority column"; `Revision<id>` when that gives nothing.
fn type_name(message: &str, id: &RevisionId) -> String {
    let name: String = slug(message)
        .split('_')
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name
    } else {
        format!("Revision{}{name}", id.as_str().to_ascii_uppercase())
    }
}

/// The file name part from a message: lowercase ASCII letters and digits, `_` between words.
fn slug(message: &str) -> String {
    let mut slug = String::new();
    for c in message.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('_') {
            slug.push('_');
        }
    }
    if slug.len() > MAX_SLUG_LEN {
        slug.truncate(MAX_SLUG_LEN);
        // Cut at a word boundary when there is one.
        if let Some(cut) = slug.rfind('_') {
            slug.truncate(cut);
        }
    }
    slug.trim_end_matches('_').to_owned()
}

/// The message on one line (a header value can't span lines).
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The id of a new revision: `--rev-id`, checked, or 12 random hex digits.
fn new_id(set: &MigrationSet, requested: Option<&str>) -> Result<RevisionId, CliError> {
    if let Some(id) = requested {
        check_name(id, NameKind::Revision)
            .map_err(|err| CliError::InvalidNewRevision(err.to_string()))?;
        if let Some(entry) = set.get(id) {
            return Err(CliError::RevisionExists {
                id: id.to_owned(),
                file: entry.file_name().to_owned(),
            });
        }
        return RevisionId::new(id).map_err(|err| CliError::InvalidNewRevision(err.to_string()));
    }
    loop {
        let id = random_hex_id();
        if set.get(&id).is_none() {
            if let Ok(id) = RevisionId::new(id) {
                return Ok(id);
            }
        }
    }
}

/// 12 random lowercase hex digits (48 bits), from the standard library's per-process random
/// keys mixed with the time.
fn random_hex_id() -> String {
    let mut hasher = RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}

/// A branch label as written, or a revision (prefix) resolved to its full id.
fn resolve_dependency(graph: &RevisionGraph, name: &str) -> Result<String, CliError> {
    if graph.label(name).is_some() {
        return Ok(name.to_owned());
    }
    match graph.lookup(name) {
        Ok(id) => Ok(id.to_string()),
        Err(err) => Err(crate::Error::from(crate::target::TargetError::from(err)).into()),
    }
}

/// `time` as RFC 3339 in UTC, to the second: `2026-11-21T10:00:00Z`.
pub(crate) fn rfc3339_utc(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (hour, minute, second) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

/// Creates `path` with `text`; an existing file is an error, never overwritten.
fn write_new_file(path: &Path, text: &str) -> Result<(), CliError> {
    let io_error = |error: io::Error| CliError::Io {
        action: "create",
        path: path.to_path_buf(),
        error,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_error)?;
    file.write_all(text.as_bytes()).map_err(io_error)
}

/// `path` as seen from `base`, for a relative `path` under the current directory.
fn relative_path(path: &Path, base: &Path) -> String {
    match path.strip_prefix(base) {
        Ok(inside) => inside.display().to_string(),
        Err(_) => {
            let ups = base.components().count();
            let mut shown = PathBuf::new();
            for _ in 0..ups {
                shown.push("..");
            }
            shown.join(path).display().to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let at = |secs| rfc3339_utc(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn slugs_and_type_names_come_from_the_message() {
        assert_eq!(
            slug("Add priority column to tasks!"),
            "add_priority_column_to_tasks"
        );
        assert_eq!(slug("  ---  "), "");
        assert_eq!(slug("é café"), "caf");
        assert_eq!(
            slug("a very long message that goes on and on beyond forty characters"),
            "a_very_long_message_that_goes_on_and_on"
        );
        let id = RevisionId::new("3f2a9c1d7b4e").unwrap();
        assert_eq!(type_name("add priority column", &id), "AddPriorityColumn");
        assert_eq!(type_name("2nd try", &id), "Revision3F2A9C1D7B4E2ndTry");
        assert_eq!(type_name("", &id), "Revision3F2A9C1D7B4E");
    }

    #[test]
    fn random_ids_are_12_hex_digits_and_differ() {
        let a = random_hex_id();
        let b = random_hex_id();
        assert_eq!(a.len(), 12);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
    }

    #[test]
    fn messages_are_kept_on_one_line() {
        assert_eq!(one_line("add\n  priority\r\n"), "add priority");
    }

    #[test]
    fn relative_paths_from_the_settings_file() {
        assert_eq!(
            relative_path(Path::new("conf/migrations"), Path::new("conf")),
            "migrations"
        );
        assert_eq!(
            relative_path(Path::new("migrations"), Path::new("conf")),
            "../migrations"
        );
    }
}
