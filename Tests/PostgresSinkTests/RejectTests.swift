import PostgresSink
import Testing

/// A row PostgreSQL refuses never costs the other rows of its batch.
@Suite struct RejectTests {
    let db: TestDatabase
    init() throws { db = try TestDatabase() }

    @Test func valuesThatDoNotFitTheirColumnAreRejectedBeforeCopy() throws {
        try db.execute("CREATE TABLE $schema.m (_time timestamptz, s smallint, code varchar(3), ok boolean)")
        let outcome = try Inserter(db.sink()).write("""
            m s=1i,code="abc" 1
            m s=70000i 2
            m code="abcd" 3
            m ok=5i 4
            m s=2i,ok=false 5
            """)
        #expect(outcome.inserted == 2)
        #expect(outcome.rejected.map(\.sqlstate) == ["22003", "22001", "22P02"])
        #expect(try db.column("SELECT s FROM $schema.m ORDER BY _time") == ["1", "2"])
        let rejects = try db.query("SELECT measurement, \"row\"::text, sqlstate, error FROM $schema.linemaster_rejects ORDER BY received_at, \"row\"::text")
        #expect(rejects.count == 3)
        #expect(rejects.contains([
            "m", #"{"time":2,"tags":{},"fields":{"s":70000}}"#, "22003", #"column "s": value 70000 is out of range for type smallint"#,
        ]))
    }

    @Test func rowsTheServerRejectsAreIsolatedAndTheOthersCommitted() throws {
        try db.execute("""
            CREATE TABLE $schema.m (_time timestamptz, v bigint NOT NULL CHECK (v >= 0), _fields jsonb)
            """)
        let lines = (1...100).map { i in
            i == 7 ? "m w=1i \(i)" : i == 50 || i == 51 || i == 99 ? "m v=-\(i)i \(i)" : "m v=\(i)i \(i)"
        }
        let outcome = try Inserter(db.sink()).write(lines.joined(separator: "\n"))
        #expect(outcome.inserted == 96)
        #expect(Set(outcome.rejected.map(\.sqlstate)) == ["23502", "23514"])
        #expect(try db.column("SELECT count(*) FROM $schema.m") == ["96"])
        let rejected = try db.column("SELECT (\"row\"->>'time') FROM $schema.linemaster_rejects ORDER BY 1::int")
        #expect(rejected.sorted { Int($0!)! < Int($1!)! } == ["7", "50", "51", "99"])
    }

    @Test func manyBadRowsInALargeBatchCostOnlyThemselves() throws {
        try db.execute("CREATE TABLE $schema.m (_time timestamptz, v bigint CHECK (v % 10 <> 3))")
        let lines = (0..<3000).map { "m v=\($0)i \($0)" }.joined(separator: "\n")
        let outcome = try Inserter(db.sink()).write(lines)
        #expect(outcome.inserted == 2700 && outcome.rejected.count == 300)
        #expect(try db.column("SELECT count(*) FROM $schema.m WHERE v % 10 = 3") == ["0"])
        #expect(try db.column("SELECT count(DISTINCT v) FROM $schema.m") == ["2700"])
    }

    @Test func aRowRefusedEarlyInALongCopyCostsOnlyItself() throws {
        try db.execute("CREATE TABLE $schema.m (_time timestamptz, v bigint CHECK (v <> 5), _fields jsonb)")
        let lines = (0..<20000).map { #"m v=\#($0)i,pad="\#(String(repeating: "p", count: 40))" \#($0)"# }.joined(separator: "\n")
        let outcome = try Inserter(db.sink()).write(lines)
        #expect(outcome.inserted == 19999 && outcome.rejected.count == 1)
        #expect(try db.column("SELECT count(*) FROM $schema.m") == ["19999"])
    }

    /// A RAISE without a code is P0001, an unknown error: its row is rejected once the batch is isolated.
    @Test func aTriggerThatRaisesRejectsOnlyItsRowOnceIsolated() throws {
        try db.execute("""
            CREATE TABLE $schema.m (_time timestamptz, _tags jsonb, _fields jsonb);
            CREATE FUNCTION $schema.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW._tags->>'host' = 'bad' THEN RAISE EXCEPTION 'host bad is not welcome'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON $schema.m FOR EACH ROW EXECUTE FUNCTION $schema.refuse();
            """)
        let outcome = try Batch("m,host=a x=1i 1\nm,host=bad x=2i 2\nm,host=c x=3i 3").write(to: db.sink(), isolating: true)
        #expect(outcome.inserted == 2)
        #expect(outcome.rejected.map(\.message) == ["host bad is not welcome"])
    }

    @Test func aStringJsonbCannotHoldIsRejectedAndKeptAsJSON() throws {
        try db.execute("CREATE TABLE $schema.m (_time timestamptz, _fields jsonb)")
        let outcome = try Inserter(db.sink()).write("m s=\"a\u{0}b\" 1\nm s=\"ok\" 2")
        #expect(outcome.inserted == 1)
        #expect(try db.column("SELECT \"row\"::text FROM $schema.linemaster_rejects") == [#"{"time":1,"tags":{},"fields":{"s":"a\u0000b"}}"#])
    }

    @Test func statsCountRowsBatchesAndRejects() throws {
        try db.execute("CREATE TABLE $schema.m (_time timestamptz, s smallint)")
        let sink = db.sink()
        let inserter = Inserter(sink)
        try inserter.write("m s=1i 1\nm s=100000i 2")
        try inserter.write("m s=3i 3")
        #expect(sink.stats.rowsInserted == 2 && sink.stats.batches == 2 && sink.stats.rejects == 1)
    }
}
