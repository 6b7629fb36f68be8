import LineProtocol
import WorkerGrants

/// Makes a missing measurement table exist, as `create_tables` says, from the keys of the rows
/// that need it.
struct TableCreator {
    let mode: TableCreation
    let catalog: Catalog

    /// The advisory lock that creating or altering a table takes, so that inserters take turns.
    static func lockKey(_ schema: String, _ table: String) -> String {
        "linemaster table \(schema).\(table)"
    }

    /// The shape of the table now there, or nil when none is created (`skip`, or a `_create`
    /// function that returned NULL). Inserters creating the same table take turns; the second
    /// finds the first one's table.
    func create(_ name: String, for rows: [PointRecordView], on connection: Connection) throws(StatementFailure) -> TableShape? {
        if mode == .skip { return nil }
        return try connection.serialized(on: Self.lockKey(catalog.schema, name)) { () throws(StatementFailure) -> TableShape? in
            if let existing = try catalog.load(table: name, on: connection) { return existing }
            let plan = ColumnPlan(for: rows, in: .empty)
            guard mode == .function else {
                try connection.execute(try createStatements(name, mode == .columns ? plan.columns : [], on: connection))
                return try catalog.load(table: name, on: connection)
            }
            // The function names its columns itself: it is given the keys that are their own names.
            let named = plan.columns.filter { $0.name == $0.key }
            let created = try connection.query(
                "SELECT \(quoteIdentifier(catalog.schema))._create($1::name, $2::name[], $3::name[])::oid",
                [name, arrayLiteral(named.filter { $0.kind == .tag }.map(\.key)), arrayLiteral(named.filter { $0.kind == .field }.map(\.key))])
            guard let cell = created.first?.first, let text = cell, let oid = UInt32(text) else { return nil }
            return try catalog.load(oid: oid, on: connection)
        }
    }

    /// `CREATE TABLE` with `_time`, the typed columns (each with its ``ColumnComment``), and
    /// `_tags` and `_fields`: typed tables keep them too, for keys that get no column.
    private func createStatements(_ name: String, _ columns: [ColumnPlan.NewColumn], on connection: Connection) throws(StatementFailure) -> String {
        let table = quoteIdentifier(catalog.schema) + "." + quoteIdentifier(name)
        let definitions = ["_time timestamptz NOT NULL"] + columns.map(\.definition) + ["_tags jsonb", "_fields jsonb"]
        var statements = ["CREATE TABLE IF NOT EXISTS \(table) (\(definitions.joined(separator: ", ")))"]
        for column in columns {
            statements.append("COMMENT ON COLUMN \(table).\(quoteIdentifier(column.name)) IS \(try connection.literal(column.comment))")
        }
        return statements.joined(separator: "; ")
    }

    /// A `name[]` literal: `{"a","b"}`, with quotes and backslashes escaped.
    private func arrayLiteral(_ names: [String]) -> String {
        let elements = names.map { name in
            "\"" + name.flatMap { $0 == "\"" || $0 == "\\" ? ["\\", $0] : [$0] } + "\""
        }
        return "{" + elements.joined(separator: ",") + "}"
    }
}
