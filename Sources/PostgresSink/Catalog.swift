/// The measurement tables the sink knows, read from `pg_catalog` once and kept until
/// ``invalidate()`` (SIGHUP, or an error that says a definition changed).
final class Catalog {
    enum Entry {
        case table(TableShape)
        /// Looked up, not there, and not created (`create_tables = "skip"`).
        case missing
    }

    let schema: String
    private var entries: [[UInt8]: Entry] = [:]

    init(schema: String) {
        self.schema = schema
    }

    func entry(for measurement: [UInt8]) -> Entry? { entries[measurement] }

    func remember(_ entry: Entry, for measurement: [UInt8]) { entries[measurement] = entry }

    func invalidate() { entries.removeAll() }

    /// The table called `name` in the schema, or nil if there is none.
    func load(table name: String, on connection: Connection) throws(StatementFailure) -> TableShape? {
        try Self.load(where: "n.nspname = $1 AND c.relname = $2", [schema, name], on: connection)
    }

    /// The table with this oid (what a `_create` function returned), or nil if it is gone.
    func load(oid: UInt32, on connection: Connection) throws(StatementFailure) -> TableShape? {
        try Self.load(where: "c.oid = $1", [String(oid)], on: connection)
    }

    /// Columns in attribute order, with their comments; dropped ones excluded; generated ones
    /// without a type (COPY cannot fill them, but their names are taken); a domain counts as its
    /// base type.
    private static func load(where condition: String, _ parameters: [String], on connection: Connection) throws(StatementFailure) -> TableShape? {
        let rows = try connection.query("""
            SELECT c.oid, n.nspname, c.relname, a.attname,
                   CASE WHEN a.attgenerated <> '' THEN 0 WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END,
                   CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END,
                   a.atthasdef OR t.typdefault IS NOT NULL,
                   pg_catalog.col_description(c.oid, a.attnum)
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
            WHERE \(condition) AND c.relkind IN ('r', 'p')
            ORDER BY a.attnum
            """, parameters)
        guard let first = rows.first, let oid = first[0].flatMap({ UInt32($0) }) else { return nil }
        let columns = rows.compactMap { row -> TableShape.CatalogColumn? in
            guard let name = row[3], let type = row[4].flatMap({ UInt32($0) }), let typmod = row[5].flatMap({ Int32($0) }) else { return nil }
            return TableShape.CatalogColumn(name: name, type: ColumnType(oid: type, typmod: typmod), hasDefault: row[6] == "t", comment: row[7])
        }
        let qualifiedName = quoteIdentifier(first[1] ?? "") + "." + quoteIdentifier(first[2] ?? "")
        return TableShape(oid: oid, qualifiedName: qualifiedName, columns: columns)
    }
}
