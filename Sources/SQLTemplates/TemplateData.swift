/// The table a template is rendered for: `{{ .table }}`, `{{ .table.Name }}`, ...
public struct TemplateTable: Sendable, Equatable {
    public var schema: String
    public var name: String
    /// The columns the table has already (`{{ .table.Columns }}`): none for a table being created.
    public var columns: [TemplateColumn]

    public init(schema: String, name: String, columns: [TemplateColumn] = []) {
        self.schema = schema
        self.name = name
        self.columns = columns
    }

    /// `"schema"."name"`, as Telegraf writes `{{ .table }}`.
    public var identifier: String { SQLQuote.identifier(schema) + "." + SQLQuote.identifier(name) }
}

/// A column a template is given: in `{{ .columns }}` as its definition, `"name" type`.
public struct TemplateColumn: Sendable, Equatable {
    /// What the column holds, as in Telegraf: `.columns.Tags`, `.columns.Fields` and
    /// `.columns.Keys` (every column but the fields) select by it.
    public enum Role: Sendable, Equatable {
        case time, tag, field
    }

    public var name: String
    /// The SQL type, with anything else that belongs to the definition (`timestamptz NOT NULL`).
    public var type: String
    public var role: Role

    public init(name: String, type: String, role: Role) {
        self.name = name
        self.type = type
        self.role = role
    }

    /// `"name" type`.
    public var definition: String { SQLQuote.identifier(name) + " " + type }
}

/// The quoting the templates' `quoteIdentifier` and `quoteLiteral` do: what makes any name, from
/// any line of line protocol, a name or a string in SQL and never SQL itself.
public enum SQLQuote {
    /// `"name"`, quotes inside doubled.
    public static func identifier(_ name: String) -> String {
        "\"" + name.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }

    /// `'text'`, quotes inside doubled; with a backslash, `E'...'` with backslashes doubled, as
    /// PostgreSQL's `quote_literal` writes it, so that the literal means the same whatever
    /// `standard_conforming_strings` says.
    public static func literal(_ text: String) -> String {
        let quoted = text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''")
        guard quoted.contains("\\") else { return "'" + quoted + "'" }
        return "E'" + quoted.split(separator: "\\", omittingEmptySubsequences: false).joined(separator: "\\\\") + "'"
    }
}
