/// What the supervisor shows for a worker in `linemaster status`.
public enum WorkerState: String, Sendable {
    case starting, running, stopping, backoff, failed, stopped
}

/// One worker as `linemaster status` shows it.
public struct WorkerStatus: Equatable, Sendable {
    public var name: String
    public var pid: Int32?
    public var state: WorkerState
    /// Seconds since the process started, when there is one.
    public var uptime: Double?
    public var restarts: Int
    public var lastExit: String?
    /// Index of the worker's statistics slot in shared memory.
    public var statSlot: Int
    /// Its capabilities' names (``Capability``), sorted.
    public var flags: [String]

    public init(name: String, pid: Int32?, state: WorkerState, uptime: Double?, restarts: Int, lastExit: String?,
                statSlot: Int, flags: [String]) {
        self.name = name
        self.pid = pid
        self.state = state
        self.uptime = uptime
        self.restarts = restarts
        self.lastExit = lastExit
        self.statSlot = statSlot
        self.flags = flags
    }
}
