//! The desired schema as text: one `.sql` file, or every `.sql` file under a directory in
//! path order, with the psql meta-commands that change nothing (`\restrict` of a recent
//! `pg_dump`, `\set`...) blanked out so that line numbers stay true.

use std::fs;
use std::path::{Path, PathBuf};

use super::error::ScratchError;
use crate::migration::statements::{tokens, TokenKind};

/// Meta-commands that a schema file may hold and that change nothing in the schema.
const HARMLESS_META_COMMANDS: [&str; 7] = [
    "restrict",
    "unrestrict",
    "set",
    "unset",
    "encoding",
    "echo",
    "pset",
];

/// One file of the desired schema, ready to run.
#[derive(Debug, Clone)]
pub struct SchemaFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its text, harmless meta-commands blanked.
    pub sql: String,
}

/// Reads `path`: a `.sql` file, or a directory whose `.sql` files (in subdirectories too,
/// hidden ones left out) are taken in the order of their paths.
///
/// # Errors
///
/// A path that can't be read, a directory without a `.sql` file, a meta-command pelican
/// can't run (`\i`, `\copy`, `\connect`...), each named with its file and line.
pub fn read_schema_files(path: &Path) -> Result<Vec<SchemaFile>, ScratchError> {
    let read_error = |path: &Path, error| ScratchError::Read {
        path: path.to_path_buf(),
        error,
    };
    let metadata = fs::metadata(path).map_err(|error| read_error(path, error))?;
    let mut paths = Vec::new();
    if metadata.is_dir() {
        collect_sql_files(path, &mut paths)?;
        paths.sort();
        if paths.is_empty() {
            return Err(ScratchError::NoSqlFiles {
                path: path.to_path_buf(),
            });
        }
    } else {
        paths.push(path.to_path_buf());
    }
    paths
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path).map_err(|error| read_error(&path, error))?;
            let sql = blank_meta_commands(&path, &text)?;
            Ok(SchemaFile { path, sql })
        })
        .collect()
}

fn collect_sql_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ScratchError> {
    let entries = fs::read_dir(dir).map_err(|error| ScratchError::Read {
        path: dir.to_path_buf(),
        error,
    })?;
    for entry in entries {
        let entry = entry.map_err(|error| ScratchError::Read {
            path: dir.to_path_buf(),
            error,
        })?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect_sql_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "sql") {
            out.push(path);
        }
    }
    Ok(())
}

/// `text` with each harmless meta-command line replaced by blanks; any other meta-command is
/// an error. Backslashes inside strings, dollar quotes and comments are not commands.
fn blank_meta_commands(path: &Path, text: &str) -> Result<String, ScratchError> {
    let (tokens, _unclosed) = tokens(text);
    let mut out = text.to_owned();
    for token in tokens.iter().filter(|t| t.kind == TokenKind::Other) {
        let start = token.range.start;
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        if &text[start..token.range.end] != "\\" || !text[line_start..start].trim().is_empty() {
            continue;
        }
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let command: String = text[start + 1..line_end]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '!' || *c == '.')
            .collect();
        if !HARMLESS_META_COMMANDS.contains(&command.as_str()) {
            return Err(ScratchError::MetaCommand {
                path: path.to_path_buf(),
                line: 1 + text[..start].matches('\n').count(),
                command: format!("\\{command}"),
            });
        }
        out.replace_range(start..line_end, &" ".repeat(line_end - start));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harmless_meta_commands_are_blanked_and_lines_kept() {
        let text =
            "\\restrict abc\nCREATE TABLE t (x text DEFAULT '\n\\i nope');\n  \\unrestrict abc\n";
        let blanked = blank_meta_commands(Path::new("s.sql"), text).unwrap();
        assert_eq!(blanked.lines().count(), text.lines().count());
        assert!(!blanked.contains("restrict"));
        assert!(blanked.contains("\\i nope"), "inside a string it stays");
    }

    #[test]
    fn other_meta_commands_are_refused_with_their_line() {
        let error =
            blank_meta_commands(Path::new("s.sql"), "SELECT 1;\n\\i other.sql\n").unwrap_err();
        assert_eq!(
            error
                .to_string()
                .lines()
                .next()
                .unwrap()
                .split(": `")
                .next()
                .unwrap(),
            "s.sql:2"
        );
        assert!(error.to_string().contains("`\\i`"), "{error}");
    }

    #[test]
    fn a_directory_is_read_in_path_order_and_an_empty_one_is_refused() {
        let dir = std::env::temp_dir().join(format!("pelican-files-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("b_views")).unwrap();
        fs::write(dir.join("b_views/v.sql"), "-- view\n").unwrap();
        fs::write(dir.join("a_tables.sql"), "-- tables\n").unwrap();
        fs::write(dir.join(".hidden.sql"), "nope\n").unwrap();
        fs::write(dir.join("notes.txt"), "nope\n").unwrap();
        let files = read_schema_files(&dir).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|f| f.path.strip_prefix(&dir).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            names,
            [
                PathBuf::from("a_tables.sql"),
                PathBuf::from("b_views/v.sql")
            ]
        );
        fs::create_dir_all(dir.join("empty")).unwrap();
        let error = read_schema_files(&dir.join("empty")).unwrap_err();
        assert!(error.to_string().contains("holds no .sql file"), "{error}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
