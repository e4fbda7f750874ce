//! `pelican dump`: the schema as one deterministic SQL file that loads back.

use super::cli::Project;

/// Two branches from one base, each with its own objects.
async fn branched(name: &str) -> Project {
    let p = Project::with_db(name).await;
    p.migration_sections(
        "a1",
        "",
        "",
        "CREATE TYPE mood AS ENUM ('happy', 'sad');\n\
         CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, mood mood);",
        "DROP TABLE users;\nDROP TYPE mood;",
    );
    p.migration_sections(
        "b1",
        "a1",
        "",
        "CREATE TABLE posts (id bigint PRIMARY KEY, author bigint REFERENCES users (id));\n\
         CREATE INDEX posts_author ON posts (author);\n\
         CREATE VIEW post_authors AS SELECT p.id, u.email FROM posts p JOIN users u ON u.id = p.author;",
        "DROP VIEW post_authors;\nDROP TABLE posts;",
    );
    p.migration_sections(
        "c1",
        "a1",
        "",
        "CREATE SEQUENCE tickets;\n\
         CREATE FUNCTION next_ticket() RETURNS bigint LANGUAGE sql AS 'SELECT nextval(''tickets'')';\n\
         COMMENT ON TABLE users IS 'people';",
        "COMMENT ON TABLE users IS NULL;\nDROP FUNCTION next_ticket();\nDROP SEQUENCE tickets;",
    );
    p
}

#[tokio::test]
async fn the_dump_is_the_same_bytes_whatever_order_the_branches_ran_in_and_loads_back() {
    let p = branched("dump-stable").await;
    p.pelican(&["upgrade", "b1"]).ok();
    p.pelican(&["upgrade", "c1"]).ok();
    let first = p.pelican(&["dump"]).ok().to_owned();
    assert_eq!(
        p.pelican(&["dump"]).ok(),
        first,
        "two dumps of one database"
    );
    assert!(
        first.starts_with("-- pelican dump of the database"),
        "{first}"
    );
    for expected in [
        "CREATE TYPE public.mood AS ENUM ('happy', 'sad');",
        "CREATE TABLE public.posts",
        "CREATE VIEW public.post_authors",
        "CREATE SEQUENCE public.tickets",
        "COMMENT ON TABLE public.users IS 'people';",
    ] {
        assert!(first.contains(expected), "{expected} missing from\n{first}");
    }
    let at = |text: &str| first.find(text).unwrap();
    assert!(
        at("CREATE TABLE public.users") < at("ADD CONSTRAINT posts_author_fkey")
            && at("ADD CONSTRAINT users_pkey") < at("ADD CONSTRAINT posts_author_fkey")
            && at("CREATE TABLE public.posts") < at("CREATE VIEW public.post_authors"),
        "dependency order\n{first}"
    );

    // The same revisions, the siblings in the other order.
    p.pelican(&["downgrade", "base"]).ok();
    p.pelican(&["upgrade", "c1"]).ok();
    p.pelican(&["upgrade", "b1"]).ok();
    assert_eq!(p.pelican(&["dump"]).ok(), first);

    // Loaded into an empty scratch database, it gives the same schema back.
    p.pelican(&["dump", "--output", "schema.sql"]).ok();
    assert_eq!(p.read("schema.sql"), first);
    let diff = p.pelican(&["diff", "--from", "database", "--to", "schema.sql"]);
    assert_eq!(diff.ok(), "");
    assert!(diff.stderr.contains("No differences."), "{}", diff.stderr);
}

#[tokio::test]
async fn dump_after_upgrade_rewrites_the_file_after_each_upgrade_and_downgrade() {
    let p = branched("dump-after").await;
    p.write("pelican.toml", "dump_after_upgrade = \"db/schema.sql\"\n");
    std::fs::create_dir_all(p.root.join("db")).unwrap();
    let run = p.pelican(&["upgrade", "a1"]);
    run.ok();
    assert!(run.stderr.contains("Rewrote "), "{}", run.stderr);
    let after_a1 = p.read("db/schema.sql");
    assert!(after_a1.contains("CREATE TABLE public.users"), "{after_a1}");
    assert!(!after_a1.contains("posts"), "{after_a1}");
    p.pelican(&["upgrade", "b1"]).ok();
    assert!(p
        .read("db/schema.sql")
        .contains("CREATE TABLE public.posts"));
    p.pelican(&["downgrade", "a1"]).ok();
    assert_eq!(p.read("db/schema.sql"), after_a1);
    // Unchanged: not rewritten, not announced.
    let again = p.pelican(&["upgrade", "a1"]);
    again.ok();
    assert!(!again.stderr.contains("Rewrote"), "{}", again.stderr);
}
