import SQLTemplates
import WorkerGrants
// The [database] section.
extension ConfigDecoder {
    mutating func decodeDatabase(_ table: TOMLTable) -> DatabaseSettings {
        var settings = DatabaseSettings()
        for entry in table.entries {
            switch entry.key {
            case "url": settings.url = string(entry) ?? settings.url
            case "schema":
                if let schema = string(entry) {
                    if schema.isEmpty { report(line: entry.value.line, "schema must not be empty") }
                    settings.schema = schema
                }
            case "create_tables":
                guard let text = string(entry) else { continue }
                if let mode = TableCreation(rawValue: text) {
                    settings.createTables = mode
                } else {
                    report(line: entry.value.line, "unknown create_tables \"\(text)\": expected "
                        + TableCreation.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
                }
            case "add_columns": settings.addColumns = boolean(entry) ?? settings.addColumns
            case "max_columns": settings.maxColumns = integer(entry, in: 1...DatabaseSettings.columnLimit) ?? settings.maxColumns
            case "create_templates": settings.createTemplates = templates(entry)
            case "add_column_templates": settings.addColumnTemplates = templates(entry)
            default:
                reportUnknown(entry, in: "[database]", known: [
                    "url", "schema", "create_tables", "add_columns", "max_columns", "create_templates", "add_column_templates",
                ])
            }
        }
        if !settings.createTemplates.isEmpty, settings.createTables == .function || settings.createTables == .skip,
           let entry = table.entries.first(where: { $0.key == "create_templates" }) {
            report(line: entry.line, "create_templates replace linemaster's CREATE TABLE, which create_tables = "
                + "\"\(settings.createTables.rawValue)\" never runs: set create_tables = \"jsonb\" or \"columns\", or remove them")
        }
        return settings
    }

    /// The statements of a template list, each checked (``SQLTemplate``): a problem is reported
    /// on the statement's line, with its position in the statement.
    private mutating func templates(_ entry: TOMLTable.Entry) -> [String] {
        guard let statements = strings(entry) else { return [] }
        for (i, statement) in statements.enumerated() {
            do throws(TemplateError) {
                _ = try SQLTemplate(statement.text, statement: "\(entry.key)[\(i + 1)]")
            } catch {
                report(line: statement.line, "\(error)")
            }
        }
        return statements.map(\.text)
    }
}
