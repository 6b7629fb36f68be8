import Dispatch
import PostgresSink
import Synchronization
import Testing
import WorkerGrants

/// `create_tables`: what happens when a measurement has no table.
@Suite struct TableCreationTests {
    let db: TestDatabase
    init() throws { db = try TestDatabase() }

    @Test func jsonbModeCreatesTheJsonbLayout() throws {
        try Inserter(db.sink(.jsonb)).write("cpu,host=a x=1i 1700000000000000000")
        let columns = try db.query("""
            SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = '$schema.cpu'::regclass AND attnum > 0 ORDER BY attnum
            """)
        #expect(columns == [["_time", "timestamp with time zone"], ["_tags", "jsonb"], ["_fields", "jsonb"]])
        #expect(try db.column("SELECT _tags->>'host' FROM $schema.cpu") == ["a"])
    }

    @Test func columnsModeCreatesTypedColumnsAfterTheFirstValues() throws {
        try Inserter(db.sink(.columns)).write(#"cpu,host=a f=1.5,i=2i,u=3u,b=true,s="x" 1700000000000000000"#)
        let columns = try db.query("""
            SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = '$schema.cpu'::regclass AND attnum > 0 ORDER BY attnum
            """)
        #expect(columns == [
            ["_time", "timestamp with time zone"], ["host", "text"], ["f", "double precision"], ["i", "bigint"],
            ["u", "numeric"], ["b", "boolean"], ["s", "text"], ["_tags", "jsonb"], ["_fields", "jsonb"],
        ])
        #expect(try db.query("SELECT host, f, i, u, b, s, _tags::text, _fields::text FROM $schema.cpu")
                == [["a", "1.5", "2", "3", "t", "x", "{}", "{}"]])
    }

    @Test func functionModeCallsTheUsersCreateFunction() throws {
        try db.execute("""
            CREATE FUNCTION $schema._create(metric name, tags name[], fields name[]) RETURNS regclass
            LANGUAGE plpgsql AS $$
            BEGIN
                EXECUTE format('CREATE TABLE %I.%I (_time timestamptz, _tags jsonb, _fields jsonb, made_by text DEFAULT %L)',
                               current_schema, metric, array_to_string(tags || fields, ','));
                RETURN format('%I.%I', current_schema, metric)::regclass;
            END $$;
            """)
        let sink = PostgresSink(settings: SinkSettings(conninfo: db.conninfo + " options='-c search_path=\(db.schema)'",
                                                       schema: db.schema, createTables: .function))
        try Inserter(sink).write(#"cpu,host=a,dc=b x=1i,y="z" 1700000000000000000"#)
        #expect(try db.column("SELECT made_by FROM $schema.cpu") == ["host,dc,x,y"])
    }

    @Test func skipModeCountsTheRowsAndCreatesNothing() throws {
        let sink = db.sink(.skip)
        let outcome = try Inserter(sink).write("cpu x=1i 1\ncpu x=2i 2")
        #expect(outcome.skipped == 2 && outcome.inserted == 0)
        #expect(sink.stats.rowsSkipped == 2)
        #expect(try db.column("SELECT count(*) FROM pg_class WHERE relname = 'cpu' AND relnamespace = '$schema'::regnamespace") == ["0"])
    }

    @Test func twoInsertersRacingToCreateATableBothSucceed() throws {
        let settings = db.settings(.jsonb)
        let inserted = Mutex(0)
        let failures = Mutex<[String]>([])
        for round in 0..<5 {
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                do {
                    let batch = Batch("race\(round),inserter=\(i) x=1i 1700000000000000000")
                    let outcome = try batch.write(to: PostgresSink(settings: settings), epoch: UInt64(i), firstSeq: UInt64(round))
                    inserted.withLock { $0 += outcome.inserted }
                    failures.withLock { $0 += outcome.rejected.map(\.message) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(inserted.withLock { $0 } == 10)
    }
}
