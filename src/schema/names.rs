//! The names objects are keyed by in a snapshot: schema-qualified names, and the names of
//! functions (with their arguments), columns and triggers, printed as SQL needs them typed.

use std::fmt;

/// A schema-qualified name: `app.tasks`.
///
/// Displayed as PostgreSQL would need it typed: a part that is not a plain lowercase name is
/// double-quoted (`public."Tasks"`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QualifiedName {
    /// The schema.
    pub schema: String,
    /// The object's name within it.
    pub name: String,
}

impl QualifiedName {
    /// `schema.name`.
    ///
    /// ```
    /// use pelican::schema::QualifiedName;
    ///
    /// assert_eq!(QualifiedName::new("app", "tasks").to_string(), "app.tasks");
    /// assert_eq!(QualifiedName::new("app", "Odd name").to_string(), "app.\"Odd name\"");
    /// ```
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName {
            schema: schema.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", ident(&self.schema), ident(&self.name))
    }
}

/// A function's name with its argument types, which tell overloads apart:
/// `app.count_in(state app.task_state)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FunctionName {
    /// The schema.
    pub schema: String,
    /// The function's name.
    pub name: String,
    /// The arguments that identify it, as PostgreSQL prints them
    /// (`pg_get_function_identity_arguments`): `state app.task_state`, or empty.
    pub arguments: String,
}

impl fmt::Display for FunctionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}({})",
            ident(&self.schema),
            ident(&self.name),
            self.arguments
        )
    }
}

/// A column of a table: `app.tasks.title`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ColumnName {
    /// The table.
    pub table: QualifiedName,
    /// The column's name.
    pub name: String,
}

impl fmt::Display for ColumnName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.table, ident(&self.name))
    }
}

/// A trigger's name, which is unique per table: `app.tasks.tasks_touch`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TriggerName {
    /// The table (or view) the trigger is on.
    pub table: QualifiedName,
    /// The trigger's name.
    pub name: String,
}

impl fmt::Display for TriggerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.table, ident(&self.name))
    }
}

/// A name as it must be typed in SQL: as is when it is a plain lowercase identifier,
/// double-quoted otherwise.
pub(crate) fn ident(name: &str) -> std::borrow::Cow<'_, str> {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain {
        name.into()
    } else {
        format!("\"{}\"", name.replace('"', "\"\"")).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_only_when_they_must_be() {
        assert_eq!(ident("tasks"), "tasks");
        assert_eq!(ident("_x1$"), "_x1$");
        assert_eq!(ident("Tasks"), "\"Tasks\"");
        assert_eq!(ident("1st"), "\"1st\"");
        assert_eq!(ident("a.b"), "\"a.b\"");
        assert_eq!(ident("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(ident(""), "\"\"");
        let trigger = TriggerName {
            table: QualifiedName::new("app", "Tasks"),
            name: "touch".into(),
        };
        assert_eq!(trigger.to_string(), "app.\"Tasks\".touch");
        let function = FunctionName {
            schema: "app".into(),
            name: "count_in".into(),
            arguments: "state app.task_state".into(),
        };
        assert_eq!(function.to_string(), "app.count_in(state app.task_state)");
    }
}
