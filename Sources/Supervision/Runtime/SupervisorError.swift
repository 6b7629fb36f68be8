import SharedRing
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Why the supervisor or a control command could not do what was asked.
public enum SupervisorError: Error, CustomStringConvertible {
    case system(SystemCallError)
    /// Another supervisor holds the data directory.
    case alreadyRunning(pid: Int32, dataDirectory: String)
    /// No supervisor runs on the data directory.
    case notRunning(dataDirectory: String)
    case config(ConfigError)
    case sharedMemory(SharedRingError)
    case timedOut(String)
    /// A `listen` address could not be bound (or listened on): the call's errno.
    case listen(String, Int32)
    /// A `listen` address whose port this supervisor holds already under another address.
    case portHeld(String, by: String)
    /// A `listen` address whose host does not resolve.
    case listenAddress(String, String)

    public var description: String {
        switch self {
        case .system(let error):
            return error.description
        case .alreadyRunning(let pid, let dir):
            return "another linemaster (pid \(pid)) is running with data directory \(dir); stop it first or use another -D"
        case .notRunning(let dir):
            return "no linemaster is running with data directory \(dir)"
        case .config(let error):
            return "invalid configuration:\n\(error)"
        case .sharedMemory(let error):
            return "\(error)"
        case .timedOut(let what):
            return what
        case .listen(let address, let err):
            return "cannot listen on \(address): \(String(cString: strerror(err)))\(Self.listenHint(err))"
        case .portHeld(let address, let other):
            return "cannot listen on \(address): this linemaster listens on that port as \(other) already; "
                + "to change the address, remove \(other) in one reload and add \(address) in the next"
        case .listenAddress(let address, let reason):
            return "cannot listen on \(address): bad address: \(reason)"
        }
    }

    private static func listenHint(_ err: Int32) -> String {
        switch err {
        case EADDRINUSE: return " (another program, or another linemaster, listens there)"
        case EACCES: return " (ports below 1024 need linemaster to start as root; unix sockets, a writable directory)"
        case EADDRNOTAVAIL: return " (the host is not an address of this machine)"
        default: return ""
        }
    }
}
