/// Why a batch was not committed. Rows the server refuses one by one are never thrown: they go to
/// the rejects table (``BatchOutcome/rejected``) and the rest of the batch is committed.
public enum SinkError: Error, CustomStringConvertible, Equatable {
    /// The connection failed or broke (server down, restarting, network). Nothing of the batch was
    /// committed: keep the rows in the ring and retry with backoff; the sink reconnects on the next call.
    case connectionLost(String)
    /// The server refused the batch as a whole for a reason that is not a row's fault (permissions,
    /// disk full, deadlock, ...), or not yet known to be (``ErrorClass/unknown``). Nothing of the
    /// batch was committed; ``errorClass`` says whether to wait or, after a few tries, isolate.
    case server(ServerError)
    /// The settings or the database cannot work (schema missing, bad ring range).
    case misconfigured(String)

    public var description: String {
        switch self {
        case .connectionLost(let message): return "no connection to PostgreSQL: \(message)"
        case .server(let error): return error.description
        case .misconfigured(let message): return message
        }
    }
}

/// An error reported by PostgreSQL, with its SQLSTATE.
public struct ServerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The five-character SQLSTATE, e.g. `23514` for a CHECK violation.
    public var sqlstate: String
    /// The server's primary message.
    public var message: String
    /// The server's detail line, if any.
    public var detail: String?
    /// The line of a failed COPY's data at fault (1-based), from the error's context.
    var copyLine: Int?

    public init(sqlstate: String, message: String, detail: String? = nil) {
        self.sqlstate = sqlstate
        self.message = message
        self.detail = detail
    }

    init(sqlstate: String, message: String, detail: String?, context: String?) {
        self.init(sqlstate: sqlstate, message: message, detail: detail)
        copyLine = context.flatMap(Self.copyLine)
    }

    /// `COPY m, line 7` or `COPY m, line 7, column v: ...`, after any PL/pgSQL frames. The last
    /// `, line ` counts, since the table name may contain one.
    private static func copyLine(in context: String) -> Int? {
        guard let frame = context.split(separator: "\n").last(where: { $0.hasPrefix("COPY ") }),
              let marker = frame.ranges(of: ", line ").last else { return nil }
        return Int(frame[marker.upperBound...].prefix(while: \.isNumber))
    }

    public var description: String {
        "PostgreSQL error \(sqlstate): \(message)" + (detail.map { " (\($0))" } ?? "")
    }
}
