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

    /// Defaults: schema `public`, jsonb layout. How many rows make a batch is the caller's choice:
    /// each ``PostgresSink/write(_:range:)`` is one.
    public init(conninfo: String, schema: String = "public", createTables: TableCreation = .jsonb) {
        self.conninfo = conninfo
        self.schema = schema
        self.createTables = createTables
    }
}
