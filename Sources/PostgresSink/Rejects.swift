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

/// The rejects table, `SCHEMA.linemaster_rejects`: one row per rejected point, with the reason.
/// `row` is json, not jsonb, so that a point jsonb refuses (a `\u0000` in a string) still fits.
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
            measurement text NOT NULL,
            "row" json NOT NULL,
            sqlstate text,
            error text NOT NULL
        )
        """
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
        String(String(decoding: row.measurement, as: UTF8.self).map { $0 == "\0" ? "\u{FFFD}" : $0 })
    }
}
