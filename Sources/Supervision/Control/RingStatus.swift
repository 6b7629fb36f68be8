import SharedRing

/// The ring and the workers' counters as `linemaster status` shows them, read from shared memory.
public struct RingStatus: Sendable {
    public var counters: RingCounters
    /// Counters of each worker's statistics slot, by slot index, for slots that name a live worker.
    public var workerCounters: [Int: WorkerCounters]

    /// Maps the ring `name` read-only, so that a supervisor starting meanwhile may recover it;
    /// nil when there is none (never created here).
    static func read(segmentName name: String, workers: [WorkerStatus]) -> RingStatus? {
        guard let ring = try? SharedRing.open(name: name, access: .readOnly) else { return nil }
        var perWorker: [Int: WorkerCounters] = [:]
        for worker in workers where worker.flags.contains(WorkerFlag.sharedMemory.rawValue) && worker.statSlot < WorkerStatsSlot.slotCount {
            let slot = ring.workerStats(slot: worker.statSlot)
            guard slot.name == worker.name else { continue }
            perWorker[worker.statSlot] = WorkerCounters(slot)
        }
        return RingStatus(counters: ring.counters, workerCounters: perWorker)
    }
}

/// What a listener or an inserter counted since it started.
public struct WorkerCounters: Sendable {
    public var datagrams: UInt64
    public var linesAccepted: UInt64
    public var linesRejected: UInt64
    public var rowsDropped: UInt64
    public var rowsInserted: UInt64
    public var batches: UInt64
    public var rejects: UInt64
    /// Of ``linesRejected``, those published for the rejects table, and those only counted.
    public var rejectedLinesKept: UInt64
    public var rejectedLinesNotKept: UInt64
    public var rowsParked: UInt64
    public var parkedRowsStored: UInt64
    /// Every counter of the slot, by ``WorkerCounter`` index.
    public var values: [UInt64]

    init(_ slot: WorkerStatsSlot) {
        values = slot.values
        datagrams = slot.value(of: .messagesReceived)
        linesAccepted = slot.value(of: .rowsParsed)
        linesRejected = slot.value(of: .linesRejected)
        rowsDropped = slot.value(of: .rowsDropped)
        rowsInserted = slot.value(of: .rowsInserted)
        batches = slot.value(of: .batchesWritten)
        rejects = slot.value(of: .rowsRejected)
        rejectedLinesKept = slot.value(of: .rejectedLinesKept)
        rejectedLinesNotKept = slot.value(of: .rejectedLinesNotKept)
        rowsParked = slot.value(of: .rowsParked)
        parkedRowsStored = slot.value(of: .parkedRowsStored)
    }

    /// In the order and with the names of `status --json`.
    var named: [(String, UInt64)] {
        [("datagrams", datagrams), ("lines_accepted", linesAccepted), ("lines_rejected", linesRejected),
         ("rejected_lines_kept", rejectedLinesKept), ("rejected_lines_not_kept", rejectedLinesNotKept),
         ("rows_dropped", rowsDropped), ("rows_inserted", rowsInserted), ("batches", batches), ("rejects", rejects),
         ("rows_parked", rowsParked), ("parked_rows_stored", parkedRowsStored),
         ("bytes_received", values[WorkerCounter.bytesReceived.index]), ("rows_skipped", values[WorkerCounter.rowsSkipped.index]),
         ("rejects_conversion", values[WorkerCounter.rowsRejectedConversion.index]),
         ("rejects_constraint", values[WorkerCounter.rowsRejectedConstraint.index])]
    }
}
