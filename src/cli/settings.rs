//! Where the migrations, the database and the history tables are: command-line options,
//! then `pelican.toml`, then the environment and defaults.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::args::GlobalOptions;
use super::error::CliError;
use super::origin::CONFIG_FILE;
use super::origin::{Origin, DATABASE_URL_VAR};

/// The migrations directory when nothing names one.
pub(crate) const DEFAULT_DIR: &str = "migrations";
/// The history tables' schema when nothing names one.
pub(crate) const DEFAULT_SCHEMA: &str = "public";

/// The resolved settings of one invocation.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The migrations directory.
    pub(crate) dir: PathBuf,
    pub(crate) dir_origin: Origin,
    /// The database's connection string, if any was given.
    pub(crate) database_url: Option<(String, Origin)>,
    /// The schema of the history tables.
    pub(crate) schema: String,
    pub(crate) schema_origin: Origin,
    /// The desired schema for `revision --autogenerate` (`desired_schema`), relative to the
    /// settings file.
    pub(crate) desired_schema: Option<PathBuf>,
    /// The server for scratch databases (`dev_url`), with any `env:NAME` read.
    pub(crate) dev_url: Option<String>,
    /// The file `upgrade` and `downgrade` rewrite with the schema after they run
    /// (`dump_after_upgrade`), relative to the settings file.
    pub(crate) dump_after_upgrade: Option<PathBuf>,
    /// The settings file that was read, if any.
    pub(crate) config_file: Option<PathBuf>,
    /// Where `init` writes the settings file.
    pub(crate) config_target: PathBuf,
    /// `[lint]`: rules turned off, severities changed.
    pub(crate) lint: crate::lint::LintOptions,
    /// The lock strategy (`lock`), when the file sets one.
    pub(crate) lock: Option<crate::lock::LockStrategy>,
    /// The lease's TTL (`lease_ttl`), when the file sets one.
    pub(crate) lease_ttl: Option<std::time::Duration>,
}

/// What `pelican.toml` may set.
#[derive(Debug, Default)]
struct FileSettings {
    dir: Option<PathBuf>,
    schema: Option<String>,
    desired_schema: Option<PathBuf>,
    dump_after_upgrade: Option<PathBuf>,
    /// As written: a URL without a password, or `env:NAME`.
    dev_url: Option<String>,
    lint: crate::lint::LintOptions,
    lock: Option<crate::lock::LockStrategy>,
    lease_ttl: Option<std::time::Duration>,
}

