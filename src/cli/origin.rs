//! Where a setting came from (an option, the settings file, the environment, a default), for
//! `-v` and for messages; below both the settings and the errors that name them.

use std::fmt;
use std::path::PathBuf;

/// The settings file `init` writes and every command reads from the current directory.
pub(crate) const CONFIG_FILE: &str = "pelican.toml";
/// The environment variable holding the database's connection string.
pub(crate) const DATABASE_URL_VAR: &str = "DATABASE_URL";

/// Where a setting came from, for `-v` and for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A command-line option.
    Option(&'static str),
    /// The settings file.
    File(PathBuf),
    /// An environment variable.
    Env(&'static str),
    /// The built-in default.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Option(name) => write!(f, "from {name}"),
            Origin::File(path) => write!(f, "from {}", path.display()),
            Origin::Env(name) => write!(f, "from {name}"),
            Origin::Default => f.write_str("default"),
        }
    }
}
