/// One statement of `create_templates` or `add_column_templates`: SQL with actions in the
/// syntax of Telegraf's `outputs.postgresql` templates (Go's text/template), so that a user's
/// Telegraf templates work here once the time column's name is changed (`_time`).
///
/// linemaster knows the part of that language the plugin's documented samples use: `{{ .table }}`
/// (the quoted, schema-qualified name), `{{ .columns }}` (the definitions, `"name" type`, comma
/// separated), `{{ .allColumns }}`, `.table.Schema`, `.table.Name`, `.table.Columns`,
/// `.table.WithSchema "s"`, `.table.WithName "n"`, `.table.WithSuffix "_x"`,
/// `.columns.Identifiers`, `.Definitions`, `.Tags`, `.Fields`, `.Keys`, the functions
/// `quoteIdentifier`, `quoteLiteral` and `join "separator"`, pipes, `{{-`/`-}}` and comments.
///
/// Nothing from the rows is ever written into a statement unquoted: names (`.table.Name`) must go
/// through `quoteIdentifier` or `quoteLiteral`, and a template that would write one as it is, or
/// uses anything unknown, is refused when it is read, with the statement, line and column.
public struct SQLTemplate: Sendable, Equatable {
    /// The statement as written.
    public let source: String
    /// Which statement this is, for messages: `create_templates[1]`.
    public let statement: String
    private let parts: [TemplatePart]

    /// Reads `source`, and renders it once for a sample table, so that every error a template can
    /// have shows here (see ``TemplateEvaluator``).
    public init(_ source: String, statement: String) throws(TemplateError) {
        guard source.contains(where: { !$0.isWhitespace }) else {
            throw TemplateError("an empty statement", at: 0, in: source, statement: statement)
        }
        var parser = TemplateParser(source, statement: statement)
        parts = try parser.parse()
        self.source = source
        self.statement = statement
        let sample = [
            TemplateColumn(name: "t", type: "timestamptz", role: .time), TemplateColumn(name: "g", type: "text", role: .tag),
            TemplateColumn(name: "f", type: "bigint", role: .field),
        ]
        _ = try evaluator(TemplateScope(table: TemplateTable(schema: "s", name: "n"), columns: sample, allColumns: sample)).render(parts)
    }

    /// The statement for `table` and its columns; `allColumns` defaults to the table's columns
    /// followed by `columns`, as in Telegraf.
    public func render(table: TemplateTable, columns: [TemplateColumn], allColumns: [TemplateColumn]? = nil) -> String {
        let scope = TemplateScope(table: table, columns: columns, allColumns: allColumns ?? table.columns + columns)
        do {
            return try evaluator(scope).render(parts)
        } catch {
            preconditionFailure("\(error): a template renders alike for every table, and this one rendered when it was read")
        }
    }

    private func evaluator(_ scope: TemplateScope) -> TemplateEvaluator {
        TemplateEvaluator(source: source, statement: statement, scope: scope)
    }

    public static func == (a: SQLTemplate, b: SQLTemplate) -> Bool {
        a.source == b.source && a.statement == b.statement
    }
}
