//! Layer 2, the SQL text: everything pelican sends, built without any I/O, below both the
//! online run (`migrator`, `history`, `lock`) and `offline`, so that an offline script is
//! what an online run sends, by construction.
//!
//! * `guard`: the DDL guard's log, event-trigger function and the mark of pelican's runs;
//! * `history`: the history tables' names, and the statements that write their rows;
//! * `lease`: the lease lock's table and the statements taking, renewing and releasing it;
//! * `layout`: the DDL of the history layout (tables, digest functions and triggers);
//! * `pipeline`: several transactional revisions in one message, and where each lies in it;
//! * `probe`: the queries that look at the history schema before anything is trusted;
//! * `step`: the SQL of one step of a plan: timeouts, transaction bounds, markers, stamps.

pub(crate) mod guard;
pub(crate) mod history;
pub(crate) mod layout;
pub(crate) mod lease;
pub(crate) mod pipeline;
pub(crate) mod probe;
pub(crate) mod step;
