//! The snapshot as plain data: every object keyed by its name, nothing that depends on OIDs
//! or on the order objects were created in.

use std::collections::BTreeMap;
use std::fmt;

use super::depend::Dependencies;
pub(crate) use super::names::ident;
pub use super::names::{ColumnName, FunctionName, QualifiedName, TriggerName};
use super::types::{CompositeType, RangeType};

/// Everything a database's schemas define, as a value: read it with
/// [`snapshot`](super::snapshot), compare two with `==`, list the differences with
/// [`diff`](Snapshot::diff).
///
/// Objects are keyed by name in ordered maps, so two databases built by the same DDL give
/// equal snapshots whatever their OIDs, and iteration order is stable. Objects that belong to
/// a table as part of its definition (columns, constraints) live in the [`Table`]; objects
/// made by statements of their own (indexes, triggers) have maps of their own.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Snapshot {
    /// Schemas, by name.
    pub schemas: BTreeMap<String, Schema>,
    /// Installed extensions (a database-wide list, whatever the schemas selected), by name.
    /// The objects an extension creates are not listed elsewhere.
    pub extensions: BTreeMap<String, Extension>,
    /// Tables, including partitioned tables and partitions.
    pub tables: BTreeMap<QualifiedName, Table>,
    /// Indexes, except those that implement a primary key, unique or exclusion constraint
    /// (they are part of the [`Constraint`]).
    pub indexes: BTreeMap<QualifiedName, Index>,
    /// Sequences, except identity sequences (part of their [`Column`]'s [`Identity`]).
    pub sequences: BTreeMap<QualifiedName, Sequence>,
    /// Views.
    pub views: BTreeMap<QualifiedName, View>,
    /// Materialized views.
    pub materialized_views: BTreeMap<QualifiedName, View>,
    /// Functions, procedures and aggregates.
    pub functions: BTreeMap<FunctionName, Function>,
    /// Triggers (not the internal ones PostgreSQL makes for foreign keys).
    pub triggers: BTreeMap<TriggerName, Trigger>,
    /// Enum types.
    pub enums: BTreeMap<QualifiedName, EnumType>,
    /// Domains.
    pub domains: BTreeMap<QualifiedName, Domain>,
    /// Composite types (`CREATE TYPE t AS (...)`; not the row types of tables).
    pub composite_types: BTreeMap<QualifiedName, CompositeType>,
    /// Range types.
    pub range_types: BTreeMap<QualifiedName, RangeType>,
    /// Privileges granted on these objects; empty unless asked for
    /// ([`SnapshotOptions::include_privileges`](super::SnapshotOptions::include_privileges)).
    pub privileges: std::collections::BTreeSet<super::grant::Grant>,
    /// Who uses what among the objects above (`pg_depend`; for a view, its rule's): a view
    /// on the columns, views and routines it reads, a routine on what its `BEGIN ATOMIC`
    /// body names, a default, check or trigger on the routines it calls. What belongs to
    /// PostgreSQL or to an extension is left out. Empty in a snapshot built by hand: then
    /// autogenerate reads who uses what from the definitions' text.
    pub dependencies: Dependencies,
}

/// A schema.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Schema {
    /// `COMMENT ON SCHEMA`.
    pub comment: Option<String>,
}

/// An installed extension.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Extension {
    /// The schema its objects are in.
    pub schema: String,
    /// The installed version.
    pub version: String,
    /// Its comment (usually the one its control file sets).
    pub comment: Option<String>,
}

/// A table (regular, partitioned, or a partition), with its columns and constraints.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Table {
    /// The columns, in their order in the table (dropped columns leave no trace).
    pub columns: Vec<Column>,
    /// Primary key, unique, check, foreign key and exclusion constraints, by name.
    pub constraints: BTreeMap<String, Constraint>,
    /// `CREATE UNLOGGED TABLE`.
    pub unlogged: bool,
    /// Storage parameters (`WITH (...)`), as `fillfactor=70, ...`.
    pub options: Option<String>,
    /// For a partitioned table, its partition key: `RANGE (at)`.
    pub partition_key: Option<String>,
    /// For a partition, its bound: `FOR VALUES FROM (...) TO (...)`.
    pub partition_bound: Option<String>,
    /// The tables it inherits from, or for a partition its partitioned table.
    pub parents: Vec<QualifiedName>,
    /// `COMMENT ON TABLE`.
    pub comment: Option<String>,
    /// `ALTER TABLE ... ENABLE ROW LEVEL SECURITY`: its [`policies`](Self::policies) apply.
    pub row_security: bool,
    /// `ALTER TABLE ... FORCE ROW LEVEL SECURITY`: they apply to the table's owner too.
    pub force_row_security: bool,
    /// Row-level security policies (`CREATE POLICY`), by name.
    pub policies: BTreeMap<String, Policy>,
}

impl Table {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }
}

