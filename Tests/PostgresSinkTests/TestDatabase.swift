import CLibPQ
import Glibc
import LineProtocol
import PostgresSink
import WorkerGrants

/// The test's own schema (random name) in the database `scripts/with-postgres` provides, with an
/// administrative connection to arrange tables and look at what the sink wrote. Dropped on deinit.
final class TestDatabase {
    let conninfo: String
    let schema: String
    private let admin: OpaquePointer

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init() throws {
        guard let conninfo = getenv("LINEMASTER_TEST_DATABASE_URL").map({ String(cString: $0) }), !conninfo.isEmpty else {
            throw Failure(description: """
                LINEMASTER_TEST_DATABASE_URL is not set: these tests need a real PostgreSQL. \
                Run them as `scripts/with-postgres swift test --filter PostgresSinkTests` (or scripts/test).
                """)
        }
        self.conninfo = conninfo
        schema = "t_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        admin = PQconnectdb(conninfo)
        guard PQstatus(admin) == CONNECTION_OK else {
            throw Failure(description: "cannot connect to the test database: " + String(cString: PQerrorMessage(admin)))
        }
        try execute("SET TimeZone = 'UTC'")
        try execute("CREATE SCHEMA \(quoteIdentifier(schema))")
    }

    deinit {
        PQclear(PQexec(admin, "DROP SCHEMA \(quoteIdentifier(schema)) CASCADE"))
        PQfinish(admin)
    }

    func settings(_ mode: TableCreation = .jsonb) -> SinkSettings {
        SinkSettings(conninfo: conninfo, schema: schema, createTables: mode)
    }

    func sink(_ mode: TableCreation = .jsonb) -> PostgresSink {
        PostgresSink(settings: settings(mode))
    }

    /// Runs SQL with `$schema` replaced by the quoted test schema.
    func execute(_ sql: String) throws {
        _ = try query(sql)
    }

    /// Rows as text, NULL as nil.
    func query(_ sql: String) throws -> [[String?]] {
        let result = PQexec(admin, sql.replacingSchema(quoteIdentifier(schema)))
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw Failure(description: "test SQL failed: \(String(cString: PQresultErrorMessage(result))) in \(sql)")
        }
        return (0..<PQntuples(result)).map { row in
            (0..<PQnfields(result)).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }

    /// The single column of every row.
    func column(_ sql: String) throws -> [String?] {
        try query(sql).map { $0[0] }
    }
}

extension String {
    fileprivate func replacingSchema(_ quoted: String) -> String {
        split(separator: "$schema", omittingEmptySubsequences: false).joined(separator: quoted)
    }
}

/// Line protocol in, a batch of ring records out, as the inserter will see it.
struct Batch {
    private let bytes: [UInt8]
    private let bounds: [Range<Int>]

    init(_ lines: String) {
        let parsed = LineParser().parseAll(Array(lines.utf8), defaultTime: 1_700_000_000_000_000_000)
        precondition(parsed.errors.isEmpty, "bad test input: \(parsed.errors)")
        var bytes: [UInt8] = [], bounds: [Range<Int>] = []
        for point in parsed.points {
            let record = try! PointRecord.encode(point)
            bounds.append(bytes.count..<bytes.count + record.count)
            bytes += record
        }
        self.bytes = bytes
        self.bounds = bounds
    }

    var count: Int { bounds.count }

    func write(to sink: PostgresSink, epoch: UInt64 = 1, firstSeq: UInt64 = 1, isolating: Bool = false) throws -> BatchOutcome {
        try bytes.withUnsafeBytes { all in
            let views = try bounds.map { try PointRecordView(UnsafeRawBufferPointer(rebasing: all[$0])) }
            let range = RingRange(epoch: epoch, firstSeq: firstSeq, lastSeq: firstSeq + UInt64(max(count, 1)) - 1)
            return try sink.write(views, range: range, isolatingUnknownErrors: isolating)
        }
    }
}

/// Writes with consecutive ring ranges, as an inserter does.
final class Inserter {
    let sink: PostgresSink
    private var nextSeq: UInt64 = 1

    init(_ sink: PostgresSink) {
        self.sink = sink
    }

    @discardableResult
    func write(_ lines: String) throws -> BatchOutcome {
        let batch = Batch(lines)
        defer { nextSeq += UInt64(batch.count) }
        return try batch.write(to: sink, firstSeq: nextSeq)
    }
}