impl Settings {
    /// Resolves the settings: options win over `pelican.toml`, which wins over the
    /// environment and the defaults. `DATABASE_URL` is read from `env`.
    pub(crate) fn resolve(
        options: &GlobalOptions,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, CliError> {
        let (config_file, file) = match &options.config {
            Some(path) => match read_settings_file(path)? {
                Some(file) => (Some(path.clone()), file),
                None => {
                    return Err(CliError::MissingConfig { path: path.clone() });
                }
            },
            None => {
                let path = PathBuf::from(CONFIG_FILE);
                match read_settings_file(&path)? {
                    Some(file) => (Some(path), file),
                    None => (None, FileSettings::default()),
                }
            }
        };
        let config_target = options
            .config
            .clone()
            .unwrap_or_else(|| PathBuf::from(CONFIG_FILE));

        let (dir, dir_origin) = match (&options.dir, &file.dir, &config_file) {
            (Some(dir), _, _) => (dir.clone(), Origin::Option("--dir")),
            (None, Some(dir), Some(path)) => (
                relative_to_file(path, dir),
                Origin::File(path.to_path_buf()),
            ),
            _ => (PathBuf::from(DEFAULT_DIR), Origin::Default),
        };
        let database_url = match &options.database_url {
            Some(url) => Some((url.clone(), Origin::Option("--database-url"))),
            None => env(DATABASE_URL_VAR)
                .filter(|url| !url.trim().is_empty())
                .map(|url| (url, Origin::Env(DATABASE_URL_VAR))),
        };
        let (schema, schema_origin) = match (&options.schema, &file.schema, &config_file) {
            (Some(schema), _, _) => (schema.clone(), Origin::Option("--schema")),
            (None, Some(schema), Some(path)) => (schema.clone(), Origin::File(path.clone())),
            _ => (DEFAULT_SCHEMA.to_owned(), Origin::Default),
        };
        if schema.is_empty() {
            return Err(CliError::EmptySchema {
                origin: schema_origin,
            });
        }
        if schema.chars().any(char::is_control) {
            return Err(CliError::ControlCharacterInSchema {
                schema,
                origin: schema_origin,
            });
        }
        let desired_schema = match (&file.desired_schema, &config_file) {
            (Some(path), Some(file)) => Some(relative_to_file(file, path)),
            _ => None,
        };
        let dump_after_upgrade = match (&file.dump_after_upgrade, &config_file) {
            (Some(path), Some(file)) => Some(relative_to_file(file, path)),
            _ => None,
        };
        let dev_url = match (&file.dev_url, &config_file) {
            (Some(url), Some(path)) => match url.strip_prefix("env:") {
                Some(name) => {
                    Some(env(name).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                        CliError::Config {
                            path: path.clone(),
                            message: format!(
                                "dev_url names the environment variable {name}, which is not set"
                            ),
                        }
                    })?)
                }
                None => Some(url.clone()),
            },
            _ => None,
        };
        Ok(Settings {
            dir,
            dir_origin,
            desired_schema,
            dev_url,
            dump_after_upgrade,
            database_url,
            schema,
            schema_origin,
            lint: file.lint.clone(),
            lock: file.lock,
            lease_ttl: file.lease_ttl,
            config_file,
            config_target,
        })
    }
}

/// A path from the settings file, relative to the file's directory.
fn relative_to_file(file: &Path, path: &Path) -> PathBuf {
    match file.parent() {
        Some(parent) if path.is_relative() && !parent.as_os_str().is_empty() => parent.join(path),
        _ => path.to_path_buf(),
    }
}

/// Reads a settings file; `None` when it does not exist.
fn read_settings_file(path: &Path) -> Result<Option<FileSettings>, CliError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(CliError::Io {
                action: "read",
                path: path.to_path_buf(),
                error,
            })
        }
    };
    parse_settings(path, &text).map(Some)
}

