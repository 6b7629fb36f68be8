import LineProtocol

/// Rows of one measurement that a batch parked instead of storing: their table refused its COPY
/// (or its lookup or creation) with an error someone has to fix (``ErrorClass/configuration``),
/// or stayed locked by another session (``ErrorClass/contention``, met twice running).
public struct ParkedRows: Sendable, Equatable {
    public var measurement: String
    public var count: Int
    public var sqlstate: String
    public var message: String

    /// `PostgreSQL error 42501: permission denied for table cpu`
    public var cause: String { "PostgreSQL error \(sqlstate): \(message)" }
}

/// The parked table, `SCHEMA.linemaster_parked`: rows whose table could not take them when their
/// batch was written, kept as the ring held them (a ``PointRecord``'s bytes) until the table
/// takes them. They are written in their batch's transaction, with its ledger row, so that the
/// batch leaves the ring with every row either stored, rejected or parked; and taken out in the
/// same transaction as the one that stores them in their table, so that a row is stored once.
struct Parked {
    static let tableName = "linemaster_parked"
    let qualifiedName: String
    private let indexName: String

    init(schema: String) {
        qualifiedName = quoteIdentifier(schema) + "." + quoteIdentifier(Self.tableName)
        indexName = quoteIdentifier(Self.tableName + "_measurement")
    }

    var createStatement: String {
        """
        CREATE TABLE IF NOT EXISTS \(qualifiedName) (
            id bigserial PRIMARY KEY,
            parked_at timestamptz NOT NULL DEFAULT now(),
            measurement text NOT NULL,
            record bytea NOT NULL,
            sqlstate text,
            error text NOT NULL
        );
        CREATE INDEX IF NOT EXISTS \(indexName) ON \(qualifiedName) (measurement, id)
        """
    }

    /// Rows per INSERT: one statement carries this many records as one bytea[] parameter.
    private static let chunk = 1000

    /// Inserts the rows at `indices` of `rows` in the caller's transaction.
    func store(_ rows: [PointRecordView], _ indices: [Int], measurement: String, error: ServerError, on connection: Connection) throws(StatementFailure) {
        var start = 0
        while start < indices.count {
            let end = min(start + Self.chunk, indices.count)
            var literal = "{"
            for (n, i) in indices[start..<end].enumerated() {
                if n > 0 { literal += "," }
                literal += "\"\\\\x"
                literal += hex(rows[i].recordBytes)
                literal += "\""
            }
            literal += "}"
            try connection.query(
                "INSERT INTO \(qualifiedName) (measurement, record, sqlstate, error) SELECT $1, r, $2, $3 FROM unnest($4::bytea[]) AS r",
                [measurement, error.sqlstate, error.message, literal])
            start = end
        }
    }

    /// The measurements with parked rows: how many, and the latest cause (found by the index,
    /// not gathered from every row).
    func summary(on connection: Connection) throws(StatementFailure) -> [ParkedRows] {
        let rows = try connection.query("""
            SELECT p.measurement, p.n, latest.sqlstate, latest.error
            FROM (SELECT measurement, count(*) AS n FROM \(qualifiedName) GROUP BY measurement) p
            CROSS JOIN LATERAL (SELECT sqlstate, error FROM \(qualifiedName) l
                                WHERE l.measurement = p.measurement ORDER BY l.id DESC LIMIT 1) latest
            ORDER BY p.measurement
            """)
        return rows.map { row in
            ParkedRows(measurement: row[0] ?? "", count: row[1].flatMap { Int($0) } ?? 0, sqlstate: row[2] ?? "", message: row[3] ?? "")
        }
    }

    /// Up to `limit` of a measurement's parked rows, oldest first: ids and record bytes. Read
    /// outside a transaction; ``claim(_:on:)`` takes them inside the one that stores them.
    func fetch(measurement: String, limit: Int, on connection: Connection) throws(StatementFailure) -> (ids: [String], records: [[UInt8]]) {
        let rows = try connection.query(
            "SELECT id, encode(record, 'hex') FROM \(qualifiedName) WHERE measurement = $1 ORDER BY id LIMIT $2",
            [measurement, String(limit)])
        var ids: [String] = [], records: [[UInt8]] = []
        for row in rows {
            // A record that does not read as a point (it came from one, so this means damage) is
            // left parked, where it can be looked at, rather than deleted unstored.
            guard let id = row[0], let text = row[1], let bytes = unhex(text),
                  (bytes.withUnsafeBytes { (try? PointRecordView($0)) != nil }) else { continue }
            ids.append(id)
            records.append(bytes)
        }
        return (ids, records)
    }

    /// Deletes the rows `ids` in the caller's transaction, skipping rows another transaction
    /// holds (another inserter retrying them); false unless every one of them was deleted, in
    /// which case the caller must roll back and look again later.
    func claim(_ ids: [String], on connection: Connection) throws(StatementFailure) -> Bool {
        let deleted = try connection.query("""
            DELETE FROM \(qualifiedName) WHERE id IN
                (SELECT id FROM \(qualifiedName) WHERE id = ANY($1::bigint[]) FOR UPDATE SKIP LOCKED)
            RETURNING id
            """, ["{" + ids.joined(separator: ",") + "}"])
        return deleted.count == ids.count
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)

private func hex(_ bytes: UnsafeRawBufferPointer) -> String {
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(hexDigits[Int(byte >> 4)])
        out.append(hexDigits[Int(byte & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}

private func unhex(_ text: String) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { return nil }
    func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
    var out = [UInt8]()
    out.reserveCapacity(digits.count / 2)
    var i = 0
    while i < digits.count {
        guard let high = value(digits[i]), let low = value(digits[i + 1]) else { return nil }
        out.append(high << 4 | low)
        i += 2
    }
    return out
}
