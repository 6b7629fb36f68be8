import LineProtocol
import PostgresSink
import SharedRing
import WorkerRuntime

/// Writes the records of one claimed batch exactly once.
///
/// After a crash, a batch may come back that an inserter had already committed (it died before
/// releasing it), possibly merged with records nobody wrote. The ledger then refuses the batch's
/// range, so it is asked which of the batch's sequence numbers are stored already, and only the
/// runs between them are written, each with its own ledger entry (see ``UnstoredRuns``). If
/// another inserter commits an overlapping range meanwhile, the sink reports `alreadyCommitted`
/// and the run is looked at again.
struct BatchStore {
    let sink: PostgresSink
    let epoch: UInt64
    let records: ClaimedRecords
    let worker: Worker
    let stats: WorkerStatsSlot?
    /// Whether an unknown error rejects the rows that meet it alone (``ErrorClass/unknownRetries``).
    let isolating: Bool
    /// Told of rows the sink parked because their table refused them (``ParkedRows``).
    var parked: (ParkedRows) -> Void = { _ in }

    private struct Entry {
        let sequence: UInt64
        let record: Record
    }

    /// What a ring record holds (``RecordKind``).
    private enum Record {
        case point(PointRecordView)
        case rejectedLine(RejectedLineRecordView)
    }

    func write() throws {
        let batch = entries()[...]
        // Only a batch handed out again after a crash can be stored already: write it whole, and
        // ask the ledger what to leave out only when it refuses the range.
        guard !batch.isEmpty, try !write(batch) else { return }
        var pending = [batch]
        var lookedAgain = 0
        while let chunk = pending.popLast() {
            guard let first = chunk.first, let last = chunk.last else { continue }
            let stored = try sink.committedRanges(epoch: epoch, from: first.sequence, through: last.sequence)
            for range in UnstoredRuns.split(chunk.map(\.sequence), stored: stored) {
                let run = chunk[(chunk.startIndex + range.lowerBound)..<(chunk.startIndex + range.upperBound)]
                guard try !write(run) else { continue }
                // Another inserter stored an overlapping range meanwhile: look at the ledger again.
                // More than a few times in one batch means the ledger and the ring disagree, which
                // must show up as an error rather than as a busy loop.
                lookedAgain += 1
                guard lookedAgain <= 3 else { throw LedgerDisagrees(epoch: epoch, first: run.first!.sequence, last: run.last!.sequence) }
                pending.append(run)
            }
        }
    }

    /// Writes one run of records; false when the ledger already had (part of) its range.
    private func write(_ run: ArraySlice<Entry>) throws -> Bool {
        let range = RingRange(epoch: epoch, firstSeq: run.first!.sequence, lastSeq: run.last!.sequence)
        var rows: [PointRecordView] = [], lines: [RejectedLineRecordView] = []
        rows.reserveCapacity(run.count)
        for entry in run {
            switch entry.record {
            case .point(let row): rows.append(row)
            case .rejectedLine(let line): lines.append(line)
            }
        }
        worker.setActivity(rows.isEmpty ? "INSERT \(lines.count) rejected lines" : "COPY \(Self.describeTables(rows)) \(rows.count) rows")
        let started = ContinuousClock.now
        let outcome = try sink.write(rows, lines: lines, range: range, isolatingUnknownErrors: isolating)
        guard !outcome.alreadyCommitted else { return false }
        if let stats { BatchWriteHistogram.record(.now - started, in: stats) }
        stats?.add(1, to: .batchesWritten)
        stats?.add(UInt64(outcome.inserted), to: .rowsInserted)
        stats?.count(rejected: outcome.rejected)
        stats?.add(UInt64(outcome.skipped), to: .rowsSkipped)
        stats?.add(UInt64(outcome.keysDropped), to: .keysDropped)
        for rows in outcome.parked {
            stats?.add(UInt64(rows.count), to: .rowsParked)
            worker.log("parked \(rows.count) rows of \(rows.measurement): \(rows.cause); kept in linemaster_parked and retried with backoff")
            parked(rows)
        }
        for reject in outcome.rejected.prefix(3) {
            worker.log("row of \(reject.measurement) rejected (\(reject.sqlstate)): \(reject.message); kept in linemaster_rejects")
        }
        for notice in outcome.schemaNotices {
            worker.log("\(notice); keys without a column go to _tags/_fields, or are dropped and counted (keys_dropped)")
        }
        return true
    }

    /// Reads every record; one that is not a well-formed point or rejected line record (it
    /// passed the ring's checksum, so this means a bug, or a listener newer than this inserter)
    /// is logged and left out rather than stopping the inserter.
    private func entries() -> [Entry] {
        var entries: [Entry] = []
        for record in records {
            do throws(PointRecordError) {
                let kind = RecordKind(of: record.payload)
                let read: Record = kind == .rejectedLine
                    ? .rejectedLine(try RejectedLineRecordView(record.payload)) : .point(try PointRecordView(record.payload))
                entries.append(Entry(sequence: record.sequence, record: read))
            } catch {
                worker.log("skipping record \(record.sequence): \(error)")
            }
        }
        return entries
    }

    /// `cpu` when every row is of one measurement, `several tables` otherwise.
    private static func describeTables(_ rows: [PointRecordView]) -> String {
        guard let first = rows.first?.measurement else { return "" }
        let mixed = rows.contains { !$0.measurement.elementsEqual(first) }
        return mixed ? "several tables" : String(decoding: first, as: UTF8.self)
    }
}

/// The ledger keeps refusing a range that it does not report as stored.
struct LedgerDisagrees: Error, CustomStringConvertible {
    let epoch: UInt64
    let first: UInt64
    let last: UInt64

    var description: String {
        "the ledger refuses ring range epoch \(epoch) seq \(first)...\(last) as overlapping a stored one, but reports none there"
    }
}

extension WorkerStatsSlot {
    /// Counts rows PostgreSQL refused, in all and by the class of their SQLSTATE, which is what
    /// `linemaster_rows_rejected_total`'s reason tells apart; of class 23, a row no partition
    /// exists for (23514, as a CHECK violation, told apart by its message) is counted apart too.
    func count(rejected: [RejectedRow]) {
        add(UInt64(rejected.count), to: .rowsRejected)
        let conversion = rejected.count(where: { $0.sqlstate.hasPrefix("22") })
        let constraint = rejected.count(where: { $0.sqlstate.hasPrefix("23") })
        let noPartition = rejected.count(where: { $0.sqlstate == "23514" && $0.message.hasPrefix("no partition of relation") })
        if conversion > 0 { add(UInt64(conversion), to: .rowsRejectedConversion) }
        if constraint > 0 { add(UInt64(constraint), to: .rowsRejectedConstraint) }
        if noPartition > 0 { add(UInt64(noPartition), to: .rowsRejectedNoPartition) }
    }
}