/// A row-level security policy of a table (`CREATE POLICY`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// The command it applies to (`FOR ...`).
    pub command: PolicyCommand,
    /// `AS PERMISSIVE` (policies combined with `OR`), or `AS RESTRICTIVE` (with `AND`).
    pub permissive: bool,
    /// The roles it applies to (`TO ...`), sorted, as names are typed (`public` for
    /// everyone).
    pub roles: Vec<String>,
    /// `USING (...)`: which existing rows are visible, as `pg_get_expr` prints it.
    pub using: Option<String>,
    /// `WITH CHECK (...)`: which new rows are allowed, as `pg_get_expr` prints it.
    pub with_check: Option<String>,
}

impl Policy {
    /// A permissive policy for `command` and every role (`public`), with no expressions: set
    /// the public fields for the rest.
    pub fn new(command: PolicyCommand) -> Self {
        Policy {
            command,
            permissive: true,
            roles: vec!["public".to_owned()],
            using: None,
            with_check: None,
        }
    }
}

/// The command a [`Policy`] applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyCommand {
    /// `FOR ALL`.
    All,
    /// `FOR SELECT`.
    Select,
    /// `FOR INSERT`.
    Insert,
    /// `FOR UPDATE`.
    Update,
    /// `FOR DELETE`.
    Delete,
}

impl fmt::Display for PolicyCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        })
    }
}

/// A column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its type, as `format_type` prints it: `integer`, `character varying(200)`, `app.state`.
    pub data_type: String,
    /// `NOT NULL`.
    pub not_null: bool,
    /// The default expression: `0`, `now()`, `nextval('app.notes_id_seq'::regclass)`.
    pub default: Option<String>,
    /// For a generated column, the expression it is computed from (`GENERATED ALWAYS AS
    /// (...) STORED`, or `VIRTUAL`: see [`generated_kind`](Self::generated_kind)).
    pub generated: Option<String>,
    /// For a generated column, whether it is stored or (PostgreSQL 18) virtual, computed
    /// when read; [`GeneratedKind::Stored`] for every other column.
    pub generated_kind: GeneratedKind,
    /// For an identity column, how it is generated.
    pub identity: Option<Identity>,
    /// `COLLATE`, when it is not the type's default collation.
    pub collation: Option<String>,
    /// `COMMENT ON COLUMN`.
    pub comment: Option<String>,
}

impl Column {
    /// A nullable column of `data_type` (as `format_type` prints it), with no default, no
    /// comment, nothing generated: set the public fields for the rest.
    pub fn new(name: impl Into<String>, data_type: impl Into<String>) -> Self {
        Column {
            name: name.into(),
            data_type: data_type.into(),
            not_null: false,
            default: None,
            generated: None,
            generated_kind: GeneratedKind::Stored,
            identity: None,
            collation: None,
            comment: None,
        }
    }
}

/// How a generated column keeps its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GeneratedKind {
    /// `STORED`: computed when a row is written, kept in the table (PostgreSQL 12 on).
    #[default]
    Stored,
    /// `VIRTUAL`: computed when a row is read (PostgreSQL 18 on, where it is the default).
    Virtual,
}

impl GeneratedKind {
    /// The keyword: `STORED` or `VIRTUAL`.
    pub fn keyword(self) -> &'static str {
        match self {
            GeneratedKind::Stored => "STORED",
            GeneratedKind::Virtual => "VIRTUAL",
        }
    }
}

/// How an identity column is generated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Identity {
    /// `ALWAYS` or `BY DEFAULT`.
    pub generation: IdentityGeneration,
    /// The options of its sequence.
    pub sequence: SequenceOptions,
}

/// `GENERATED ALWAYS` or `GENERATED BY DEFAULT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityGeneration {
    /// `GENERATED ALWAYS AS IDENTITY`: explicit values need `OVERRIDING SYSTEM VALUE`.
    Always,
    /// `GENERATED BY DEFAULT AS IDENTITY`.
    ByDefault,
}

impl fmt::Display for IdentityGeneration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdentityGeneration::Always => "generated always as identity",
            IdentityGeneration::ByDefault => "generated by default as identity",
        })
    }
}

/// The numbers that define a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SequenceOptions {
    /// `START WITH`.
    pub start: i64,
    /// `INCREMENT BY`.
    pub increment: i64,
    /// `MINVALUE`.
    pub min: i64,
    /// `MAXVALUE`.
    pub max: i64,
    /// `CACHE`.
    pub cache: i64,
    /// `CYCLE`.
    pub cycle: bool,
}

impl fmt::Display for SequenceOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "start {} increment {} minvalue {} maxvalue {} cache {}{}",
            self.start,
            self.increment,
            self.min,
            self.max,
            self.cache,
            if self.cycle { " cycle" } else { " no cycle" }
        )
    }
}

/// A table constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Constraint {
    /// Which kind.
    pub kind: ConstraintKind,
    /// Its definition, as `pg_get_constraintdef` prints it: `PRIMARY KEY (id)`,
    /// `FOREIGN KEY (owner_id) REFERENCES app.users(id) ON DELETE CASCADE`.
    pub definition: String,
    /// `COMMENT ON CONSTRAINT`.
    pub comment: Option<String>,
}

