import PostgresSink
import SQLTemplates
import Testing
import WorkerGrants

/// `create_templates`: the user's statements make a missing table, instead of linemaster's own
/// CREATE TABLE, with the columns the `create_tables` layout would have made.
@Suite struct CreateTemplateTests {
    let db: TestDatabase
    init() throws { db = try TestDatabase() }

    private func sink(_ mode: TableCreation, _ create: [String]) throws -> PostgresSink {
        var settings = db.settings(mode)
        settings.templates = try TableTemplates(create: create)
        return PostgresSink(settings: settings)
    }

    private func columns(of table: String) throws -> [[String?]] {
        try db.query("""
            SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = '$schema.\(table)'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """)
    }

    @Test func everyStatementRunsInOrderWithTheColumnsOfTheTypedLayout() throws {
        let sink = try sink(.columns, [
            "CREATE TABLE {{ .table }} ({{ .columns }}, made_for text DEFAULT {{ .table.Name|quoteLiteral }})",
            "COMMENT ON TABLE {{ .table }} IS {{ .columns.Tags.Identifiers|join \",\"|quoteLiteral }}",
        ])
        try Inserter(sink).write(#"cpu,host=a usage=0.5,n=3i,label="x" 1700000000000000000"#)
        #expect(try columns(of: "cpu") == [
            ["_time", "timestamp with time zone"], ["host", "text"], ["usage", "double precision"], ["n", "bigint"],
            ["label", "text"], ["_tags", "jsonb"], ["_fields", "jsonb"], ["made_for", "text"],
        ])
        #expect(try db.query("SELECT host, usage, n, label, made_for FROM $schema.cpu") == [["a", "0.5", "3", "x", "cpu"]])
        #expect(try db.column("SELECT obj_description('$schema.cpu'::regclass)") == [#""host","_tags""#])
        #expect(try db.column("SELECT col_description('$schema.cpu'::regclass, 2) || ' ' || col_description('$schema.cpu'::regclass, 3)")
                == ["tag field"], "linemaster comments the columns it planned, as after its own CREATE TABLE")
    }

    @Test func theJsonbLayoutGivesTheTemplateTimeTagsAndFields() throws {
        let sink = try sink(.jsonb, ["CREATE TABLE {{ .table }} ({{ .columns }}) PARTITION BY RANGE (_time)",
                                     "CREATE TABLE {{ .table.WithSuffix \"_all\" }} PARTITION OF {{ .table }} DEFAULT"])
        try Inserter(sink).write("cpu,host=a x=1i 1700000000000000000")
        #expect(try columns(of: "cpu") == [["_time", "timestamp with time zone"], ["_tags", "jsonb"], ["_fields", "jsonb"]])
        #expect(try db.column("SELECT tableoid::regclass::text || ' ' || (_fields->>'x') FROM $schema.cpu") == ["\(db.schema).cpu_all 1"])
    }

    @Test func aStatementPostgreSQLRefusesParksTheRowsNamingTheStatementAndTheOthersAreStored() throws {
        try db.execute("CREATE TABLE $schema.mem (_time timestamptz, _tags jsonb, _fields jsonb)")
        let sink = try sink(.jsonb, ["CREATE TABLE {{ .table }} ({{ .columns }})", "CREAT INDEX ON {{ .table }} (_time)"])
        let outcome = try Inserter(sink).write("cpu x=1i 1\nmem x=1i 1\ncpu x=2i 2")
        let parked = try #require(outcome.parked.first)
        #expect(outcome.inserted == 1 && parked.count == 2 && parked.sqlstate == "42601")
        #expect(parked.message == #"create_templates[2]: syntax error at or near "CREAT""#)
        #expect(try db.column("SELECT to_regclass('$schema.cpu')") == [nil], "the first statement is rolled back with the second")

        try db.execute("CREATE TABLE $schema.cpu (_time timestamptz, _tags jsonb, _fields jsonb)")
        #expect(try sink.retryParked(measurement: "cpu", limit: 10).inserted == 2)
        #expect(try db.column("SELECT count(*) FROM $schema.linemaster_parked") == ["0"])
    }

    @Test func aFunctionMissingFromTheServerParksTheRowsWithPostgreSQLsMessage() throws {
        let sink = try sink(.jsonb, ["SELECT no_such_function({{ .table|quoteLiteral }})"])
        let outcome = try Inserter(sink).write("cpu x=1i 1")
        #expect(outcome.parked.first?.sqlstate == "42883")
        #expect(outcome.parked.first?.message.hasPrefix("create_templates[1]: function no_such_function(unknown) does not exist") == true)
    }

    @Test func templatesThatMakeNoTableOfTheMeasurementsNameParkItsRows() throws {
        let sink = try sink(.jsonb, ["CREATE TABLE {{ .table.WithSuffix \"_elsewhere\" }} ({{ .columns }})"])
        let outcome = try Inserter(sink).write("cpu x=1i 1")
        #expect(outcome.parked.first?.sqlstate == "42P01")
        #expect(outcome.parked.first?.message == "create_templates ran without error but made no table \"\(db.schema)\".\"cpu\"")
    }

    /// `add_column_templates` replace linemaster's ALTER TABLE for new keys, in its transaction
    /// under its lock; linemaster still comments the columns, so renamed keys keep their column.
    @Test func addColumnTemplatesMakeTheColumnsForNewKeys() throws {
        var settings = db.settings(.columns)
        settings.templates = try TableTemplates(addColumn: [
            #"ALTER TABLE {{ .table }} ADD COLUMN IF NOT EXISTS {{ .columns|join ", ADD COLUMN IF NOT EXISTS " }}"#,
            "COMMENT ON TABLE {{ .table }} IS {{ .columns.Identifiers|join \",\"|quoteLiteral }}",
        ])
        let inserter = Inserter(PostgresSink(settings: settings))
        try inserter.write("cpu,host=a usage=0.5 1")
        try inserter.write("cpu,host=a,dc=x usage=0.5,host=2i 2")
        #expect(try db.column("SELECT obj_description('$schema.cpu'::regclass)") == [#""dc","host_field""#])
        #expect(try db.query("SELECT dc, host_field, col_description('$schema.cpu'::regclass, 7) FROM $schema.cpu WHERE dc IS NOT NULL")
                == [["x", "2", "field: host"]])
    }
}