fn parse_settings(path: &Path, text: &str) -> Result<FileSettings, CliError> {
    let invalid = |message: String| CliError::Config {
        path: path.to_path_buf(),
        message,
    };
    let table: toml::Table = text
        .parse()
        .map_err(|err: toml::de::Error| invalid(describe_toml_error(text, &err)))?;
    let mut settings = FileSettings::default();
    for (key, value) in table {
        match key.as_str() {
            "dir" => match value {
                toml::Value::String(dir) if !dir.is_empty() => {
                    settings.dir = Some(PathBuf::from(dir))
                }
                _ => {
                    return Err(invalid(
                        "'dir' must be a non-empty string: the migrations directory, \
                         relative to this file"
                            .to_owned(),
                    ))
                }
            },
            "schema" => match value {
                toml::Value::String(schema) if !schema.is_empty() => settings.schema = Some(schema),
                _ => {
                    return Err(invalid(
                        "'schema' must be a non-empty string: the schema of the history tables"
                            .to_owned(),
                    ))
                }
            },
            "desired_schema" => match value {
                toml::Value::String(path) if !path.is_empty() => {
                    settings.desired_schema = Some(PathBuf::from(path))
                }
                _ => {
                    return Err(invalid(
                        "'desired_schema' must be a non-empty string: a .sql file or a \
                         directory of them, relative to this file"
                            .to_owned(),
                    ))
                }
            },
            "dump_after_upgrade" => match value {
                toml::Value::String(path) if !path.is_empty() => {
                    settings.dump_after_upgrade = Some(PathBuf::from(path))
                }
                _ => {
                    return Err(invalid(
                        "'dump_after_upgrade' must be a non-empty string: the .sql file to \
                         rewrite with the schema after each upgrade, relative to this file"
                            .to_owned(),
                    ))
                }
            },
            "lint" => match value {
                toml::Value::Table(table) => settings.lint = parse_lint(table).map_err(invalid)?,
                _ => {
                    return Err(invalid(
                        "'lint' must be a table: [lint] with disable = [...] and [lint.severity]"
                            .to_owned(),
                    ))
                }
            },
            "lock" => match value.as_str().map(str::parse::<crate::lock::LockStrategy>) {
                Some(Ok(strategy)) => settings.lock = Some(strategy),
                _ => {
                    return Err(invalid(
                        "'lock' must be \"advisory\", \"lease\" or \"auto\": how migrators \
                         serialize"
                            .to_owned(),
                    ))
                }
            },
            "lease_ttl" => {
                match value.as_str().map(super::args::parse_lease_ttl) {
                    Some(Ok(ttl)) => settings.lease_ttl = Some(ttl),
                    Some(Err(message)) => return Err(invalid(format!("'lease_ttl': {message}"))),
                    None => return Err(invalid(
                        "'lease_ttl' must be a duration such as \"60s\": how long a lease lasts \
                         unrenewed"
                            .to_owned(),
                    )),
                }
            }
            "dev_url" => match value {
                toml::Value::String(url) if url.starts_with("env:") && url.len() > 4 => {
                    settings.dev_url = Some(url)
                }
                toml::Value::String(url) if !url.is_empty() => {
                    let config: tokio_postgres::Config = url.parse().map_err(|_| {
                        invalid(
                            "'dev_url' is not a valid connection string; write a URL without \
                             a password, or env:NAME to read it from the variable NAME"
                                .to_owned(),
                        )
                    })?;
                    if config.get_password().is_some() {
                        return Err(invalid(
                            "'dev_url' holds a password, which must not land in version \
                             control; write env:NAME to read the URL from the variable NAME, \
                             or use ~/.pgpass"
                                .to_owned(),
                        ));
                    }
                    settings.dev_url = Some(url)
                }
                _ => {
                    return Err(invalid(
                        "'dev_url' must be a connection string without a password, or \
                         env:NAME"
                            .to_owned(),
                    ))
                }
            },
            other
                if other.to_ascii_lowercase().contains("database")
                    || other.to_ascii_lowercase().contains("url") =>
            {
                return Err(invalid(format!(
                    "unknown key '{other}': the database is never read from this file, so \
                     that no password lands in version control; pass --database-url or set \
                     {DATABASE_URL_VAR}"
                )))
            }
            other => {
                return Err(invalid(format!(
                    "unknown key '{other}'; the keys are 'dir', 'schema', 'desired_schema', \
                     'dump_after_upgrade', 'dev_url', 'lock', 'lease_ttl' and [lint]"
                )))
            }
        }
    }
    Ok(settings)
}

