/// The `[database]` templates: `create_templates`, run instead of linemaster's own CREATE TABLE,
/// and `add_column_templates`, instead of its own ALTER TABLE ... ADD COLUMN. An empty list
/// means linemaster's own statement.
public struct TableTemplates: Sendable, Equatable {
    public let create: [SQLTemplate]
    public let addColumn: [SQLTemplate]

    /// No templates: linemaster's own DDL.
    public static let none = TableTemplates(checked: [], [])

    private init(checked create: [SQLTemplate], _ addColumn: [SQLTemplate]) {
        self.create = create
        self.addColumn = addColumn
    }

    /// Reads every statement; the first that cannot be rendered is thrown.
    public init(create: [String] = [], addColumn: [String] = []) throws(TemplateError) {
        self.create = try Self.read(create, "create_templates")
        self.addColumn = try Self.read(addColumn, "add_column_templates")
    }

    /// The statements that create `table` with `columns`, in order; nil when no
    /// `create_templates` are set.
    public func renderCreate(table: TemplateTable, columns: [TemplateColumn]) -> [String]? {
        create.isEmpty ? nil : create.map { $0.render(table: table, columns: columns) }
    }

    /// The statements that add `columns` to `table` (whose `columns` are those it has already:
    /// `.allColumns` is both), in order; nil when no `add_column_templates` are set.
    public func renderAddColumns(table: TemplateTable, columns: [TemplateColumn]) -> [String]? {
        addColumn.isEmpty ? nil : addColumn.map { $0.render(table: table, columns: columns) }
    }

    /// `statements` read as `key[1]`, `key[2]`, ...
    private static func read(_ statements: [String], _ key: String) throws(TemplateError) -> [SQLTemplate] {
        var templates: [SQLTemplate] = []
        for (i, text) in statements.enumerated() { templates.append(try SQLTemplate(text, statement: "\(key)[\(i + 1)]")) }
        return templates
    }
}
