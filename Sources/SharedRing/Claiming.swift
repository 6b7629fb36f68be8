import CSystem

#if canImport(Glibc)
import Glibc
#endif

extension SharedRing {
    /// Claims the oldest unclaimed records, up to `maxRecords` and `maxBytes` of payload (but at
    /// least one record), waiting up to `timeout` (nil: forever) while the ring is empty.
    ///
    /// Returns nil when the timeout expires, or early when a signal interrupts the wait, so that
    /// the caller can look at its signal flags. The batch must be given to ``release(_:)`` once
    /// its rows are stored; until then no other consumer sees these records.
    public func claim(maxRecords: Int, maxBytes: Int = .max, timeout: Duration? = nil) -> ClaimedBatch? {
        precondition(maxRecords > 0, "maxRecords must be positive")
        let deadline = timeout.map { Self.monotonicNanoseconds() + Self.nanoseconds($0) }
        // A short spin first: on a busy ring the next record is usually a few hundred nanoseconds
        // away, much less than a futex round trip. It is bounded, so an idle consumer sleeps.
        var spins = 0
        while true {
            if let batch = tryClaim(maxRecords: maxRecords, maxBytes: maxBytes) { return batch }
            if spins < Self.spinLimit {
                spins += 1
                lm_cpu_relax()
                continue
            }
            guard waitForRecords(deadline: deadline) else { return nil }
        }
    }

    /// Gives a batch back: its space is reclaimed as soon as no older record is still claimed.
    /// Consumers may release in any order.
    public func release(_ batch: consuming ClaimedBatch) {
        precondition(batch.ring === self, "released a batch claimed from another ring")
        var position = batch.start
        var offset = self.offset(of: position)
        while position < batch.end {
            let record = header(atOffset: offset)
            let length = record.length
            let size = RecordFormat.size(payloadLength: length)
            switch record.state(at: position) {
            case RecordFormat.committed:
                // Zeroed so that stale payload bytes can never pass for a record header later.
                record.payload.initializeMemory(as: UInt8.self, repeating: 0, count: length)
                record.setState(RecordFormat.released, at: position)
            case RecordFormat.released:
                break
            default:
                preconditionFailure("claimed record at position \(position) is no longer claimed: the ring was recovered while in use?")
            }
            position += UInt64(size)
            offset = self.offset(after: offset, size: size)
        }
        _ = lm_fetch_add_relaxed_u64(layout.word(.rowsOut), UInt64(batch.count))
        // Pairs with the same fence in a concurrent release: of two consumers releasing neighbouring
        // batches, at least one sees the other's records released and moves the tail past both.
        lm_fence_seq_cst()
        advanceTail()
    }

    private static let spinLimit = 200

    /// Claims a run of committed records at the claim cursor, or returns nil if there is none.
    private func tryClaim(maxRecords: Int, maxBytes: Int) -> ClaimedBatch? {
        let cursor = layout.word(.claimCursor)
        var start = lm_load_acquire_u64(cursor)
        while true {
            // Read the run without owning it. Another consumer may claim it, release it, and a
            // producer reuse the space while we look; the compare-and-swap below then fails
            // (the cursor only grows), so whatever we read in the meantime is discarded.
            var position = start
            var offset = self.offset(of: position)
            var records = 0, bytes = 0
            scan: while records < maxRecords {
                let record = header(atOffset: offset)
                guard let state = record.state(at: position) else { break }
                let length = record.length
                let size = RecordFormat.size(payloadLength: length)
                guard size <= maxRecordSize, offset + size <= capacity else { break }
                if state == RecordFormat.committed {
                    if records > 0 && bytes + length > maxBytes { break scan }
                    records += 1
                    bytes += length
                }
                position += UInt64(size)
                offset = self.offset(after: offset, size: size)
            }
            if position == start { return nil }
            if lm_cas_u64(cursor, &start, position) != 0 {
                if let batch = verifiedBatch(start: start, end: position) { return batch }
                // Only skip records or corrupt ones: let the tail pass them, and look again.
                advanceTail()
                start = lm_load_acquire_u64(cursor)
            }
        }
    }

    /// Checks the checksums of a freshly claimed run; a record that fails is counted, released and
    /// never handed out. Returns nil when the run holds no good record.
    private func verifiedBatch(start: UInt64, end: UInt64) -> ClaimedBatch? {
        var position = start
        var offset = self.offset(of: position)
        var count = 0, bytes = 0, corrupt: UInt64 = 0
        var first: UInt64 = 0, last: UInt64 = 0
        while position < end {
            let record = header(atOffset: offset)
            let length = record.length
            let size = RecordFormat.size(payloadLength: length)
            if record.state(at: position) == RecordFormat.committed {
                if verifies(record, at: position) {
                    if count == 0 { first = position }
                    last = position
                    count += 1
                    bytes += length
                } else {
                    record.payload.initializeMemory(as: UInt8.self, repeating: 0, count: length)
                    record.setState(RecordFormat.released, at: position)
                    corrupt += 1
                }
            }
            position += UInt64(size)
            offset = self.offset(after: offset, size: size)
        }
        if corrupt > 0 { _ = lm_fetch_add_relaxed_u64(layout.word(.rowsCorrupt), corrupt) }
        guard count > 0 else { return nil }
        return ClaimedBatch(epoch: epoch, firstSequence: first, lastSequence: last, count: count,
                            byteCount: bytes, ring: self, start: start, end: end)
    }

    func verifies(_ record: RecordHeader, at position: UInt64) -> Bool {
        let length = record.length
        let payload = UnsafeRawBufferPointer(start: record.payload, count: length)
        let payloadChecksum = RecordFormat.payloadChecksum(payload, seed: checksumSeed)
        return RecordFormat.checksum(payloadChecksum: payloadChecksum, position: position, length: length)
            == record.checksum
    }

    /// Moves the reclaim tail over released records, never past the claim cursor.
    func advanceTail() {
        let tailWord = layout.word(.reclaimTail)
        var tail = lm_load_acquire_u64(tailWord)
        while true {
            let limit = lm_load_acquire_u64(layout.word(.claimCursor))
            var position = tail
            var offset = self.offset(of: position)
            while position < limit, header(atOffset: offset).state(at: position) == RecordFormat.released {
                let size = RecordFormat.size(payloadLength: header(atOffset: offset).length)
                guard offset + size <= capacity else { break }
                position += UInt64(size)
                offset = self.offset(after: offset, size: size)
            }
            if position == tail { return }
            if lm_cas_u64(tailWord, &tail, position) != 0 { return }
        }
    }

    /// Sleeps until a producer may have published, the deadline passes, or a signal arrives.
    /// Returns false when the caller should give up (deadline passed or interrupted).
    private func waitForRecords(deadline: Int64?) -> Bool {
        var timeout: Int64 = -1
        if let deadline {
            timeout = deadline - Self.monotonicNanoseconds()
            if timeout <= 0 { return false }
        }
        let seen = lm_load_u32(layout.wakeWord)
        lm_store_u32(layout.needsWake, 1)
        // See `wakeConsumers`: the store of `needsWake` must be ordered before the look at the ring.
        lm_fence_seq_cst()
        let cursor = lm_load_acquire_u64(layout.word(.claimCursor))
        if header(atOffset: offset(of: cursor)).state(at: cursor) != nil { return true }
        if lm_futex_wait(layout.wakeWord, seen, timeout) != 0 && errno == EINTR { return false }
        return true
    }

    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
