#if canImport(Glibc)
import Glibc
#endif

/// The three shutdown modes, weakest first; a stronger one upgrades a weaker one in progress.
public enum ShutdownMode: Int, Comparable, Sendable, CustomStringConvertible {
    /// SIGTERM: producers first, then consumers (which drain the ring), then everything else.
    case smart
    /// SIGINT: SIGTERM to every worker at once; rows left in the ring stay for the next start.
    case fast
    /// SIGQUIT: SIGQUIT to every worker, SIGKILL after the timeout.
    case immediate

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .smart: return "smart"
        case .fast: return "fast"
        case .immediate: return "immediate"
        }
    }
}

/// Something the state machine wants done. The main loop performs it; the state machine does no I/O.
public enum SupervisorAction: Equatable, Sendable {
    /// Start a process for this worker instance; report the result with `spawned` or `spawnFailed`.
    case spawn(instance: String, spec: WorkerSpec, statSlot: Int)
    /// Send `signal` to the worker's process group.
    case signal(pid: pid_t, signal: Int32)
    /// Start the database probe child; report how it ended with `probeExited`.
    case startProbe
    /// Check and recover the shared memory: every process that had it attached is gone.
    case recoverSharedMemory
    /// Change the status line of the pid file.
    case announce(SupervisorStatus)
    case log(String)
    /// Every worker is gone: exit with this status. `removeSharedMemory` after a smart shutdown.
    case exit(code: Int32, removeSharedMemory: Bool)
}

/// The supervisor's status as shown in the pid file, like postmaster.pid's.
public enum SupervisorStatus: String, Sendable {
    case starting, ready, stopping
}
