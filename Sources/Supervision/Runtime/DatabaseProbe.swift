import CLibPQ

/// Tells whether the database accepts connections, which is what `start = "database-ready"`
/// waits for. It asks with PQping, which needs no credentials and sends no query.
struct DatabaseProbe {
    let conninfo: String

    /// What PQping answered, for the log (never the connection string: it may hold a password).
    enum Answer: Equatable {
        case accepting
        case notYet(String)
    }

    /// At most `connect_timeout` seconds; the supervisor probes only until the database is ready.
    func ask() -> Answer {
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
        case PQPING_REJECT: return .notYet("the server is up but rejects connections (starting up or shutting down)")
        case PQPING_NO_RESPONSE: return .notYet("no server answers at the configured address")
        default: return .notYet("the connection settings are unusable: check [database] url")
        }
    }
}