/// `[lint]`: `disable = ["rule", ...]` and `[lint.severity]` with `rule = "error" | "warning"
/// | "note"`; every rule named must exist.
fn parse_lint(table: toml::Table) -> Result<crate::lint::LintOptions, String> {
    use crate::lint::{is_rule, Severity};
    let known = |rule: &str| {
        if is_rule(rule) {
            Ok(rule.to_owned())
        } else {
            Err(format!(
                "[lint] names the rule '{rule}', which the linter doesn't have (docs/lint.md lists them)"
            ))
        }
    };
    let mut options = crate::lint::LintOptions::default();
    for (key, value) in table {
        match (key.as_str(), value) {
            ("disable", toml::Value::Array(rules)) => {
                for rule in rules {
                    let rule = rule
                        .as_str()
                        .ok_or("[lint] disable lists rule names, as strings")?;
                    options.disabled.insert(known(rule)?);
                }
            }
            ("severity", toml::Value::Table(rules)) => {
                for (rule, severity) in rules {
                    let severity = match severity.as_str() {
                        Some("error") => Severity::Error,
                        Some("warning") => Severity::Warning,
                        Some("note") => Severity::Note,
                        _ => {
                            return Err(format!(
                                "[lint.severity] {rule} must be \"error\", \"warning\" or \"note\""
                            ))
                        }
                    };
                    options.severities.insert(known(&rule)?, severity);
                }
            }
            ("postgres", toml::Value::String(version)) => {
                options.postgres_version = Some(parse_postgres_version(&version)?);
            }
            ("small-table", toml::Value::String(size)) => {
                let bytes = crate::lint::parse_size(&size).ok_or_else(|| {
                    format!("[lint] small-table = \"{size}\" is not a size: write it as \"10MB\" or \"1GB\"")
                })?;
                options.small_table_bytes = Some(bytes);
            }
            ("exclude", toml::Value::Array(patterns)) => {
                for pattern in patterns {
                    let pattern = pattern
                        .as_str()
                        .ok_or("[lint] exclude lists file name patterns, as strings")?;
                    options.exclude.push(pattern.to_owned());
                }
            }
            (other, _) => {
                return Err(format!(
                    "[lint] has no key '{other}' of that type; its keys are 'disable' (a list), \
                     'severity' (a table), 'postgres' (a version string), 'exclude' (a list) and \
                     'small-table' (a size string)"
                ))
            }
        }
    }
    Ok(options)
}

/// `"14.2"` (or `"16"`, minor 0) as (major, minor).
fn parse_postgres_version(text: &str) -> Result<(u32, u32), String> {
    let mut parts = text.trim().splitn(2, '.');
    let number = |part: Option<&str>| part.map(|p| p.parse::<u32>());
    match (number(parts.next()), number(parts.next())) {
        (Some(Ok(major)), None) if major >= 10 => Ok((major, 0)),
        (Some(Ok(major)), Some(Ok(minor))) if major >= 10 => Ok((major, minor)),
        _ => Err(format!(
            "[lint] postgres = \"{text}\" is not a PostgreSQL version: write it as \"16\" or \"14.2\""
        )),
    }
}

/// A TOML error as `line N: message`.
fn describe_toml_error(text: &str, err: &toml::de::Error) -> String {
    let message = err.message().trim_end();
    match err.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}: {message}")
        }
        None => message.to_owned(),
    }
}

