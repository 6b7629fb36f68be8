import LineProtocol
import WorkerGrants

/// Makes a missing measurement table exist, as `create_tables` says, from the keys of the rows
/// that need it.
struct TableCreator {
    let mode: TableCreation
    let catalog: Catalog

    /// The shape of the table now there, or nil when none is created (`skip`, or a `_create`
    /// function that returned NULL). Inserters creating the same table take turns; the second
    /// finds the first one's table.
    func create(_ name: String, for rows: [PointRecordView], on connection: Connection) throws(StatementFailure) -> TableShape? {
        if mode == .skip { return nil }
        let lockKey = "linemaster table \(catalog.schema).\(name)"
        return try connection.serialized(on: lockKey) { () throws(StatementFailure) -> TableShape? in
            if let existing = try catalog.load(table: name, on: connection) { return existing }
            let keys = Keys(rows)
            guard mode == .function else {
                try connection.query(createStatement(name, keys))
                return try catalog.load(table: name, on: connection)
            }
            let created = try connection.query(
                "SELECT \(quoteIdentifier(catalog.schema))._create($1::name, $2::name[], $3::name[])::oid",
                [name, arrayLiteral(keys.tags), arrayLiteral(keys.fields.map(\.name))])
            guard let cell = created.first?.first, let text = cell, let oid = UInt32(text) else { return nil }
            return try catalog.load(oid: oid, on: connection)
        }
    }

    private func createStatement(_ name: String, _ keys: Keys) -> String {
        var columns = ["_time timestamptz NOT NULL"]
        if mode == .columns {
            columns += keys.tags.map { "\(quoteIdentifier($0)) text" }
            columns += keys.fields.map { "\(quoteIdentifier($0.name)) \($0.type)" }
        }
        // Typed tables keep _tags and _fields too, so that keys that appear later are not lost.
        columns += ["_tags jsonb", "_fields jsonb"]
        let table = quoteIdentifier(catalog.schema) + "." + quoteIdentifier(name)
        return "CREATE TABLE IF NOT EXISTS \(table) (\(columns.joined(separator: ", ")))"
    }

    /// A `name[]` literal: `{"a","b"}`, with quotes and backslashes escaped.
    private func arrayLiteral(_ names: [String]) -> String {
        let elements = names.map { name in
            "\"" + name.flatMap { $0 == "\"" || $0 == "\\" ? ["\\", $0] : [$0] } + "\""
        }
        return "{" + elements.joined(separator: ",") + "}"
    }
}

/// The tag and field keys of some rows, in order of first appearance, each once; fields with the
/// SQL type of their first value. Names PostgreSQL could not keep as they are (reserved, too long,
/// holding a NUL) are left out and stay in the JSON.
private struct Keys {
    var tags: [String] = []
    var fields: [(name: String, type: String)] = []

    init(_ rows: [PointRecordView]) {
        var seen: Set<String> = [TableShape.timeColumn, TableShape.tagsColumn, TableShape.fieldsColumn]
        func admit(_ key: UnsafeBufferPointer<UInt8>) -> String? {
            guard isStorableName(key), key.count <= 63 else { return nil }
            return seen.insert(String(decoding: key, as: UTF8.self)).inserted ? String(decoding: key, as: UTF8.self) : nil
        }
        for row in rows {
            row.forEachTag { key, _ in if let name = admit(key) { tags.append(name) } }
            row.forEachField { key, value in if let name = admit(key) { fields.append((name, Self.sqlType(value))) } }
        }
    }

    private static func sqlType(_ value: PointRecordView.Value) -> String {
        switch value {
        case .float: return "double precision"
        case .int: return "bigint"
        case .uint: return "numeric(20)"
        case .bool: return "boolean"
        case .string: return "text"
        }
    }
}
