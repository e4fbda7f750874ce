//! Running the `pelican` binary in a throwaway project directory, against a throwaway
//! database.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use pelican::testing::{TestDatabase, TestServer};
use tokio_postgres::Client;

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "expected success; {self:?}");
        &self.stdout
    }

    /// Asserts the exit status and returns stderr.
    #[track_caller]
    pub fn fails(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "expected exit status {code}; {self:?}");
        &self.stderr
    }
}

/// A directory with a `migrations` folder, and maybe a database.
pub struct Project {
    pub root: PathBuf,
    pub db: Option<TestDatabase>,
}

impl Project {
    /// A project without a database.
    pub fn new(name: &str) -> Project {
        let root = std::env::temp_dir().join(format!("pelican-cli-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("migrations")).unwrap();
        Project { root, db: None }
    }

    /// A project with a fresh database.
    pub async fn with_db(name: &str) -> Project {
        let mut project = Project::new(name);
        project.db = Some(
            TestServer::shared()
                .expect("a PostgreSQL server for tests")
                .create_database()
                .await
                .expect("a fresh database"),
        );
        project
    }

    pub fn url(&self) -> &str {
        self.db
            .as_ref()
            .expect("a project with a database")
            .connection_string()
    }

    pub async fn client(&self) -> Client {
        self.db.as_ref().unwrap().connect().await.unwrap()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    pub fn write(&self, relative: &str, text: &str) {
        let path = self.root.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    pub fn read(&self, relative: &str) -> String {
        fs::read_to_string(self.root.join(relative)).unwrap()
    }

    /// Writes `migrations/<id>_test.sql` creating (and dropping) table `t_<id>`.
    pub fn migration(&self, id: &str, revises: &str) {
        self.migration_with(id, revises, "", &format!("CREATE TABLE t_{id} (id int);"));
    }

    /// Writes a migration with extra header lines and its own up section.
    pub fn migration_with(&self, id: &str, revises: &str, header: &str, up: &str) {
        self.migration_sections(
            id,
            revises,
            header,
            up,
            &format!("DROP TABLE IF EXISTS t_{id};"),
        );
    }

    /// Writes a migration with extra header lines and its own up and down sections.
    pub fn migration_sections(&self, id: &str, revises: &str, header: &str, up: &str, down: &str) {
        let mut text = format!("-- revision: {id}\n");
        if !revises.is_empty() {
            text.push_str(&format!("-- revises: {revises}\n"));
        }
        text.push_str(&format!("-- message: create {id}\n"));
        for line in header.lines().filter(|l| !l.trim().is_empty()) {
            text.push_str(&format!("-- {}\n", line.trim()));
        }
        text.push_str(&format!("\n-- up\n{up}\n\n-- down\n{down}\n"));
        self.write(&format!("migrations/{id}_test.sql"), &text);
    }

    /// Runs `pelican ARGS` in the project, with `--database-url` when it has a database.
    pub fn pelican(&self, args: &[&str]) -> Run {
        let mut all: Vec<&str> = Vec::new();
        if let Some(db) = &self.db {
            all.extend(["--database-url", db.connection_string()]);
        }
        all.extend(args);
        self.pelican_env(&all, &[])
    }

    /// Runs `pelican ARGS` with extra environment variables and nothing else added.
    pub fn pelican_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        run_in(&self.root, args, env)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// Runs the binary in `dir`, without `DATABASE_URL` or `NO_COLOR` from the test's
/// environment.
pub fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pelican"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("NO_COLOR");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("the pelican binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
