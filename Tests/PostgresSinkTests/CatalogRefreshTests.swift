import PostgresSink
import Testing

/// Table definitions are cached; errors that say they changed refresh them, as does SIGHUP.
@Suite struct CatalogRefreshTests {
    let db: TestDatabase
    init() throws { db = try TestDatabase() }

    @Test func aDroppedColumnIsNoticedAndTheBatchRetried() throws {
        try db.execute("CREATE TABLE $schema.cpu (_time timestamptz, host text, _tags jsonb, _fields jsonb)")
        let inserter = Inserter(db.sink())
        try inserter.write("cpu,host=a x=1i 1")
        try db.execute("ALTER TABLE $schema.cpu DROP COLUMN host")
        let outcome = try inserter.write("cpu,host=b x=2i 2")
        #expect(outcome.inserted == 1 && outcome.rejected.isEmpty)
        #expect(try db.column("SELECT _tags->>'host' FROM $schema.cpu ORDER BY _fields->>'x'") == [nil, "b"])
    }

    @Test func aChangedColumnTypeIsNoticedAndTheBatchRetried() throws {
        try db.execute("CREATE TABLE $schema.cpu (_time timestamptz, v integer)")
        let inserter = Inserter(db.sink())
        try inserter.write("cpu v=1i 1")
        try db.execute("ALTER TABLE $schema.cpu ALTER COLUMN v TYPE bigint")
        let outcome = try inserter.write("cpu v=2i 2")
        #expect(outcome.inserted == 1 && outcome.rejected.isEmpty)
        #expect(try db.column("SELECT v FROM $schema.cpu ORDER BY v") == ["1", "2"])
    }

    @Test func aValueTheOldColumnTypeRefusedIsCheckedAgainstTheNewType() throws {
        try db.execute("CREATE TABLE $schema.cpu (_time timestamptz, v integer)")
        let inserter = Inserter(db.sink())
        try inserter.write("cpu v=1i 1")
        try db.execute("ALTER TABLE $schema.cpu ALTER COLUMN v TYPE bigint")
        let outcome = try inserter.write("cpu v=5000000000i 2")
        #expect(outcome.inserted == 1 && outcome.rejected.isEmpty)
    }

    @Test func aDroppedTableIsCreatedAgain() throws {
        let inserter = Inserter(db.sink())
        try inserter.write("cpu x=1i 1")
        try db.execute("DROP TABLE $schema.cpu")
        #expect(try inserter.write("cpu x=2i 2").inserted == 1)
        #expect(try db.column("SELECT _fields->>'x' FROM $schema.cpu") == ["2"])
    }

    @Test func anAddedColumnIsUsedAfterInvalidateCatalog() throws {
        try db.execute("CREATE TABLE $schema.cpu (_time timestamptz, _tags jsonb, _fields jsonb)")
        let sink = db.sink()
        let inserter = Inserter(sink)
        try inserter.write("cpu,host=a x=1i 1")
        try db.execute("ALTER TABLE $schema.cpu ADD COLUMN host text")
        sink.invalidateCatalog()
        try inserter.write("cpu,host=b x=2i 2")
        #expect(try db.query("SELECT host, _tags::text FROM $schema.cpu ORDER BY _time") == [[nil, #"{"host": "a"}"#], ["b", "{}"]])
    }
}
