//! A privilege granted on an object, as the snapshot holds it (read by `privileges`).

use std::fmt;

/// One privilege granted on an object, as `GRANT` writes it. The owner's own privileges are
/// left out; an object's default privileges (`EXECUTE` to `PUBLIC` on a function, say) are
/// listed like granted ones, so revoking one shows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grant {
    /// The object as `GRANT ... ON` names it: `SCHEMA app`, `TABLE app.tasks` (views and
    /// materialized views too), `SEQUENCE app.tasks_id_seq`, `ROUTINE app.f(n integer)`,
    /// `TYPE app.state` (domains too).
    pub object: String,
    /// `SELECT`, `INSERT`, `USAGE`, `EXECUTE`...
    pub privilege: String,
    /// The role, as it must be typed, or `PUBLIC`.
    pub grantee: String,
    /// `WITH GRANT OPTION`.
    pub grantable: bool,
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ON {} TO {}{}",
            self.privilege,
            self.object,
            self.grantee,
            if self.grantable {
                " WITH GRANT OPTION"
            } else {
                ""
            }
        )
    }
}
