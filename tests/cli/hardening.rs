//! Input that used to get through and fail late, or worse: refused when it is read, with a
//! message that names it.

use super::cli::Project;

#[test]
fn a_schema_name_with_a_line_break_is_refused() {
    let p = Project::new("hostile-schema");
    p.migration("a1", "");
    let hostile = "tenant\nDROP TABLE users; --";
    let run = p.pelican(&["--schema", hostile, "upgrade", "a1", "--sql"]);
    assert_eq!(
        run.fails(1),
        "error: the history schema (from --schema) \"tenant\\nDROP TABLE users; --\" contains \
         a control character (a line break, a tab...); give a schema name without them, such \
         as 'tenant_1'\n"
    );
    assert_eq!(run.stdout, "");

    p.write("pelican.toml", "schema = \"a\\tb\"\n");
    assert_eq!(
        p.pelican(&["upgrade", "a1", "--sql"]).fails(1),
        "error: the history schema (from pelican.toml) \"a\\tb\" contains a control character \
         (a line break, a tab...); give a schema name without them, such as 'tenant_1'\n"
    );
}
