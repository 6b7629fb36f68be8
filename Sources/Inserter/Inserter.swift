#if canImport(Glibc)
import Glibc
#endif
import CSystem
import LineProtocol
import PostgresSink
import SharedRing
import WorkerGrants
import WorkerRuntime

/// What `linemaster-inserter` was asked to do.
public struct InserterOptions: Sendable {
    /// The most rows in one batch, which is one transaction.
    public var maxBatchRows: Int

    public init(maxBatchRows: Int) {
        self.maxBatchRows = maxBatchRows
    }
}

/// The inserter worker: claims batches of rows from the ring, writes each in one transaction
/// with its ledger entry, and releases it only then, so that a row leaves the ring only once it
/// is stored. A batch that cannot be written (the database is down) waits, with backoff; the
/// listeners keep filling the ring meanwhile.
public final class Inserter {
    private let worker: Worker
    private let ring: SharedRing
    private let sink: PostgresSink
    private let stats: WorkerStatsSlot?
    private let options: InserterOptions
    private var stopRequested = false
    private var ledgerTrimmed = ContinuousClock.now

    public init(worker: Worker, options: InserterOptions) throws {
        self.worker = worker
        self.options = options
        // A batch's arrays (thousands of rows) are larger than glibc's default threshold for
        // giving memory back with munmap, so every batch would map, fault in, zero and unmap them
        // again: a tenth of the inserter's CPU. Kept in the heap, they are reused.
        lm_keep_freed_memory(32 << 20)
        let ring = try worker.attachRing()
        self.ring = ring
        let grant = try worker.database()
        sink = PostgresSink(settings: SinkSettings(
            conninfo: grant.url, schema: grant.schema, createTables: grant.createTables))
        stats = worker.statSlot.map { ring.workerStats(slot: $0) }
    }

    /// Writes until SIGTERM, then drains what had been published into the ring by then (in a smart
    /// shutdown the listeners are gone already, so that is all of it) and exits 0. Returns 2
    /// instead when it had to stop holding a batch it could not write: that status makes the
    /// supervisor recover the ring, which hands the batch out again.
    public func run() -> Int32 {
        worker.setActivity("idle")
        var drainUntil: UInt64?
        while true {
            if drainUntil == nil && stopping() { drainUntil = ring.nextPublishedSequence }
            if let limit = drainUntil, ring.nextClaimedSequence >= limit { return 0 }
            if worker.shouldReload() {
                sink.invalidateCatalog()
                worker.log("table definitions will be read again")
            }
            let wait: Duration = drainUntil == nil ? .seconds(1) : .zero
            guard let batch = ring.claim(maxRecords: options.maxBatchRows, timeout: wait) else {
                if drainUntil != nil { return 0 }
                worker.setActivity("idle")
                continue
            }
            guard store(batch) else {
                worker.log("stopping with \(batch.count) rows not yet written; they stay in the ring")
                return 2
            }
            ring.release(batch)
            trimLedger()
            worker.setActivity(drainUntil == nil ? "idle" : "draining")
        }
    }

    /// Once a minute, deletes the ledger entries of rows that can never come back from the ring.
    /// A failure is harmless (the entries stay until the next try), so it is only logged.
    private func trimLedger() {
        guard ContinuousClock.now - ledgerTrimmed >= .seconds(60) else { return }
        ledgerTrimmed = .now
        do {
            try sink.forgetCommittedRanges(epoch: ring.epoch, before: ring.oldestUnreleasedSequence)
        } catch {
            worker.log("could not trim the ledger: \(error)")
        }
    }

    /// Writes the batch, retrying with backoff while the database cannot take it (ErrorClass):
    /// without end for an error that waiting or a person may cure, which is shown in the title;
    /// ``ErrorClass/unknownRetries`` times for an unknown one, after which its rows are isolated and
    /// those at fault rejected. False when a stop was requested before it could be written.
    private func store(_ batch: borrowing ClaimedBatch) -> Bool {
        var delay = Duration.milliseconds(100)
        var unknownFailures = 0
        while true {
            let isolating = unknownFailures >= ErrorClass.unknownRetries
            do {
                try BatchStore(sink: sink, epoch: batch.epoch, records: batch.records, worker: worker, stats: stats, isolating: isolating).write()
                return true
            } catch {
                let errorClass = (error as? SinkError)?.errorClass ?? .transient
                // A data error the sink could not pin on a row (outside COPY) counts as unknown.
                if errorClass == .unknown || errorClass == .data { unknownFailures += 1 }
                worker.log("cannot write \(batch.count) rows (\(Self.plan(errorClass, failures: unknownFailures))), retrying in \(delay): \(error)")
                worker.setActivity("\(Self.waiting(errorClass)): \(Self.short(error))")
            }
            guard pause(delay) else { return false }
            delay = min(delay * 2, .seconds(10))
        }
    }

    /// How the title says why a batch waits.
    private static func waiting(_ errorClass: ErrorClass) -> String {
        switch errorClass {
        case .configuration: return "waiting for a fix"
        case .unknown, .data: return "retrying"
        case .transient: return "waiting for database"
        }
    }

    /// What the log says will happen to a batch that failed.
    private static func plan(_ errorClass: ErrorClass, failures: Int) -> String {
        switch errorClass {
        case .configuration: return "it waits until the privilege or object is fixed"
        case .unknown where failures > ErrorClass.unknownRetries, .data where failures > ErrorClass.unknownRetries:
            return "an error that isolating the rows did not settle"
        case .unknown, .data:
            return "unknown error \(failures) of \(ErrorClass.unknownRetries); then the rows that fail alone are rejected"
        case .transient: return "it waits in the ring"
        }
    }

    /// Sleeps for `delay` in short steps, so that a stop request is seen; false if one came.
    private func pause(_ delay: Duration) -> Bool {
        let deadline = ContinuousClock.now + delay
        while ContinuousClock.now < deadline {
            if stopping() { return false }
            usleep(50_000)
        }
        return !stopping()
    }

    private func stopping() -> Bool {
        if worker.shouldStop() { stopRequested = true }
        return stopRequested
    }

    /// The first line of an error, short enough for a process title.
    static func short(_ error: any Error) -> String {
        String("\(error)".prefix { $0 != "\n" }.prefix(80))
    }
}
