import Supervision
import Testing
import WorkerGrants

/// `[database] create_templates` and `add_column_templates`: checked when the file is read, so a
/// bad template is a `check-config` problem (and a reload with one keeps the running config).
@Suite struct TemplateConfig {
    private func problems(_ text: String) -> [ConfigProblem] {
        do {
            _ = try LinemasterConfig.parse(text: text, path: "t.toml")
            return []
        } catch {
            return error.problems
        }
    }

    @Test func templatesAreReadAsListsOfStatementsAndTravelInTheGrant() throws {
        let config = try LinemasterConfig.parse(text: """
            [database]
            create_tables = "columns"
            create_templates = [
                '''CREATE TABLE {{ .table }} ({{ .columns }})
                   PARTITION BY RANGE (_time)''',
                "SELECT 1",
            ]
            add_column_templates = ['ALTER TABLE {{ .table }} ADD COLUMN IF NOT EXISTS {{ .columns|join ", ADD COLUMN IF NOT EXISTS " }}']
            """, path: "t.toml")
        #expect(config.database.createTemplates == ["CREATE TABLE {{ .table }} ({{ .columns }})\n       PARTITION BY RANGE (_time)", "SELECT 1"])
        #expect(config.database.addColumnTemplates.count == 1)
        let grant = DatabaseGrant(url: "postgresql://u:p%40ss@h/db", schema: "s", createTables: .columns, addColumns: true, maxColumns: 7,
                                  createTemplates: config.database.createTemplates + ["a\r\nb %0A"],
                                  addColumnTemplates: config.database.addColumnTemplates)
        #expect(DatabaseGrant(encoded: grant.encoded) == grant, "the grant crosses the pipe unchanged")
        #expect(grant.encoded.split(separator: "\n").count == 9, "one line per value")
    }

    @Test func anUnknownVariableIsAProblemOnItsStatementsLineWithItsPosition() {
        #expect(problems("""
            [database]
            create_templates = [
                "CREATE TABLE {{ .table }} ({{ .columns }})",
                "SELECT create_hypertable({{ .tabel|quoteLiteral }}, '_time')",
            ]
            """) == [ConfigProblem(file: "t.toml", line: 4, reason: """
                create_templates[2], line 1, column 29: unknown variable .tabel: the variables are .table, .columns and .allColumns, \
                in: SELECT create_hypertable({{ .tabel|quoteLiteral }}, '_time')
                """)])
    }

    @Test func templatesWithAModeThatCreatesNoTableThemselvesAreRefused() {
        #expect(problems("[database]\ncreate_tables = \"function\"\ncreate_templates = [\"SELECT 1\"]\n").map(\.line) == [3])
        #expect(problems("[database]\ncreate_templates = [\"SELECT 1\"]\ncreate_tables = \"skip\"\n").first?.reason
                == #"create_templates replace linemaster's CREATE TABLE, which create_tables = "skip" never runs: set create_tables = "jsonb" or "columns", or remove them"#)
    }

    @Test func aTemplateListMustHoldStrings() {
        #expect(problems("[database]\nadd_column_templates = \"ALTER\"\n").first?.reason
                == #"add_column_templates must be an array of strings such as ["a", "b"], not a string"#)
        #expect(problems("[database]\nadd_column_templates = [\"  \"]\n").first?.reason.hasPrefix("add_column_templates[1], line 1, column 1: an empty statement") == true)
    }
}
