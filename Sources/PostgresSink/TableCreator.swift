import LineProtocol
import SQLTemplates
import WorkerGrants

/// Makes a missing measurement table exist, as `create_tables` says, from the keys of the rows
/// that need it; with `create_templates`, by running them instead of its own CREATE TABLE.
struct TableCreator {
    let mode: TableCreation
    let templates: TableTemplates
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
                let columns = mode == .columns ? plan.columns : []
                guard let statements = templates.renderCreate(table: TemplateTable(schema: catalog.schema, name: name),
                                                              columns: templateColumns(columns)) else {
                    try connection.execute(try createStatements(name, columns, on: connection))
                    return try catalog.load(table: name, on: connection)
                }
                return try create(name, with: statements, commenting: columns, on: connection)
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

    /// The columns `{{ .columns }}` is given: those linemaster's CREATE TABLE would make.
    private func templateColumns(_ columns: [ColumnPlan.NewColumn]) -> [TemplateColumn] {
        [TemplateColumn(name: TableShape.timeColumn, type: "timestamptz NOT NULL", role: .time)]
            + columns.map(\.templateColumn)
            + [TemplateColumn(name: TableShape.tagsColumn, type: "jsonb", role: .tag),
               TemplateColumn(name: TableShape.fieldsColumn, type: "jsonb", role: .field)]
    }

    /// Runs the rendered `create_templates` in order, in the creator's transaction and under its
    /// lock, then comments the planned columns the table has (the comment says which key a column
    /// named otherwise receives, ``ColumnComment``). A statement the server refuses keeps
    /// PostgreSQL's SQLSTATE, which decides what becomes of the rows (``ErrorClass``), and is
    /// named in the error, with its text in the detail.
    private func create(_ name: String, with statements: [String], commenting columns: [ColumnPlan.NewColumn],
                        on connection: Connection) throws(StatementFailure) -> TableShape {
        try connection.execute(rendered: statements, of: templates.create)
        guard let made = try catalog.load(table: name, on: connection) else {
            let table = quoteIdentifier(catalog.schema) + "." + quoteIdentifier(name)
            throw .server(ServerError(sqlstate: "42P01", message: "create_templates ran without error but made no table \(table)"))
        }
        let present = columns.filter { made.columnNames.contains($0.name) }
        guard !present.isEmpty else { return made }
        for column in present {
            try connection.query("COMMENT ON COLUMN \(made.qualifiedName).\(quoteIdentifier(column.name)) IS \(try connection.literal(column.comment))")
        }
        return try catalog.load(oid: made.oid, on: connection) ?? made
    }

    /// A `name[]` literal: `{"a","b"}`, with quotes and backslashes escaped.
    private func arrayLiteral(_ names: [String]) -> String {
        let elements = names.map { name in
            "\"" + name.flatMap { $0 == "\"" || $0 == "\\" ? ["\\", $0] : [$0] } + "\""
        }
        return "{" + elements.joined(separator: ",") + "}"
    }
}
