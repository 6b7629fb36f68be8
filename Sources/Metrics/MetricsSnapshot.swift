/// What a scrape reports, read by its caller (`linemaster status --prometheus`) from shared
/// memory and the supervisor's files; plain values, so that any process can render them.
public struct MetricsSnapshot: Sendable {
    public var workers: [Worker]
    /// Nil when the ring cannot be read.
    public var ring: Ring?
    public var sockets: [Socket]

    public init(workers: [Worker], ring: Ring?, sockets: [Socket]) {
        self.workers = workers
        self.ring = ring
        self.sockets = sockets
    }

    /// One worker instance, as the supervisor and its statistics slot know it.
    public struct Worker: Sendable {
        public var name: String
        public var up: Bool
        public var restarts: Int
        public var role: Role
        /// The slot's counters by `WorkerCounter` index; nil when it has none (no shared memory).
        public var counters: [UInt64]?

        public init(name: String, up: Bool, restarts: Int, role: Role, counters: [UInt64]?) {
            self.name = name
            self.up = up
            self.restarts = restarts
            self.role = role
            self.counters = counters
        }
    }

    /// Which counters a worker's slot holds, and so which families it appears in.
    public enum Role: Sendable, Equatable {
        /// Receives line protocol over `protocol` (`udp`, `http`) and publishes rows.
        case receiver(protocol: String)
        /// Stores rows from the ring in PostgreSQL.
        case inserter
        /// Counts nothing linemaster knows of.
        case other
    }

    public struct Ring: Sendable {
        /// Records in the ring: published, not yet released.
        public var rows: UInt64
        public var usedBytes: Int
        public var sizeBytes: Int

        public init(rows: UInt64, usedBytes: Int, sizeBytes: Int) {
            self.rows = rows
            self.usedBytes = usedBytes
            self.sizeBytes = sizeBytes
        }
    }

    /// A UDP socket the supervisor holds for a definition.
    public struct Socket: Sendable {
        /// The definition's name.
        public var worker: String
        /// What the kernel dropped at it because its receive buffer was full.
        public var datagramsDropped: UInt64

        public init(worker: String, datagramsDropped: UInt64) {
            self.worker = worker
            self.datagramsDropped = datagramsDropped
        }
    }
}
