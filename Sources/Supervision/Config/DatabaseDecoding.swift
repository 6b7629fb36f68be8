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
            default:
                reportUnknown(entry, in: "[database]", known: ["url", "schema", "create_tables", "add_columns", "max_columns"])
            }
        }
        return settings
    }
}
