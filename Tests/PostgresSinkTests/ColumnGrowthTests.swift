import Dispatch
import PostgresSink
import Synchronization
import Testing
import WorkerGrants

/// `add_columns`: typed tables follow the data; values never change a column; names PostgreSQL
/// would cut stay distinct.
@Suite struct ColumnGrowthTests {
    let db: TestDatabase
    init() throws { db = try TestDatabase() }

    private func columns(_ table: String) throws -> [[String?]] {
        try db.query("""
            SELECT attname, format_type(atttypid, atttypmod), col_description(attrelid, attnum) FROM pg_attribute
            WHERE attrelid = '$schema.\(table)'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """)
    }

    private func sink(addColumns: Bool? = nil, maxColumns: Int = 1000, _ mode: TableCreation = .columns) -> PostgresSink {
        PostgresSink(settings: SinkSettings(conninfo: db.conninfo, schema: db.schema, createTables: mode,
                                            addColumns: addColumns, maxColumns: maxColumns))
    }

    @Test func newKeysOfATypedTableGetNullableColumnsOfTheirType() throws {
        let inserter = Inserter(sink())
        try inserter.write("cpu,host=a usage=1.5 1700000000000000000")
        try inserter.write(#"cpu,host=b,region=eu usage=2.5,idle=3i,big=4u,label="x",ok=true 1700000000000000001"#)
        #expect(try columns("cpu") == [
            ["_time", "timestamp with time zone", nil], ["host", "text", "tag"], ["usage", "double precision", "field"],
            ["_tags", "jsonb", nil], ["_fields", "jsonb", nil], ["region", "text", "tag"], ["idle", "bigint", "field"],
            ["big", "numeric", "field"], ["label", "text", "field"], ["ok", "boolean", "field"],
        ])
        #expect(try db.query("SELECT host, region, usage, idle, big, label, ok, _tags::text, _fields::text FROM $schema.cpu ORDER BY _time") == [
            ["a", nil, "1.5", nil, nil, nil, nil, "{}", "{}"],
            ["b", "eu", "2.5", "3", "4", "x", "t", "{}", "{}"],
        ])
    }

    @Test func aHandMadeTableGetsColumnsWhenAddColumnsIsOn() throws {
        try db.execute("CREATE TABLE $schema.m (_time timestamptz, host text)")
        try Inserter(sink(addColumns: true, .jsonb)).write("m,host=a,dc=x v=1i 1")
        #expect(try db.query("SELECT host, dc, v FROM $schema.m") == [["a", "x", "1"]])
    }

    @Test func withoutAddColumnsNewKeysGoToTheJSONColumns() throws {
        let inserter = Inserter(sink(addColumns: false))
        try inserter.write("cpu,host=a usage=1.5 1")
        try inserter.write("cpu,host=a,dc=x usage=2.5,idle=3i 2")
        #expect(try columns("cpu").map { $0[0] } == ["_time", "host", "usage", "_tags", "_fields"])
        #expect(try db.column("SELECT _tags::text || _fields::text FROM $schema.cpu WHERE _tags <> '{}'") == [#"{"dc": "x"}{"idle": 3}"#])
    }

    @Test func withoutAddColumnsKeysWithNoPlaceAreDroppedAndCounted() throws {
        try db.execute("CREATE TABLE $schema.m (_time timestamptz, host text, v double precision)")
        let sink = sink(addColumns: false, .jsonb)
        let outcome = try Inserter(sink).write("m,host=a,dc=x v=1,w=2 1\nm,host=b v=3 2")
        #expect(outcome.inserted == 2 && outcome.keysDropped == 2)
        #expect(sink.stats.keysDropped == 2)
        #expect(try db.query("SELECT host, v FROM $schema.m ORDER BY v") == [["a", "1"], ["b", "3"]])
    }

    /// A string into a number column, a fraction into bigint, an integer beyond bigint: the row
    /// is rejected with the reason; the column stays; lossless conversions are stored.
    @Test func aValueThatDoesNotFitItsColumnRejectsItsRowAndNeverChangesTheColumn() throws {
        let inserter = Inserter(sink())
        try inserter.write("m n=1i,x=1.5 1")
        let outcome = try inserter.write("""
            m n=2i,x="high" 2
            m n=2.5,x=2.5 3
            m n=9223372036854775808u,x=3.5 4
            m n=4.0,x=4i 5
            m n=5i,x=9007199254740993i 6
            """)
        #expect(outcome.inserted == 1)
        #expect(outcome.rejected.map(\.sqlstate) == ["22P02", "22P02", "22003", "22003"])
        #expect(outcome.rejected[0].message.contains("string field"))
        #expect(try columns("m").filter { $0[0] == "n" || $0[0] == "x" }.map { $0[1] } == ["bigint", "double precision"])
        #expect(try db.query("SELECT n, x FROM $schema.m ORDER BY _time") == [["1", "1.5"], ["4", "4"]])
        #expect(try db.column("SELECT count(*) FROM $schema.linemaster_rejects") == ["4"])
    }

    @Test func keysLongerThanPostgreSQLNamesGetDistinctColumnsCutWithAHash() throws {
        let stem = String(repeating: "k", count: 63)
        let inserter = Inserter(sink())
        try inserter.write("m \(stem)a=1i,\(stem)b=2i 1")
        try inserter.write("m \(stem)b=4i,\(stem)a=3i 2")
        let long = try columns("m").filter { $0[0]!.hasPrefix("kkk") }
        #expect(long.count == 2)
        #expect(long.allSatisfy { $0[0]!.utf8.count <= 63 && $0[0]!.hasPrefix(String(repeating: "k", count: 54) + "_") })
        #expect(Set(long.map { $0[2] }) == ["field: \(stem)a", "field: \(stem)b"])
        let a = quoteIdentifier(long.first { $0[2] == "field: \(stem)a" }![0]!)
        #expect(try db.column("SELECT \(a) FROM $schema.m ORDER BY _time") == ["1", "3"])
    }

    @Test func measurementsThatShareTheirFirst63BytesGetTwoTables() throws {
        let stem = String(repeating: "m", count: 62) + "é"  // 64 bytes: a cut inside é must not split it
        let inserter = Inserter(sink(.jsonb))
        try inserter.write("\(stem)1 x=1i 1\n\(stem)2 x=2i 2\n\(stem)1 x=3i 3")
        let tables = try db.column("SELECT relname FROM pg_class WHERE relnamespace = '$schema'::regnamespace AND relname LIKE 'mmm%' ORDER BY 1")
        #expect(tables.count == 2 && tables.allSatisfy { $0!.utf8.count <= 63 })
        #expect(try db.column("SELECT count(*) FROM $schema.\(quoteIdentifier(tables[0]!))") != ["0"])
    }

    /// The rule: the tag keeps the key's name and the comment `tag`; the field of the same name
    /// gets `KEY_field` and the comment `field: KEY`.
    @Test func aKeyUsedAsBothTagAndFieldKeepsBoth() throws {
        let inserter = Inserter(sink())
        try inserter.write("m,host=a host=1.5 1")
        try inserter.write("m host=2.5 2")
        try inserter.write("m,host=c v=1i 3")
        #expect(try columns("m").filter { $0[0]!.hasPrefix("host") } == [["host", "text", "tag"], ["host_field", "double precision", "field: host"]])
        #expect(try db.query("SELECT host, host_field FROM $schema.m ORDER BY _time") == [["a", "1.5"], [nil, "2.5"], ["c", nil]])
    }

    @Test func aTableAtMaxColumnsPutsFurtherKeysIntoTheJSONColumns() throws {
        let inserter = Inserter(sink(maxColumns: 6))
        try inserter.write("m,host=a v=1i 1")  // _time, host, v, _tags, _fields
        try inserter.write("m,host=a,dc=x v=2i,w=3i,z=4i 2")
        #expect(try columns("m").map { $0[0] } == ["_time", "host", "v", "_tags", "_fields", "dc"])
        #expect(try db.column("SELECT _fields::text FROM $schema.m WHERE v = 2") == [#"{"w": 3, "z": 4}"#])
    }

    @Test func aTableAtMaxColumnsWithoutJSONColumnsRejectsRowsWithKeysItHasNoPlaceFor() throws {
        try db.execute("CREATE TABLE $schema.m (_time timestamptz, host text, v bigint)")
        let outcome = try Inserter(sink(addColumns: true, maxColumns: 3, .jsonb)).write("m,host=a v=1i 1\nm,host=b v=2i,w=3i 2")
        #expect(outcome.inserted == 1)
        #expect(outcome.rejected.map(\.sqlstate) == ["54011"])
        #expect(outcome.rejected[0].message.contains("max_columns is 3"))
    }

    @Test func aRoleThatMayNotAlterTheTableStoresRowsWithoutTheNewKeys() throws {
        try db.execute("CREATE TABLE $schema.m (_time timestamptz, host text)")
        _ = try db.sink().parkedRows()  // an administrator's connection creates linemaster's tables
        let role = "lm_no_alter_\(UInt32.random(in: 0...UInt32.max))"
        try db.execute("""
            CREATE ROLE \(role) LOGIN;
            GRANT USAGE ON SCHEMA $schema TO \(role);
            GRANT ALL ON ALL TABLES IN SCHEMA $schema TO \(role);
            GRANT ALL ON ALL SEQUENCES IN SCHEMA $schema TO \(role);
            """)
        defer { try? db.execute("DROP OWNED BY \(role); DROP ROLE \(role)") }
        let limited = PostgresSink(settings: SinkSettings(conninfo: db.conninfo + " user=\(role)", schema: db.schema,
                                                          createTables: .jsonb, addColumns: true))
        let inserter = Inserter(limited)
        let first = try inserter.write("m,host=a v=1i 1")
        let second = try inserter.write("m,host=b v=2i 2")
        #expect(first.inserted == 1 && first.keysDropped == 1 && first.schemaNotices.count == 1)
        #expect(first.schemaNotices[0].contains("must be owner"))
        #expect(second.inserted == 1 && second.keysDropped == 1 && second.schemaNotices.isEmpty)
        #expect(try db.column("SELECT host FROM $schema.m ORDER BY _time") == ["a", "b"])
    }

    /// Two inserters at once, each adding keys the other adds too and keys of its own, to one
    /// table, batch after batch: no deadlock, every row stored once, every key in its column.
    @Test func twoInsertersAddingColumnsToOneTableAtOnceLoseNothing() throws {
        let settings = SinkSettings(conninfo: db.conninfo, schema: db.schema, createTables: .columns)
        let failures = Mutex<[String]>([])
        let rounds = 20, rowsPerBatch = 50
        DispatchQueue.concurrentPerform(iterations: 2) { inserter in
            let sink = PostgresSink(settings: settings)
            for round in 0..<rounds {
                let lines = (0..<rowsPerBatch).map { i in
                    "m,who=w\(inserter) seq=\(round * rowsPerBatch + i)i,shared\(round)=\(i)i,own\(inserter)_\(round)=1i \(round * rowsPerBatch + i + 1)"
                }
                do {
                    let outcome = try Batch(lines.joined(separator: "\n"))
                        .write(to: sink, epoch: UInt64(inserter + 1), firstSeq: UInt64(round * rowsPerBatch + 1))
                    if outcome.inserted != rowsPerBatch { failures.withLock { $0.append("round \(round): \(outcome)") } }
                } catch {
                    failures.withLock { $0.append("inserter \(inserter) round \(round): \(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(try db.query("SELECT who, count(*), count(DISTINCT seq) FROM $schema.m GROUP BY who ORDER BY who")
                == [["w0", "1000", "1000"], ["w1", "1000", "1000"]])
        #expect(try db.column("SELECT count(*) FROM $schema.m WHERE _fields <> '{}' OR _tags <> '{}'") == ["0"])
        #expect(try db.column("SELECT sum(shared7) FROM $schema.m") == [String(2 * (0..<rowsPerBatch).reduce(0, +))])
        #expect(try columns("m").count == 5 + rounds + 2 * rounds)
    }
}
