import LineProtocol
import PostgresSink
import Testing

/// Lines the parser rejected reach `linemaster_rejects` with their batch, exactly once.
@Suite struct RejectedLineTests {
    let db: TestDatabase
    init() throws { db = try TestDatabase() }

    /// 2023-11-14 22:13:20.123456 UTC.
    static let receivedAt: Int64 = 1_700_000_000_123_456_789

    /// Writes the rows of `points` and the rejected `lines` as one ring range.
    private func write(_ points: String, lines: [[UInt8]], to sink: PostgresSink, firstSeq: UInt64 = 1) throws -> BatchOutcome {
        let parsed = LineParser().parseAll(Array(points.utf8), defaultTime: Self.receivedAt).points
        let records = try parsed.map { try PointRecord.encode($0) }
        let rejected = lines.map {
            RejectedLineRecord.encode(time: Self.receivedAt, line: $0, reason: "line 1: column 3: bad", source: "udp://127.0.0.1:8089 (listener 1)")
        }
        let rows = try records.map { record in try record.withUnsafeBytes { try PointRecordView($0) } }
        let views = try rejected.map { record in try record.withUnsafeBytes { try RejectedLineRecordView($0) } }
        let range = RingRange(epoch: 1, firstSeq: firstSeq, lastSeq: firstSeq + UInt64(rows.count + views.count) - 1)
        // The views borrow the arrays above, which live until the call returns.
        return try withExtendedLifetime((records, rejected)) { try sink.write(rows, lines: views, range: range) }
    }

    private func keptLines() throws -> [[String?]] {
        try db.query("""
            SELECT line, error, source, sqlstate, measurement, "row"::text, to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')
            FROM $schema.linemaster_rejects ORDER BY line
            """)
    }

    @Test func rejectedLinesAreKeptWithTheBatchsRows() throws {
        let outcome = try write("cpu v=1\ncpu v=2", lines: [Array("cpu v=".utf8), Array("bad".utf8)], to: db.sink())
        #expect(outcome.inserted == 2)
        #expect(try db.column("SELECT count(*) FROM $schema.cpu") == ["2"])
        #expect(try keptLines() == [
            ["bad", "line 1: column 3: bad", "udp://127.0.0.1:8089 (listener 1)", nil, nil, nil, "2023-11-14 22:13:20.123456"],
            ["cpu v=", "line 1: column 3: bad", "udp://127.0.0.1:8089 (listener 1)", nil, nil, nil, "2023-11-14 22:13:20.123456"],
        ])
    }

    @Test func aRangeWrittenAgainKeepsItsLinesOnce() throws {
        let sink = db.sink()
        _ = try write("", lines: [Array("bad".utf8)], to: sink)
        let again = try write("", lines: [Array("bad".utf8)], to: sink)
        #expect(again.alreadyCommitted)
        #expect(try db.column("SELECT count(*) FROM $schema.linemaster_rejects") == ["1"])
    }

    @Test func bytesATextColumnCannotHoldBecomeReplacementCharacters() throws {
        _ = try write("", lines: [[UInt8(ascii: "a"), 0, 0xFF, UInt8(ascii: "b")]], to: db.sink())
        #expect(try db.column("SELECT line FROM $schema.linemaster_rejects") == ["a\u{FFFD}\u{FFFD}b"])
    }

    /// The table as linemaster made it before it kept rejected lines.
    private func createOlderRejectsTable() throws {
        try db.execute("""
            CREATE TABLE $schema.linemaster_rejects (
                received_at timestamptz NOT NULL DEFAULT now(), measurement text NOT NULL, "row" json NOT NULL,
                sqlstate text, error text NOT NULL);
            INSERT INTO $schema.linemaster_rejects (measurement, "row", sqlstate, error) VALUES ('m', '{}', '22003', 'old');
            """)
    }

    @Test func anOlderRejectsTableGainsTheLineColumnsAndKeepsItsRows() throws {
        try createOlderRejectsTable()
        _ = try write("", lines: [Array("bad".utf8)], to: db.sink())
        #expect(try db.query("SELECT measurement, line, source FROM $schema.linemaster_rejects ORDER BY line NULLS FIRST") == [
            ["m", nil, nil], [nil, "bad", "udp://127.0.0.1:8089 (listener 1)"],
        ])
    }

    /// An administrator made the table, and the inserters' role may only write into it: lines are
    /// kept in `row`, with an empty measurement, and everything else works as before.
    @Test func aRoleThatMayNotAlterAnOlderTableKeepsLinesInRow() throws {
        try createOlderRejectsTable()
        _ = try db.sink().isCommitted(epoch: 1, firstSeq: 1, lastSeq: 1)  // the ledger, made by the administrator
        try db.execute("ALTER TABLE $schema.linemaster_rejects ALTER COLUMN measurement SET NOT NULL, ALTER COLUMN \"row\" SET NOT NULL, DROP COLUMN line, DROP COLUMN source")
        let role = "lm_limited_\(UInt32.random(in: 0...UInt32.max))"
        try db.execute("""
            CREATE TABLE $schema.cpu (_time timestamptz, v double precision);
            CREATE ROLE \(role) LOGIN;
            GRANT USAGE ON SCHEMA $schema TO \(role);
            GRANT ALL ON ALL TABLES IN SCHEMA $schema TO \(role);
            GRANT ALL ON ALL SEQUENCES IN SCHEMA $schema TO \(role);
            """)
        defer { try? db.execute("DROP OWNED BY \(role); DROP ROLE \(role)") }
        let limited = PostgresSink(settings: SinkSettings(conninfo: db.conninfo + " user=\(role)", schema: db.schema))
        let outcome = try write("cpu v=1", lines: [Array("bad".utf8)], to: limited, firstSeq: 10)
        #expect(outcome.inserted == 1)
        #expect(try db.query("SELECT measurement, \"row\"::text, error FROM $schema.linemaster_rejects WHERE error <> 'old'") == [
            ["", #"{"line" : "bad", "source" : "udp://127.0.0.1:8089 (listener 1)"}"#, "line 1: column 3: bad"],
        ])
    }
}

extension RejectedLineRecord {
    /// The record of an owned line.
    static func encode(time: Int64, line: [UInt8], reason: String, source: String) -> [UInt8] {
        line.withUnsafeBytes { line in
            var record = [UInt8](repeating: 0, count: encodedSize(line: line, reason: reason, source: source))
            record.withUnsafeMutableBytes { encode(time: time, line: line, reason: reason, source: source, into: $0.baseAddress!) }
            return record
        }
    }
}
