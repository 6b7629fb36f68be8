import CLibPQ
import WorkerGrants

extension PostgresSink {
    /// Asks once whether the server of `conninfo` accepts connections, with PQping: no
    /// credentials needed, no query sent, at most 2 seconds unless the string says otherwise.
    public static func ping(conninfo: String) -> DatabaseReadiness {
        let ping = withCStrings(["connect_timeout", "dbname"]) { keys in
            withCStrings(["2", conninfo]) { values in PQpingParams(keys, values, 1) }
        }
        switch ping {
        case PQPING_OK: return .accepting
        case PQPING_REJECT: return .rejecting
        case PQPING_NO_RESPONSE: return .noResponse
        default: return .unusableSettings
        }
    }
}
