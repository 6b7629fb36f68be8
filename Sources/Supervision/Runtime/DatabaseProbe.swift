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

    /// What PQping answered, for the log (never the connection string: it may hold a password).
    public enum Answer: Equatable, Sendable {
        case accepting
        case notYet(String)
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

    private static let reasons: [Int32: String] = [
        3: "the server is up but rejects connections (starting up or shutting down)",
        4: "no server answers at the configured address",
        5: "the connection settings are unusable: check [database] url",
    ]

    private static func answer(_ ping: PGPing) -> Answer {
        switch ping {
        case PQPING_OK: return .accepting
        case PQPING_REJECT: return .notYet(reasons[3]!)
        case PQPING_NO_RESPONSE: return .notYet(reasons[4]!)
        default: return .notYet(reasons[5]!)
        }
    }
}

extension DatabaseProbe.Answer {
    /// The probe's exit status: 0 when the server accepts connections, 3 to 5 for why not.
    public var exitStatus: Int32 {
        switch self {
        case .accepting: return 0
        case .notYet(let reason): return DatabaseProbe.reasons.first { $0.value == reason }?.key ?? 5
        }
    }

    /// The answer a probe gave by how it ended.
    init(probeEnded reason: ExitReason) {
        switch reason {
        case .exited(0): self = .accepting
        case .exited(let status) where DatabaseProbe.reasons[status] != nil: self = .notYet(DatabaseProbe.reasons[status]!)
        default: self = .notYet("the database probe failed (\(reason)); see its log line above")
        }
    }
}
