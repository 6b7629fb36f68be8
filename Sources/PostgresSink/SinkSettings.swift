import SQLTemplates
import WorkerGrants

/// What the inserter needs to know to write into PostgreSQL: the `[database]` section of the config.
public struct SinkSettings: Sendable, Equatable {
    /// Any libpq connection string: `postgresql://user@host:port/dbname` or `host=... dbname=...`.
    /// Settings it leaves out come from the PG* environment variables, as in psql.
    public var conninfo: String
    /// The schema that holds the measurement tables, the ledger and the rejects table.
    public var schema: String
    /// What happens when a measurement has no table yet.
    public var createTables: TableCreation
    /// Whether a tag or field key without a column in its table gets one (`ALTER TABLE ... ADD
    /// COLUMN`); without, it goes to `_tags`/`_fields`, or is dropped and counted.
    public var addColumns: Bool
    /// A table with this many columns gets no more.
    public var maxColumns: Int
    /// `create_templates` and `add_column_templates`: the DDL that replaces linemaster's own.
    public var templates: TableTemplates

    /// Defaults: schema `public`, jsonb layout, columns added only to the tables of the
    /// `columns` layout, at most ``defaultMaxColumns`` columns, linemaster's own DDL. How many
    /// rows make a batch is the caller's choice: each ``PostgresSink/write(_:range:)`` is one.
    public init(conninfo: String, schema: String = "public", createTables: TableCreation = .jsonb,
                addColumns: Bool? = nil, maxColumns: Int = Self.defaultMaxColumns, templates: TableTemplates = .none) {
        self.conninfo = conninfo
        self.schema = schema
        self.createTables = createTables
        self.addColumns = addColumns ?? (createTables == .columns)
        self.maxColumns = maxColumns
        self.templates = templates
    }

    /// 1,000: below PostgreSQL's 1,600, which counts dropped columns too.
    public static let defaultMaxColumns = 1000
}
