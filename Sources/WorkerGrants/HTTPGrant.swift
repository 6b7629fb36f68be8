#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

/// The `[http]` section, which the supervisor hands to a worker with the `http` flag.
///
/// It travels through an inherited pipe (`LINEMASTER_HTTP_FD`) like the ``DatabaseGrant``, because
/// it holds credentials: tokens and passwords appear neither in argv nor in the environment.
public struct HTTPGrant: Equatable, Sendable {
    /// When a write is answered 204.
    public enum Acknowledgement: String, Sendable, CaseIterable {
        /// Once every row of the request is in the ring, which survives any worker's crash.
        case ring
        /// Once the inserters have committed every row of the request in PostgreSQL.
        case commit
    }

    /// The largest request body, after decompression; larger ones get 413.
    public var maxBodySize: Int = 32 << 20
    public var ack: Acknowledgement = .ring
    /// The tag that carries the request's `db` (v1) or `bucket` (v2), as Telegraf's
    /// `database_tag`; nil: the database name is ignored.
    public var databaseTag: String?
    /// Open connections per worker process; more are answered 503 and closed.
    public var maxConnections: Int = 2048
    /// From a request's first byte to its last: a slow client cannot hold a connection longer.
    public var requestTimeout: Duration = .seconds(30)
    /// A keep-alive connection with no request in progress is closed after this.
    public var idleTimeout: Duration = .seconds(60)
    /// With `ack = "commit"`: the ring's oldest row unstored for this long means the database is
    /// away, and new writes are answered 503/429 instead of being accepted.
    public var commitTimeout: Duration = .seconds(10)
    /// v2 `Authorization: Token T` (and v1 too). Empty with `users` empty: no authentication.
    public var authTokens: [String] = []
    /// v1 credentials, `name:password` (Basic auth, `u`/`p`, or `Token name:password`).
    public var users: [String] = []

    public init() {}

    /// `key=value` lines; the config refuses line breaks in every value.
    public var encoded: String {
        var lines = [
            "max_body_size=\(maxBodySize)", "ack=\(ack.rawValue)", "max_connections=\(maxConnections)",
            "request_timeout_ms=\(Self.milliseconds(requestTimeout))", "idle_timeout_ms=\(Self.milliseconds(idleTimeout))",
            "commit_timeout_ms=\(Self.milliseconds(commitTimeout))",
        ]
        if let databaseTag { lines.append("database_tag=\(databaseTag)") }
        lines += authTokens.map { "token=\($0)" } + users.map { "user=\($0)" }
        return lines.joined(separator: "\n") + "\n"
    }

    public init?(encoded text: String) {
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { return nil }
            let value = String(line[line.index(after: equals)...])
            switch line[..<equals] {
            case "max_body_size": guard let n = Int(value) else { return nil }; maxBodySize = n
            case "ack": guard let a = Acknowledgement(rawValue: value) else { return nil }; ack = a
            case "max_connections": guard let n = Int(value) else { return nil }; maxConnections = n
            case "request_timeout_ms": guard let n = Int64(value) else { return nil }; requestTimeout = .milliseconds(n)
            case "idle_timeout_ms": guard let n = Int64(value) else { return nil }; idleTimeout = .milliseconds(n)
            case "commit_timeout_ms": guard let n = Int64(value) else { return nil }; commitTimeout = .milliseconds(n)
            case "database_tag": databaseTag = value
            case "token": authTokens.append(value)
            case "user": users.append(value)
            default: return nil
            }
        }
    }

    /// Reads the grant from the inherited pipe `fd` (the supervisor closed its end after writing).
    public static func read(fd: Int32) -> HTTPGrant? {
        let bytes = try? readToEnd(fd: fd)
        close(fd)
        return bytes.flatMap { HTTPGrant(encoded: String(decoding: $0, as: UTF8.self)) }
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