impl Constraint {
    /// A constraint of `kind` defined as `pg_get_constraintdef` would print it, without a
    /// comment.
    pub fn new(kind: ConstraintKind, definition: impl Into<String>) -> Self {
        Constraint {
            kind,
            definition: definition.into(),
            comment: None,
        }
    }
}

/// The kinds of table constraints (`NOT NULL` is a property of the [`Column`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConstraintKind {
    /// `PRIMARY KEY`.
    PrimaryKey,
    /// `UNIQUE`.
    Unique,
    /// `CHECK`.
    Check,
    /// `FOREIGN KEY`.
    ForeignKey,
    /// `EXCLUDE`.
    Exclusion,
}

impl fmt::Display for ConstraintKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConstraintKind::PrimaryKey => "primary key",
            ConstraintKind::Unique => "unique",
            ConstraintKind::Check => "check",
            ConstraintKind::ForeignKey => "foreign key",
            ConstraintKind::Exclusion => "exclusion",
        })
    }
}

/// An index.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Index {
    /// The table (or materialized view) it indexes.
    pub table: QualifiedName,
    /// Its definition, as `pg_get_indexdef` prints it: `CREATE INDEX tasks_open_idx ON
    /// app.tasks USING btree (priority) WHERE ...`.
    pub definition: String,
    /// `COMMENT ON INDEX`.
    pub comment: Option<String>,
}

/// A sequence (not an identity column's: see [`Identity`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sequence {
    /// `AS bigint`.
    pub data_type: String,
    /// Start, increment, bounds, cache, cycle.
    pub options: SequenceOptions,
    /// The column that owns it (`OWNED BY`, as a `serial` column's sequence is).
    pub owned_by: Option<ColumnName>,
    /// `COMMENT ON SEQUENCE`.
    pub comment: Option<String>,
}

/// A view or a materialized view.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct View {
    /// Its query, as `pg_get_viewdef` prints it.
    pub definition: String,
    /// Its options (`WITH (...)`): `check_option=local`, `security_barrier=true`, ...
    pub options: Option<String>,
    /// `COMMENT ON VIEW` / `COMMENT ON MATERIALIZED VIEW`.
    pub comment: Option<String>,
}

/// A function, procedure or aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Function {
    /// Function, procedure, aggregate or window function.
    pub kind: FunctionKind,
    /// Its definition: `pg_get_functiondef`'s `CREATE OR REPLACE FUNCTION ...` (body
    /// included), or for an aggregate `AGGREGATE name(args) (SFUNC = ..., STYPE = ...)`.
    pub definition: String,
    /// `COMMENT ON FUNCTION`.
    pub comment: Option<String>,
}

/// The kinds of routines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FunctionKind {
    /// `CREATE FUNCTION`.
    Function,
    /// `CREATE PROCEDURE`.
    Procedure,
    /// `CREATE AGGREGATE`.
    Aggregate,
    /// A window function.
    Window,
}

impl fmt::Display for FunctionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FunctionKind::Function => "function",
            FunctionKind::Procedure => "procedure",
            FunctionKind::Aggregate => "aggregate",
            FunctionKind::Window => "window function",
        })
    }
}

/// A trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Trigger {
    /// Its definition, as `pg_get_triggerdef` prints it: `CREATE TRIGGER ...`.
    pub definition: String,
    /// When it fires (`ALTER TABLE ... ENABLE / DISABLE TRIGGER`).
    pub firing: TriggerFiring,
    /// `COMMENT ON TRIGGER`.
    pub comment: Option<String>,
}

/// When a trigger fires, as `session_replication_role` decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TriggerFiring {
    /// Enabled (the default): fires in `origin` and `local` sessions.
    Enabled,
    /// `DISABLE TRIGGER`: never fires.
    Disabled,
    /// `ENABLE REPLICA TRIGGER`: fires only in `replica` sessions.
    Replica,
    /// `ENABLE ALWAYS TRIGGER`: fires in every session.
    Always,
}

impl fmt::Display for TriggerFiring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TriggerFiring::Enabled => "enabled",
            TriggerFiring::Disabled => "disabled",
            TriggerFiring::Replica => "enabled replica",
            TriggerFiring::Always => "enabled always",
        })
    }
}

/// An enum type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnumType {
    /// Its labels, in order.
    pub labels: Vec<String>,
    /// `COMMENT ON TYPE`.
    pub comment: Option<String>,
}

/// A domain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Domain {
    /// The type it is based on, as `format_type` prints it.
    pub base_type: String,
    /// `NOT NULL`.
    pub not_null: bool,
    /// `DEFAULT`.
    pub default: Option<String>,
    /// `COLLATE`, when it is not the base type's.
    pub collation: Option<String>,
    /// Its check constraints: name → definition (`CHECK (VALUE >= 0)`).
    pub constraints: BTreeMap<String, String>,
    /// `COMMENT ON DOMAIN`.
    pub comment: Option<String>,
}
