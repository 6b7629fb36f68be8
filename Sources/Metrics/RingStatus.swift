import SharedRing
import WorkerRuntime

/// The ring's counters and the workers' statistics slots, as read from shared memory.
public struct RingStatus: Sendable {
    public var counters: RingCounters
    /// Counters of each worker's statistics slot, by slot index, for slots that name a live worker.
    public var workerCounters: [Int: WorkerCounters]

    /// Reads `ring`: its counters, and the slots of `workers` that carry their names.
    public init(_ ring: SharedRing, workers: [WorkerStatus]) {
        var perWorker: [Int: WorkerCounters] = [:]
        for worker in workers where worker.flags.contains(Capability.sharedMemory.rawValue) && worker.statSlot < WorkerStatsSlot.slotCount {
            let slot = ring.workerStats(slot: worker.statSlot)
            guard slot.name == worker.name else { continue }
            perWorker[worker.statSlot] = WorkerCounters(values: slot.values)
        }
        self.init(counters: ring.counters, workerCounters: perWorker)
    }

    public init(counters: RingCounters, workerCounters: [Int: WorkerCounters]) {
        self.counters = counters
        self.workerCounters = workerCounters
    }

    /// Records in the ring: published, not yet released.
    public var records: UInt64 { counters.rowsIn - min(counters.rowsIn, counters.rowsOut) }
}

/// What a listener, an HTTP worker or an inserter counted since its slot was given to it.
public struct WorkerCounters: Sendable {
    /// Every counter of the slot, by ``WorkerCounter`` index.
    public var values: [UInt64]

    public init(values: [UInt64]) { self.values = values }

    public subscript(counter: WorkerCounter) -> UInt64 { counter.index < values.count ? values[counter.index] : 0 }

    /// In the order and with the names of `status --json` (the text form spaces them).
    public var named: [(String, UInt64)] { Self.names.map { ($0.0, self[$0.1]) } }

    private static let names: [(String, WorkerCounter)] = [
        ("datagrams", .messagesReceived), ("lines_accepted", .rowsParsed), ("lines_rejected", .linesRejected),
        ("rejected_lines_kept", .rejectedLinesKept), ("rejected_lines_not_kept", .rejectedLinesNotKept),
        ("rows_dropped", .rowsDropped), ("rows_inserted", .rowsInserted), ("batches", .batchesWritten), ("rejects", .rowsRejected),
        ("rows_parked", .rowsParked), ("parked_rows_stored", .parkedRowsStored),
        ("parked_rows_rejected", .parkedRowsRejected), ("bytes_received", .bytesReceived),
        ("rows_skipped", .rowsSkipped), ("rejects_conversion", .rowsRejectedConversion),
        ("rejects_constraint", .rowsRejectedConstraint), ("rejects_no_partition", .rowsRejectedNoPartition),
        ("keys_dropped", .keysDropped),
    ]
}
