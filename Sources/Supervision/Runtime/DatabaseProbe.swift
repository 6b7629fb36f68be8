import CLibPQ

/// Tells whether the database accepts connections, which is what `start = "database-ready"`
/// waits for. It asks with PQping, which needs no credentials and sends no query.
///
/// The supervisor never asks itself: a server that does not answer would hold its one loop for
/// the whole connect timeout, deaf to signals and children. It starts `linemaster probe-database`
/// as a child with the `database` capability (``probeWorker``), which asks once and exits with
/// the answer as its status; the loop reads it when it reaps the child, as postmaster learns
/// everything from its children.
public struct DatabaseProbe {
    let conninfo: String

    public init(conninfo: String) {
        self.conninfo = conninfo
    }

    /// What PQping answered; a probe exits with the raw value as its status.
    public enum Answer: Int32, Equatable, Sendable {
        case accepting = 0
        case rejecting = 3
        case noResponse = 4
        case unusableSettings = 5

        /// Why the database is not ready yet, for the log (never the connection string: it may
        /// hold a password); nil when it is.
        var reason: String? {
            switch self {
            case .accepting: return nil
            case .rejecting: return "the server is up but rejects connections (starting up or shutting down)"
            case .noResponse: return "no server answers at the configured address"
            case .unusableSettings: return "the connection settings are unusable: check [database] url"
            }
        }
    }

    /// The child the supervisor starts to ask: `linemaster probe-database`, shown in ps as
    /// `linemaster: database probe`.
    static let probeWorker = WorkerSpec(name: "database probe", executable: "linemaster", args: ["probe-database"], flags: [.database])

    /// At most `connect_timeout` seconds.
    public func ask() -> Answer {
        let keywords = ["dbname", "connect_timeout"]
        let values = [conninfo, "2"]
        return withCStrings(keywords) { k -> Answer in
            withCStrings(values) { v in
                k.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: keywords.count + 1) { keys in
                    v.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: values.count + 1) { vals in
                        Self.answer(PQpingParams(keys, vals, 1))
                    }
                }
            }
        }
    }

    private static func answer(_ ping: PGPing) -> Answer {
        switch ping {
        case PQPING_OK: return .accepting
        case PQPING_REJECT: return .rejecting
        case PQPING_NO_RESPONSE: return .noResponse
        default: return .unusableSettings
        }
    }
}
