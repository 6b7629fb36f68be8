import LineProtocol

/// A row PostgreSQL would not take (or the sink found it could not), kept in `linemaster_rejects`.
public struct RejectedRow: Sendable, Equatable {
    public var measurement: String
    /// `{"time": <ns>, "tags": {...}, "fields": {...}}`, every key included.
    public var json: String
    /// The SQLSTATE PostgreSQL reported, or would have (client-side checks use the same codes).
    public var sqlstate: String
    public var message: String
}

/// The rejects table, `SCHEMA.linemaster_rejects`: one row per rejected point (`measurement`,
/// `row`, the `sqlstate` PostgreSQL reported) or per line the parser rejected (`line`, `source`,
/// no `sqlstate`), with the reason in `error`. `row` is json, not jsonb, so that a point jsonb
/// refuses (a `\u0000` in a string) still fits.
struct Rejects {
    static let tableName = "linemaster_rejects"
    let qualifiedName: String

    init(schema: String) {
        qualifiedName = quoteIdentifier(schema) + "." + quoteIdentifier(Self.tableName)
    }

    var createStatement: String {
        """
        CREATE TABLE IF NOT EXISTS \(qualifiedName) (
            received_at timestamptz NOT NULL DEFAULT now(),
            measurement text,
            "row" json,
            sqlstate text,
            error text NOT NULL,
            line text,
            source text
        )
        """
    }

    /// How the table keeps rejected lines: in their own columns, or, in a table made before
    /// there were any that this role may not alter, as `row` = `{"line": ..., "source": ...}`
    /// with an empty measurement.
    enum Layout {
        case lineColumns
        case rowsOnly
    }

    /// Brings a table made before rejected lines were kept up to ``createStatement``'s columns,
    /// in the caller's transaction; a role that may not alter it keeps ``Layout/rowsOnly``.
    func upgrade(on connection: Connection) throws(StatementFailure) -> Layout {
        let current = try connection.query("""
            SELECT count(*) FILTER (WHERE attname IN ('line', 'source'))
                 + count(*) FILTER (WHERE attname IN ('measurement', 'row') AND NOT attnotnull)
            FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped
            """, [qualifiedName])
        guard current.first?.first != .some("4") else { return .lineColumns }
        try connection.query("SAVEPOINT linemaster_rejects")
        do throws(StatementFailure) {
            try connection.query("""
                ALTER TABLE \(qualifiedName) ADD COLUMN IF NOT EXISTS line text, ADD COLUMN IF NOT EXISTS source text,
                    ALTER COLUMN measurement DROP NOT NULL, ALTER COLUMN "row" DROP NOT NULL
                """)
            try connection.query("RELEASE SAVEPOINT linemaster_rejects")
            return .lineColumns
        } catch .server(let error) where ErrorClass(error.sqlstate) == .configuration {
            try connection.query("ROLLBACK TO SAVEPOINT linemaster_rejects")
            return .rowsOnly
        }
    }

    /// Inserts the rejected `lines` in the caller's transaction, with the time each was received.
    func store(_ lines: [RejectedLineRecordView], layout: Layout, on connection: Connection) throws(StatementFailure) {
        let statement = switch layout {
        case .lineColumns:
            "INSERT INTO \(qualifiedName) (received_at, line, error, source) VALUES (to_timestamp($1::double precision / 1e6), $2, $3, $4)"
        case .rowsOnly:
            """
            INSERT INTO \(qualifiedName) (received_at, measurement, "row", error)
            VALUES (to_timestamp($1::double precision / 1e6), '', json_build_object('line', $2::text, 'source', $4::text), $3)
            """
        }
        for line in lines {
            try connection.query(statement, [String(line.time / 1000), Self.text(line.line), Self.text(line.reason), Self.text(line.source)])
        }
    }

    /// Bytes as a text parameter can carry them: invalid UTF-8 and NUL become U+FFFD.
    static func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let decoded = String(decoding: bytes, as: UTF8.self)
        return decoded.utf8.contains(0) ? String(decoded.map { $0 == "\0" ? "\u{FFFD}" : $0 }) : decoded
    }

    /// Inserts `rejects` in the caller's transaction, so they commit with the batch's good rows.
    func store(_ rejects: [RejectedRow], on connection: Connection) throws(StatementFailure) {
        for reject in rejects {
            try connection.query(
                "INSERT INTO \(qualifiedName) (measurement, \"row\", sqlstate, error) VALUES ($1, $2, $3, $4)",
                [reject.measurement, reject.json, reject.sqlstate, reject.message])
        }
    }

    /// A rejected row as the rejects table keeps it; a NUL, which a text parameter cannot carry,
    /// becomes U+FFFD in the measurement name (the JSON escapes it).
    static func describe(_ row: PointRecordView, sqlstate: String, message: String, scratch: ByteBuffer) -> RejectedRow {
        scratch.removeAll()
        scratch.append("{\"time\":")
        scratch.appendDecimal(row.time)
        scratch.append(",\"tags\":{")
        var first = true
        row.forEachTag { key, value in
            scratch.appendJSONMember(key, first: &first)
            scratch.appendJSONString(value)
        }
        scratch.append("},\"fields\":{")
        first = true
        row.forEachField { key, value in
            scratch.appendJSONMember(key, first: &first)
            scratch.appendJSONValue(value)
        }
        scratch.append("}}")
        let json = String(decoding: UnsafeBufferPointer(start: scratch.base, count: scratch.count), as: UTF8.self)
        return RejectedRow(measurement: measurementText(row), json: json, sqlstate: sqlstate, message: message)
    }

    /// The measurement as a text parameter can carry it: a NUL becomes U+FFFD.
    static func measurementText(_ row: PointRecordView) -> String {
        text(row.measurement)
    }
}
