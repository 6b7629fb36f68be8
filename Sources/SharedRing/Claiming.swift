import CPlatform

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
        // A batch starts with a committed record of its own (see `verifiedBatch`), and that one is
        // released last: while it is committed the tail cannot pass it, so the skip records and
        // records released out of order that follow it in the batch cannot be reclaimed and
        // overwritten by a producer while this walk still reads their headers. Released first, it
        // would let another consumer's `advanceTail` run over it and a following skip record.
        let first = header(atOffset: self.offset(of: batch.start))
        let firstLength = first.length
        precondition(first.state(at: batch.start) == RecordFormat.committed,
                     "claimed record at position \(batch.start) is no longer claimed: the ring was recovered while in use?")
        var position = batch.start + UInt64(RecordFormat.size(payloadLength: firstLength))
        var offset = self.offset(after: self.offset(of: batch.start), size: RecordFormat.size(payloadLength: firstLength))
        while position < batch.end {
            let record = header(atOffset: offset)
            let length = record.length
            let size = RecordFormat.size(payloadLength: length)
            switch record.state(at: position) {
            case RecordFormat.committed:
                markReleased(record, at: position, length: length)
            case RecordFormat.released:
                break
            default:
                preconditionFailure("claimed record at position \(position) is no longer claimed: the ring was recovered while in use?")
            }
            position += UInt64(size)
            offset = self.offset(after: offset, size: size)
        }
        markReleased(first, at: batch.start, length: firstLength)
        _ = lm_fetch_add_relaxed_u64(layout.word(.rowsOut), UInt64(batch.count))
        // Pairs with the same fence in a concurrent release: of two consumers releasing neighbouring
        // batches, at least one sees the other's records released and moves the tail past both.
        lm_fence_seq_cst()
        advanceTail()
    }

    /// Marks a committed record that this consumer owns as released: from then on the tail may
    /// pass it and a producer overwrite it, so nothing may read it afterwards.
    @inline(__always)
    private func markReleased(_ record: RecordHeader, at position: UInt64, length: Int) {
        // Zeroed so that stale payload bytes can never pass for a record header later.
        record.payload.initializeMemory(as: UInt8.self, repeating: 0, count: length)
        record.setState(RecordFormat.released, at: position)
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
            var firstCommitted: UInt64? = nil
            scan: while records < maxRecords {
                let record = header(atOffset: offset)
                guard let state = record.state(at: position) else { break }
                let length = record.length
                let size = RecordFormat.size(payloadLength: length)
                guard size <= maxRecordSize, offset + size <= capacity else { break }
                if state == RecordFormat.committed {
                    if records > 0 && bytes + length > maxBytes { break scan }
                    if records == 0 { firstCommitted = position }
                    records += 1
                    bytes += length
                }
                position += UInt64(size)
                offset = self.offset(after: offset, size: size)
            }
            if position == start { return nil }
            if lm_cas_u64(cursor, &start, position) != 0 {
                // Released records before the first committed one (a skip record at the end of the
                // data area, mostly) are below the cursor now and released: another consumer's
                // `advanceTail` may pass them at once, and a producer overwrite them. So nothing
                // reads them after the compare-and-swap; the batch begins at its first record.
                if let firstCommitted, let batch = verifiedBatch(start: firstCommitted, end: position) { return batch }
                // Only skip records or corrupt ones: let the tail pass them, and look again.
                advanceTail()
                start = lm_load_acquire_u64(cursor)
            }
        }
    }

    /// Checks the checksums of a freshly claimed run that begins with a committed record at
    /// `start`; a record that fails is counted, released and never handed out. Returns nil when
    /// the run holds no good record. The batch begins at its first good record.
    private func verifiedBatch(start: UInt64, end: UInt64) -> ClaimedBatch? {
        var position = start
        var offset = self.offset(of: position)
        var count = 0, bytes = 0
        var first: UInt64 = 0, last: UInt64 = 0
        // Failed records are marked released only after the walk: marking the one at `start`
        // released would let the tail pass it, and the records after it that the walk still
        // reads be overwritten (see `release(_:)`). Empty, this array allocates nothing.
        var corrupt: [(RecordHeader, UInt64, Int)] = []
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
                    corrupt.append((record, position, length))
                }
            }
            position += UInt64(size)
            offset = self.offset(after: offset, size: size)
        }
        if !corrupt.isEmpty {
            // The corrupt records before `first` are read by nobody from here on; those after it
            // are protected by it, which stays committed until the batch is released.
            for (record, position, length) in corrupt { markReleased(record, at: position, length: length) }
            _ = lm_fetch_add_relaxed_u64(layout.word(.rowsCorrupt), UInt64(corrupt.count))
        }
        guard count > 0 else { return nil }
        return ClaimedBatch(epoch: epoch, firstSequence: first, lastSequence: last, count: count,
                            byteCount: bytes, ring: self, start: first, end: end)
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
