/// Whether the database accepts connections, as libpq's PQping tells: what
/// `start = "database-ready"` waits for. The database probe child (`linemaster probe-database`)
/// exits with the raw value as its status, and the supervisor reads it back from there.
public enum DatabaseReadiness: Int32, Equatable, Sendable {
    case accepting = 0
    case rejecting = 3
    case noResponse = 4
    case unusableSettings = 5

    /// Why the database is not ready yet, for the log (never the connection string: it may
    /// hold a password); nil when it is.
    public var reason: String? {
        switch self {
        case .accepting: return nil
        case .rejecting: return "the server is up but rejects connections (starting up or shutting down)"
        case .noResponse: return "no server answers at the configured address"
        case .unusableSettings: return "the connection settings are unusable: check [database] url"
        }
    }
}
