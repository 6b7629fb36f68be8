import SharedRing
#if canImport(Glibc)
import Glibc
#endif

/// Why the supervisor or a control command could not do what was asked.
public enum SupervisorError: Error, CustomStringConvertible {
    case system(String, Int32)
    /// Another supervisor holds the data directory.
    case alreadyRunning(pid: Int32, dataDirectory: String)
    /// No supervisor runs on the data directory.
    case notRunning(dataDirectory: String)
    case config(ConfigError)
    case sharedMemory(SharedRingError)
    case timedOut(String)

    public var description: String {
        switch self {
        case .system(let call, let err):
            return "\(call) failed: \(String(cString: strerror(err)))"
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
        }
    }
}
