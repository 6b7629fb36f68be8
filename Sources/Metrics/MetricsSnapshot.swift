import SharedRing
import WorkerRuntime

/// What `linemaster status` and a scrape of `/metrics` report: the workers as the supervisor's
/// status file lists them, the counters in shared memory, and the kernel's drops at the UDP
/// sockets the supervisor holds. One definition for both readers, so that they cannot differ.
public struct MetricsSnapshot: Sendable {
    public var workers: [WorkerStatus]
    /// Nil when the ring cannot be read.
    public var ring: RingStatus?
    public var sockets: [SocketDrops]

    public init(workers: [WorkerStatus], ring: RingStatus?, sockets: [SocketDrops]) {
        self.workers = workers
        self.ring = ring
        self.sockets = sockets
    }

    /// Reads the files the supervisor `supervisorPid` keeps in `dataDirectory` and the counters
    /// of `ring` (nil: none could be mapped). The socket drops are read from
    /// `/proc/<supervisorPid>/net`, the supervisor's network namespace.
    public static func read(dataDirectory: String, supervisorPid: Int32, ring: SharedRing?) -> MetricsSnapshot {
        let workers = StatusFile.read(dataDirectory: dataDirectory, wallClockNow: wallClockSeconds()) ?? []
        return MetricsSnapshot(workers: workers, ring: ring.map { RingStatus($0, workers: workers) },
                               sockets: SocketDrops.read(dataDirectory: dataDirectory, supervisorPid: supervisorPid))
    }

    /// The slot's counters of `worker`, when it has a slot in the ring.
    public func counters(of worker: WorkerStatus) -> WorkerCounters? { ring?.workerCounters[worker.statSlot] }

    /// Which counters a worker's slot holds, and so which families it appears in.
    public enum Role: Sendable, Equatable {
        /// Receives line protocol over `protocol` (`udp`, `http`) and publishes rows.
        case receiver(protocol: String)
        /// Stores rows from the ring in PostgreSQL.
        case inserter
        /// Counts nothing linemaster knows of.
        case other
    }

    /// What a worker counts, by the flags it was given: `database` workers store rows, `http`
    /// ones receive over HTTP, other shared-memory workers are taken for UDP listeners.
    public static func role(of worker: WorkerStatus) -> Role {
        let flags = worker.flags
        if flags.contains(Capability.database.rawValue) { return .inserter }
        if flags.contains(Capability.http.rawValue) { return .receiver(protocol: "http") }
        if flags.contains(Capability.sharedMemory.rawValue) { return .receiver(protocol: "udp") }
        return .other
    }
}