/// The text of a new `pelican.toml` pointing at `dir`.
pub(crate) fn settings_file_text(dir: &str) -> String {
    let escaped = dir.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "# pelican's settings for this project: read by every `pelican` command run in this\n\
         # directory. Command-line options win over them.\n\
         \n\
         # The migrations directory, relative to this file.\n\
         dir = \"{escaped}\"\n\
         \n\
         # The schema of the history tables pelican_revisions and pelican_log.\n\
         # schema = \"{DEFAULT_SCHEMA}\"\n\
         \n\
         # The desired schema for `revision --autogenerate`: a .sql file or a directory.\n\
         # desired_schema = \"schema.sql\"\n\
         \n\
         # Rewritten with the database's schema after each `upgrade` and `downgrade`.\n\
         # dump_after_upgrade = \"schema.sql\"\n\
         \n\
         # A server for autogenerate's scratch databases (the role needs CREATEDB), without a\n\
         # password, or env:NAME to read it from a variable; by default a throwaway server\n\
         # is started from the local PostgreSQL binaries.\n\
         # dev_url = \"env:PELICAN_DEV_URL\"\n\
         \n\
         # How migrators serialize: \"auto\" (the advisory lock, or a lease behind a connection\n\
         # pooler such as PgBouncer), \"advisory\" or \"lease\"; and how long a lease lasts\n\
         # unrenewed (a killed migrator's lease is taken over after it).\n\
         # lock = \"auto\"\n\
         # lease_ttl = \"60s\"\n\
         \n\
         # The database is never set here, so that no password lands in version control:\n\
         # pass --database-url, or set {DATABASE_URL_VAR}.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<FileSettings, String> {
        parse_settings(Path::new("pelican.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn the_written_file_reads_back() {
        let settings = parse(&settings_file_text("db/migrations")).unwrap();
        assert_eq!(settings.dir, Some(PathBuf::from("db/migrations")));
        assert_eq!(settings.schema, None);
        let settings = parse(&settings_file_text("odd \"dir\\\"")).unwrap();
        assert_eq!(settings.dir, Some(PathBuf::from("odd \"dir\\\"")));
    }

    #[test]
    fn bad_files_are_reported_with_the_file_and_what_to_do() {
        assert_eq!(
            parse("dir = \"m\"\nschema = \"app\"\ndirectory = \"x\"\n").unwrap_err(),
            "pelican.toml: unknown key 'directory'; the keys are 'dir', 'schema', \
             'desired_schema', 'dump_after_upgrade', 'dev_url', 'lock', 'lease_ttl' and [lint]"
        );
        assert_eq!(
            parse("database_url = \"postgresql://a:b@c/d\"\n").unwrap_err(),
            "pelican.toml: unknown key 'database_url': the database is never read from this \
             file, so that no password lands in version control; pass --database-url or set \
             DATABASE_URL"
        );
        assert_eq!(
            parse("dir = 3\n").unwrap_err(),
            "pelican.toml: 'dir' must be a non-empty string: the migrations directory, \
             relative to this file"
        );
        let err = parse("dir = \"m\"\nschema = \n").unwrap_err();
        assert!(err.starts_with("pelican.toml: line 2: "), "{err}");
    }

    #[test]
    fn desired_schema_and_dev_url_but_never_a_password() {
        let settings =
            parse("desired_schema = \"db/schema.sql\"\ndev_url = \"env:DEV\"\n").unwrap();
        assert_eq!(
            settings.desired_schema,
            Some(PathBuf::from("db/schema.sql"))
        );
        assert_eq!(settings.dev_url.as_deref(), Some("env:DEV"));
        let err = parse("dev_url = \"postgresql://me:secret@localhost/dev\"\n").unwrap_err();
        assert!(err.contains("holds a password"), "{err}");
        assert!(parse("dev_url = \"postgresql://me@localhost/dev\"\n").is_ok());
    }

    #[test]
    fn lint_rules_are_turned_off_or_given_another_severity_by_name() {
        let settings = parse(
            "[lint]\ndisable = [\"prefer-bigint-over-int\"]\n\
             [lint.severity]\nban-drop-column = \"warning\"\n",
        )
        .unwrap();
        assert!(settings.lint.disabled.contains("prefer-bigint-over-int"));
        assert_eq!(
            settings.lint.severities.get("ban-drop-column"),
            Some(&crate::lint::Severity::Warning)
        );
        assert_eq!(
            parse("[lint]\ndisable = [\"no-such-rule\"]\n").unwrap_err(),
            "pelican.toml: [lint] names the rule 'no-such-rule', which the linter doesn't have \
             (docs/lint.md lists them)"
        );
        assert!(parse("[lint.severity]\nban-drop-column = \"loud\"\n")
            .unwrap_err()
            .contains("must be \"error\", \"warning\" or \"note\""));
    }

    #[test]
    fn relative_dirs_are_relative_to_the_file() {
        assert_eq!(
            relative_to_file(Path::new("conf/pelican.toml"), Path::new("migrations")),
            PathBuf::from("conf/migrations")
        );
        assert_eq!(
            relative_to_file(Path::new("pelican.toml"), Path::new("migrations")),
            PathBuf::from("migrations")
        );
        assert_eq!(
            relative_to_file(Path::new("conf/pelican.toml"), Path::new("/abs")),
            PathBuf::from("/abs")
        );
    }
}
