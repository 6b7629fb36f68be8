import CLibPQ

/// Tells whether the database accepts connections, which is what `start = "database-ready"`
/// waits for. It asks with PQping, which needs no credentials and sends no query.
struct DatabaseProbe {
    let conninfo: String

    /// At most `connect_timeout` seconds; the supervisor probes only until the database is ready.
    func acceptsConnections() -> Bool {
        let keywords = ["dbname", "connect_timeout"]
        let values = [conninfo, "2"]
        return withCStrings(keywords) { k in
            withCStrings(values) { v in
                k.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: keywords.count + 1) { keys in
                    v.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: values.count + 1) { vals in
                        PQpingParams(keys, vals, 1) == PQPING_OK
                    }
                }
            }
        }
    }
}
