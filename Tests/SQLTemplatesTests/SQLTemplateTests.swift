import SQLTemplates
import Testing

/// Telegraf's template syntax, as linemaster reads and renders it.
@Suite struct SQLTemplateRendering {
    let table = TemplateTable(schema: "metrics", name: "cpu")
    let columns = [
        TemplateColumn(name: "_time", type: "timestamptz NOT NULL", role: .time),
        TemplateColumn(name: "host", type: "text", role: .tag),
        TemplateColumn(name: "usage", type: "double precision", role: .field),
        TemplateColumn(name: "_tags", type: "jsonb", role: .tag),
        TemplateColumn(name: "_fields", type: "jsonb", role: .field),
    ]

    private func render(_ text: String, table: TemplateTable? = nil) throws -> String {
        try SQLTemplate(text, statement: "create_templates[1]").render(table: table ?? self.table, columns: columns)
    }

    @Test func telegrafsDefaultCreateTemplateMakesTheTableWithItsColumnDefinitions() throws {
        #expect(try render("CREATE TABLE {{ .table }} ({{ .columns }})") == """
            CREATE TABLE "metrics"."cpu" ("_time" timestamptz NOT NULL, "host" text, "usage" double precision, "_tags" jsonb, "_fields" jsonb)
            """)
    }

    @Test func telegrafsTimescaleSampleCallsCreateHypertableWithTheTableAsALiteral() throws {
        #expect(try render("SELECT create_hypertable({{ .table|quoteLiteral }}, '_time', chunk_time_interval => INTERVAL '1h')")
                == #"SELECT create_hypertable('"metrics"."cpu"', '_time', chunk_time_interval => INTERVAL '1h')"#)
    }

    @Test func telegrafsDefaultAddColumnTemplateAddsEveryNewColumn() throws {
        let template = try SQLTemplate(#"ALTER TABLE {{.table}} ADD COLUMN IF NOT EXISTS {{.columns|join ", ADD COLUMN IF NOT EXISTS "}}"#,
                                       statement: "add_column_templates[1]")
        let new = [TemplateColumn(name: "idle", type: "bigint", role: .field), TemplateColumn(name: "dc", type: "text", role: .tag)]
        #expect(template.render(table: table, columns: new) == """
            ALTER TABLE "metrics"."cpu" ADD COLUMN IF NOT EXISTS "idle" bigint, ADD COLUMN IF NOT EXISTS "dc" text
            """)
    }

    @Test func namesAreWrittenOnlyQuotedAsIdentifiersOrLiterals() throws {
        #expect(try render("{{ .table.Schema|quoteLiteral }}, {{ .table.Name | quoteIdentifier }}, {{ quoteLiteral .table.Name }}")
                == #"'metrics', "cpu", 'cpu'"#)
    }

    @Test func aNameFromTheDataCannotBreakOutOfItsQuotes() throws {
        let hostile = TemplateTable(schema: "s", name: #"x"; DROP TABLE y; --'\"#)
        #expect(try render("{{ .table }} {{ .table.Name|quoteLiteral }}", table: hostile)
                == #""s"."x""; DROP TABLE y; --'\" E'x"; DROP TABLE y; --''\\'"#)
    }

    @Test func tableVariantsRenameOrMoveTheTable() throws {
        #expect(try render(#"{{ .table.WithSuffix "_default" }} {{ .table.WithSchema "public" }} {{ .table.WithName "x" }} {{ .table.Identifier }}"#)
                == #""metrics"."cpu_default" "public"."cpu" "metrics"."x" "metrics"."cpu""#)
    }

    @Test func columnListsSelectByRoleAndJoinAsIdentifiersOrDefinitions() throws {
        #expect(try render(#"{{ .columns.Tags.Identifiers|join "," }}|{{ .columns.Fields }}|{{ .allColumns.Keys.Definitions|join "; " }}"#)
                == #""host","_tags"|"usage" double precision, "_fields" jsonb|"_time" timestamptz NOT NULL; "host" text; "_tags" jsonb"#)
    }

    @Test func allColumnsOfAnAddAreTheTablesColumnsAndTheNewOnes() throws {
        let existing = TemplateTable(schema: "s", name: "t", columns: [TemplateColumn(name: "a", type: "text", role: .tag)])
        let template = try SQLTemplate(#"{{ .allColumns.Identifiers|join "," }} / {{ .table.Columns.Identifiers|join "," }}"#, statement: "x")
        #expect(template.render(table: existing, columns: [TemplateColumn(name: "b", type: "bigint", role: .field)]) == #""a","b" / "a""#)
    }

    @Test func trimMarkersAndCommentsFollowGoTemplates() throws {
        #expect(try render("CREATE TABLE   {{- /* the table */ -}}   {{- \" \" -}} \n {{ .table }}") == #"CREATE TABLE "metrics"."cpu""#)
    }

    @Test func textOutsideActionsIsKeptAsWritten() throws {
        #expect(try render("SELECT '{ not an action }', $1 -- {{ \"}}\" }}") == "SELECT '{ not an action }', $1 -- }}")
    }

    @Test func theDefaultTemplatesAreReadAsEmptyLists() throws {
        let templates = try TableTemplates()
        #expect(templates.renderCreate(table: table, columns: columns) == nil)
        #expect(templates.renderAddColumns(table: table, columns: columns) == nil)
    }

    @Test func everyCreateTemplateRendersInOrder() throws {
        let templates = try TableTemplates(create: ["CREATE TABLE {{ .table }} ()", "SELECT {{ .table|quoteLiteral }}"])
        #expect(templates.renderCreate(table: table, columns: []) == [#"CREATE TABLE "metrics"."cpu" ()"#, #"SELECT '"metrics"."cpu"'"#])
    }
}

/// Templates linemaster cannot render are refused when they are read, saying where and why.
@Suite struct SQLTemplateErrors {
    private func error(_ text: String) -> TemplateError? {
        do {
            _ = try TableTemplates(create: ["CREATE TABLE {{ .table }} ({{ .columns }})", text])
            return nil
        } catch {
            return error
        }
    }

    @Test func anUnknownVariableIsNamedWithTheStatementAndItsPosition() throws {
        let failure = try #require(error("CREATE TABLE {{ .tabel }} ()"))
        #expect(failure.statement == "create_templates[2]" && failure.line == 1 && failure.column == 17)
        #expect(failure.description == """
            create_templates[2], line 1, column 17: unknown variable .tabel: the variables are .table, .columns and .allColumns, \
            in: CREATE TABLE {{ .tabel }} ()
            """)
    }

    @Test func thePositionCountsLinesOfTheStatement() throws {
        let failure = try #require(error("CREATE TABLE {{ .table }} (\n  {{ .colums }})"))
        #expect((failure.line, failure.column) == (2, 6))
    }

    @Test func aNameWrittenUnquotedIsRefused() throws {
        #expect(error("SELECT {{ .table.Name }}")?.reason == "a name is never written unquoted: add |quoteIdentifier or |quoteLiteral")
    }

    @Test func anUnknownFunctionIsRefused() throws {
        #expect(error(#"SELECT {{ printf "%s" .table }}"#)?.reason.hasPrefix("unknown function printf: the functions are") == true)
    }

    @Test func anUnknownMemberNamesTheMembersThereAre() throws {
        #expect(error("SELECT {{ .table.name|quoteLiteral }}")?.reason
                == "a table has no .name: it has Schema, Name, Columns, Identifier, WithSchema, WithName, WithSuffix")
        #expect(error("SELECT {{ .columns.Hash }}")?.reason == "a list of columns has no .Hash: it has Identifiers, Definitions, Tags, Fields, Keys")
    }

    @Test(arguments: [
        ("{{ if .table }}x{{ end }}", "\"if\" is not supported"),
        ("{{ (.table) }}", "parentheses are not supported"),
        ("{{ $x := .table }}", "template variables ($name) are not supported"),
        ("CREATE {{ .table ", "{{ without }}"),
        ("{{ }}", "an empty command"),
        ("{{ .columns.Identifiers }}", "a list cannot be written as it is"),
        ("{{ .columns|join }}", "join takes a \"separator\" and a list"),
        ("{{ .table|join \",\" }}", "join takes a list"),
        ("{{ .table.WithSuffix }}", ".WithSuffix takes one or more strings"),
        ("{{ .table.Identifier \"x\" }}", ".Identifier takes no arguments"),
        ("{{ \"a\n\" }}", "a \"string without its closing \""),
        ("{{ 3 }}", "unexpected \"3\""),
    ])
    func whatGoTemplatesHaveAndLinemasterDoesNotIsRefusedByName(_ text: String, _ reason: String) throws {
        let failure = try #require(error(text))
        #expect(failure.reason.hasPrefix(reason), "\(failure)")
    }
}
