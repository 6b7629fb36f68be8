#if canImport(Glibc)
import Glibc
#endif
import CPlatform
import LineProtocol
import PostgresSink
import SharedRing
import SQLTemplates
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
    /// Measurements with rows in `linemaster_parked`, and when to try them again.
    private var parked: [String: ParkedRetry] = [:]
    /// When the parked table was last looked at; at start, at once (rows parked before a restart,
    /// or by another inserter).
    private var parkedLooked = ContinuousClock.now - .seconds(3600)
    private var saidParkingUnavailable = false

    private struct ParkedRetry {
        var rows: ParkedRows
        var due: ContinuousClock.Instant
        var delay: Duration
    }

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
        let templates = try TableTemplates(create: grant.createTemplates, addColumn: grant.addColumnTemplates)
        sink = PostgresSink(settings: SinkSettings(
            conninfo: grant.url, schema: grant.schema, createTables: grant.createTables,
            addColumns: grant.addColumns, maxColumns: grant.maxColumns, templates: templates))
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
                retryParked()
                worker.setActivity(withParked("idle"))
                continue
            }
            guard store(batch) else {
                worker.log("stopping with \(batch.count) rows not yet written; they stay in the ring")
                return 2
            }
            ring.release(batch)
            trimLedger()
            if drainUntil == nil { retryParked() }
            worker.setActivity(withParked(drainUntil == nil ? "idle" : "draining"))
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
    /// those at fault rejected. A table's contention error needs no count here: the sink parks
    /// that table's rows when it meets one again (``ErrorClass/contention``). False when a stop
    /// was requested before it could be written.
    private func store(_ batch: borrowing ClaimedBatch) -> Bool {
        var delay = Duration.milliseconds(100)
        var unknownFailures = 0
        while true {
            let isolating = unknownFailures >= ErrorClass.unknownRetries
            do {
                var store = BatchStore(sink: sink, epoch: batch.epoch, records: batch.records, worker: worker, stats: stats, isolating: isolating)
                store.parked = { [unowned self] rows in self.noteParked(rows) }
                try store.write()
                stats?.set(DatabaseState.reached.rawValue, .databaseState)
                return true
            } catch {
                let errorClass = (error as? SinkError)?.errorClass ?? .transient
                stats?.set((Self.databaseUnavailable(error) ? DatabaseState.unavailable : .reached).rawValue, .databaseState)
                // A data error the sink could not pin on a row (outside COPY) counts as unknown.
                if errorClass == .unknown || errorClass == .data { unknownFailures += 1 }
                worker.log("cannot write \(batch.count) rows (\(Self.plan(errorClass, failures: unknownFailures))), retrying in \(delay): \(error)")
                worker.setActivity("\(Self.waiting(errorClass)): \(Self.short(error))")
            }
            guard pause(delay) else { return false }
            delay = min(delay * 2, .seconds(10))
        }
    }

    // MARK: - Parked rows

    /// How long a measurement's parked rows wait before their first retry, and at most between two.
    private static let parkedFirstDelay = Duration.seconds(1)
    private static let parkedMaxDelay = Duration.seconds(30)
    /// How often the parked table is looked at for rows this inserter did not park itself.
    private static let parkedLookEvery = Duration.seconds(10)
    /// Transactions of parked rows per call, over every measurement: calls come between ring
    /// batches, which must not wait behind many parked tables at once.
    private static let parkedChunksPerCall = 4

    private func noteParked(_ rows: ParkedRows) {
        if var entry = parked[rows.measurement] {
            entry.rows.count += rows.count
            entry.rows.sqlstate = rows.sqlstate
            entry.rows.message = rows.message
            parked[rows.measurement] = entry
        } else {
            parked[rows.measurement] = ParkedRetry(rows: rows, due: .now + Self.parkedFirstDelay, delay: Self.parkedFirstDelay)
        }
    }

    /// Stores the parked rows that are due, per measurement, each chunk in one transaction that
    /// also deletes them from the parked table; a table that still refuses them is tried again
    /// later, the delay doubling up to ``parkedMaxDelay``.
    private func retryParked() {
        let now = ContinuousClock.now
        if now - parkedLooked >= Self.parkedLookEvery {
            parkedLooked = now
            do {
                let found = try sink.parkedRows()
                if !sink.parkingAvailable && !saidParkingUnavailable {
                    saidParkingUnavailable = true
                    worker.log("linemaster_parked is missing and this role may not create it: a table that refuses its rows "
                               + "makes its batch wait in the ring; an administrator can create it (see the README, Parked rows)")
                }
                let names = Set(found.map(\.measurement))
                parked = parked.filter { names.contains($0.key) }
                for rows in found {
                    if parked[rows.measurement] != nil { parked[rows.measurement]!.rows = rows } else {
                        parked[rows.measurement] = ParkedRetry(rows: rows, due: now, delay: Self.parkedFirstDelay)
                    }
                }
            } catch {
                worker.log("could not look at linemaster_parked: \(error)")
            }
        }
        // The measurement that has been due longest first: a budget for the whole call, shared in turn.
        var budget = Self.parkedChunksPerCall
        for (measurement, entry) in parked.sorted(by: { $0.value.due < $1.value.due }) where entry.due <= now {
            if stopping() || budget == 0 { return }
            var entry = entry
            var finished = false, busy = false
            do {
                while budget > 0 {
                    budget -= 1
                    worker.setActivity("COPY \(measurement) parked rows")
                    let outcome = try sink.retryParked(measurement: measurement, limit: options.maxBatchRows)
                    // Another inserter is storing them right now.
                    if outcome.alreadyCommitted { busy = true; break }
                    let done = outcome.inserted + outcome.rejected.count + outcome.skipped
                    if done == 0 { finished = true; break }
                    stats?.add(UInt64(outcome.inserted), to: .rowsInserted)
                    stats?.add(UInt64(outcome.inserted), to: .parkedRowsStored)
                    stats?.count(rejected: outcome.rejected)
                    stats?.add(UInt64(outcome.skipped), to: .rowsSkipped)
                    stats?.add(UInt64(outcome.keysDropped), to: .keysDropped)
                    stats?.add(UInt64(outcome.rejected.count + outcome.skipped), to: .parkedRowsRejected)
                    entry.rows.count = max(0, entry.rows.count - done)
                    worker.log("stored \(outcome.inserted) parked rows of \(measurement)"
                               + (outcome.rejected.isEmpty ? "" : ", rejected \(outcome.rejected.count)"))
                    if done < options.maxBatchRows { finished = true; break }
                }
                entry.delay = Self.parkedFirstDelay
                entry.due = .now + (busy ? Self.parkedFirstDelay : .zero)
            } catch {
                entry.delay = min(entry.delay * 2, Self.parkedMaxDelay)
                entry.due = .now + entry.delay
                if case .server(let cause) = error {
                    entry.rows.sqlstate = cause.sqlstate
                    entry.rows.message = cause.message
                }
                worker.log("\(entry.rows.count) parked rows of \(measurement) still refused, retrying in \(entry.delay): \(error)")
            }
            parked[measurement] = finished ? nil : entry
        }
    }

    /// `idle; parked 1200 rows of cpu: PostgreSQL error 42501: ...` while rows are parked.
    private func withParked(_ activity: String) -> String {
        let waiting = parked.values.filter { $0.rows.count > 0 }.sorted { $0.rows.measurement < $1.rows.measurement }
        guard let first = waiting.first else { return activity }
        let more = waiting.count > 1 ? " (+\(waiting.count - 1) more tables)" : ""
        return "\(activity); parked \(first.rows.count) rows of \(first.rows.measurement)\(more): "
            + String(first.rows.cause.prefix(80))
    }

    /// How the title says why a batch waits.
    private static func waiting(_ errorClass: ErrorClass) -> String {
        switch errorClass {
        case .configuration: return "waiting for a fix"
        case .unknown, .data, .contention: return "retrying"
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
        case .contention: return "a lock or a conflict: a table that meets it again has its rows parked, elsewhere it waits in the ring"
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

    /// Whether `error` says that the database as a whole cannot take writes, which is what
    /// `linemaster_database_up` 0 means: no connection, or SQLSTATE class 08 (connection), 53
    /// (insufficient resources) or 57P0x (shutting down, starting up).
    static func databaseUnavailable(_ error: any Error) -> Bool {
        switch error as? SinkError {
        case .connectionLost?: return true
        case .server(let cause)?: return ["08", "53", "57P0"].contains { cause.sqlstate.hasPrefix($0) }
        case .misconfigured?, nil: return false
        }
    }

    /// The first line of an error, short enough for a process title.
    static func short(_ error: any Error) -> String {
        String("\(error)".prefix { $0 != "\n" }.prefix(80))
    }
}
