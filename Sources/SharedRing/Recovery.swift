/// What ``SharedRing/openOrCreate(name:size:)`` or ``SharedRing/recover()`` found and did, for
/// the supervisor's log.
public struct RecoveryReport: Sendable, Equatable, CustomStringConvertible {
    /// Where the ring came from.
    public enum Origin: Sendable, Equatable {
        /// There was no segment: a new, empty ring.
        case created
        /// The existing ring was kept and recovered.
        case reopened
        /// The existing segment was replaced by a new, empty ring, for the reason given.
        case recreated(reason: String)
    }

    public var origin: Origin
    /// Records waiting for a consumer after recovery (they will be handed out, oldest first).
    public var recordsKept = 0
    /// Of ``recordsKept``, those that were claimed by a consumer that never released them.
    /// Their sequence numbers may already be in an inserter's ledger.
    public var claimsReturned = 0
    /// Records reserved by a producer that died before committing them, or whose checksum failed:
    /// their space is skipped, their rows were never accepted.
    public var tornRecordsSkipped = 0
    /// The bytes those torn records occupied.
    public var tornBytesSkipped = 0
    /// A configured ring size that was not applied because the existing ring still held rows.
    /// It takes effect at the first start that finds the ring empty (e.g. after a smart shutdown).
    public var deferredCapacity: Int? = nil

    public var description: String {
        var text: String
        switch origin {
        case .created: text = "created a new ring"
        case .reopened: text = "recovered the existing ring"
        case .recreated(let reason): text = "replaced the existing ring (\(reason))"
        }
        text += ": \(recordsKept) records kept, \(claimsReturned) unreleased claims returned, "
            + "\(tornRecordsSkipped) torn records skipped (\(tornBytesSkipped) bytes)"
        if let deferredCapacity {
            text += "; configured size \(deferredCapacity) bytes applies once the ring is empty"
        }
        return text
    }
}

extension SharedRing {
    /// Repairs the ring after processes attached to it died: records a producer reserved but did
    /// not commit are skipped, batches a consumer claimed but did not release are handed out
    /// again, released records are never handed out again.
    ///
    /// Precondition: no other process is attached. The supervisor calls this after it has killed
    /// every shared-memory worker and before it starts new ones. That is what makes recovery
    /// simple: with nobody moving the cursors, it is one single-threaded scan from tail to head,
    /// and it can rewrite anything without atomics or ordering concerns.
    public func recover() -> RecoveryReport {
        var report = RecoveryReport(origin: .reopened)
        let head = layout.word(.reserveHead).pointee
        let claim = layout.word(.claimCursor).pointee
        var position = layout.word(.reclaimTail).pointee
        while position < head {
            if let (state, size) = intactRecord(at: position, limit: head) {
                if state == RecordFormat.committed {
                    report.recordsKept += 1
                    if position < claim { report.claimsReturned += 1 }
                }
                position += UInt64(size)
                continue
            }
            // A torn stretch: nothing tells its length, so look for the next intact record.
            var next = position + UInt64(RecordFormat.alignment)
            while next < head && intactRecord(at: next, limit: head) == nil { next += UInt64(RecordFormat.alignment) }
            fillWithSkipRecords(from: position, to: next)
            report.tornRecordsSkipped += 1
            report.tornBytesSkipped += Int(next - position)
            position = next
        }
        // Claims of dead consumers go back: everything from the tail on is unclaimed again, except
        // what was released, which stays released and is passed over like a skip record.
        var tail = layout.word(.reclaimTail).pointee
        while tail < head, let (state, size) = intactRecord(at: tail, limit: head), state == RecordFormat.released {
            tail += UInt64(size)
        }
        layout.word(.reclaimTail).pointee = tail
        layout.word(.claimCursor).pointee = tail
        layout.needsWake.pointee = 0
        return report
    }

    /// The state and size of the record at `position` if it is whole: its state word names this
    /// position, it ends by `limit` and before the end of the data area, and, when committed,
    /// its checksum verifies.
    private func intactRecord(at position: UInt64, limit: UInt64) -> (UInt64, Int)? {
        let offset = self.offset(of: position)
        let record = header(atOffset: offset)
        guard let state = record.state(at: position) else { return nil }
        let size = RecordFormat.size(payloadLength: record.length)
        guard size <= maxRecordSize, offset + size <= capacity, position + UInt64(size) <= limit else { return nil }
        switch state {
        case RecordFormat.committed: return verifies(record, at: position) ? (state, size) : nil
        case RecordFormat.released: return (state, size)
        default: return nil
        }
    }

    /// Covers `[from, to)` with zeroed skip records, none crossing the end of the data area.
    private func fillWithSkipRecords(from: UInt64, to: UInt64) {
        var position = from
        while position < to {
            let offset = self.offset(of: position)
            let size = min(Int(to - position), capacity - offset, maxRecordSize)
            let record = header(atOffset: offset)
            record.address.initializeMemory(as: UInt8.self, repeating: 0, count: size)
            record.setLength(size - RecordFormat.headerSize, checksum: 0)
            record.setState(RecordFormat.released, at: position)
            position += UInt64(size)
        }
    }
}
