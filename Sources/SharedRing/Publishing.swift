import CPlatform

/// What ``SharedRing/tryPublish(_:)`` did with a record.
public enum PublishResult: Equatable, Sendable {
    /// The record is in the ring with this sequence number.
    case published(sequence: UInt64)
    /// The ring had no room; the record was dropped and counted in ``RingCounters/rowsDropped``.
    case full
    /// The payload is larger than ``SharedRing/maxPayloadSize``; it was dropped and counted.
    case tooLarge
}

/// What ``SharedRing/tryPublishAll(payloadSizes:_:)`` did with a group of records.
public enum GroupPublishResult: Equatable, Sendable {
    /// Every record is in the ring; their sequence numbers lie in this range (the records are
    /// released once every sequence number below `upperBound` is).
    case published(sequences: Range<UInt64>)
    /// The ring had no room for all of them; none was published. Not counted as dropped: the
    /// caller tells its sender, who sends again.
    case full
    /// The group can never fit: a record beyond ``SharedRing/maxPayloadSize``, or a quarter of the ring.
    case tooLarge
}

extension SharedRing {
    /// Copies `payload` into the ring as one record, or drops it when there is no room.
    ///
    /// Never blocks and never waits for a consumer: a producer reserves space with one
    /// compare-and-swap on the head, copies, and commits with one release store.
    public func tryPublish(_ payload: UnsafeRawBufferPointer) -> PublishResult {
        let length = payload.count
        guard length <= maxPayloadSize else { return dropped(.tooLarge) }
        // The payload's checksum is computed before reserving, so that the window in which
        // consumers wait behind an uncommitted record is only the copy.
        let payloadChecksum = RecordFormat.payloadChecksum(payload, seed: checksumSeed)
        guard let (position, offset) = reserve(size: RecordFormat.size(payloadLength: length)) else { return dropped(.full) }
        let record = header(atOffset: offset)
        if length > 0 { record.payload.copyMemory(from: payload.baseAddress!, byteCount: length) }
        return commit(record, at: position, length: length, payloadChecksum: payloadChecksum)
    }

    /// Reserves `byteCount` bytes in the ring and lets `write` fill them in place (e.g. a listener
    /// encoding a point straight into shared memory), or drops the record when there is no room.
    ///
    /// `write` must fill the whole buffer and cannot fail: a reservation cannot be taken back,
    /// and consumers wait at it until it is committed. It runs only if there is room.
    public func tryPublish(byteCount: Int, _ write: (UnsafeMutableRawBufferPointer) -> Void) -> PublishResult {
        guard byteCount >= 0, byteCount <= maxPayloadSize else { return dropped(.tooLarge) }
        guard let (position, offset) = reserve(size: RecordFormat.size(payloadLength: byteCount)) else { return dropped(.full) }
        let record = header(atOffset: offset)
        let payload = UnsafeMutableRawBufferPointer(start: record.payload, count: byteCount)
        write(payload)
        let payloadChecksum = RecordFormat.payloadChecksum(UnsafeRawBufferPointer(payload), seed: checksumSeed)
        return commit(record, at: position, length: byteCount, payloadChecksum: payloadChecksum)
    }

    /// Copies the bytes of `payload` into the ring as one record, like the `UnsafeRawBufferPointer` variant.
    /// Inlinable, so that it is specialized for the caller's collection type.
    @inlinable
    public func tryPublish(_ payload: some Collection<UInt8>) -> PublishResult {
        if let result = payload.withContiguousStorageIfAvailable({ tryPublish(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(payload).withUnsafeBytes { tryPublish($0) }
    }

    /// Publishes several records as one unit: all of them, in order and at consecutive sequence
    /// numbers, or none (an HTTP request answered 503 must leave nothing behind that its retry
    /// would store a second time).
    ///
    /// One reservation covers the whole group, so no other producer's record lands between its
    /// records and no other producer can fill the ring halfway through it. The checksums are
    /// computed before it, so that consumers wait behind the group only for the copy. A group
    /// larger than a quarter of the ring is refused as ``GroupPublishResult/tooLarge``: it could
    /// wait for ever for that much free space in one piece.
    public func tryPublishAll(_ payloads: [UnsafeRawBufferPointer]) -> GroupPublishResult {
        let start = nextPublishedSequence
        guard !payloads.isEmpty else { return .published(sequences: start ..< start) }
        var total = 0
        for payload in payloads {
            guard payload.count <= maxPayloadSize else { return .tooLarge }
            total += RecordFormat.size(payloadLength: payload.count)
        }
        guard total <= capacity / 4 else { return .tooLarge }
        let checksums = payloads.map { RecordFormat.payloadChecksum($0, seed: checksumSeed) }
        guard let (first, firstOffset) = reserve(size: total) else { return .full }
        var position = first, offset = firstOffset
        for (payload, payloadChecksum) in zip(payloads, checksums) {
            let record = header(atOffset: offset)
            if let source = payload.baseAddress { record.payload.copyMemory(from: source, byteCount: payload.count) }
            markCommitted(record, at: position, length: payload.count, payloadChecksum: payloadChecksum)
            position += UInt64(RecordFormat.size(payloadLength: payload.count))
            offset += RecordFormat.size(payloadLength: payload.count)
        }
        wakeConsumers()
        return .published(sequences: first ..< position)
    }

    private func dropped(_ result: PublishResult) -> PublishResult {
        _ = lm_fetch_add_relaxed_u64(layout.word(.rowsDropped), 1)
        return result
    }

    /// Writes the header of a filled record, makes it visible, and wakes consumers.
    private func commit(_ record: RecordHeader, at position: UInt64, length: Int, payloadChecksum: UInt32) -> PublishResult {
        markCommitted(record, at: position, length: length, payloadChecksum: payloadChecksum)
        wakeConsumers()
        return .published(sequence: position)
    }

    @inline(__always)
    private func markCommitted(_ record: RecordHeader, at position: UInt64, length: Int, payloadChecksum: UInt32) {
        record.setLength(length, checksum: RecordFormat.checksum(
            payloadChecksum: payloadChecksum, position: position, length: length))
        // The commit mark: everything above becomes visible to the consumer that acquires it.
        record.setState(RecordFormat.committed, at: position)
        _ = lm_fetch_add_relaxed_u64(layout.word(.rowsIn), 1)
    }

    /// Reserves `size` bytes at the head, preceded by skip records over the rest of the data area
    /// when they would not fit before its end. Returns the position and offset, or nil when full.
    private func reserve(size: Int) -> (UInt64, Int)? {
        let headWord = layout.word(.reserveHead)
        var head = lm_load_relaxed_u64(headWord)
        while true {
            let offset = self.offset(of: head)
            let skip = capacity - offset < size ? capacity - offset : 0
            let end = head + UInt64(skip + size)
            // Acquire pairs with the consumer that moved the tail: the space below it is no
            // longer read by anyone, so overwriting it is safe.
            let tail = lm_load_acquire_u64(layout.word(.reclaimTail))
            if tail > head {  // `head` is stale: the tail never passes the real head.
                head = lm_load_relaxed_u64(headWord)
                continue
            }
            if end - tail > UInt64(capacity) { return nil }
            if lm_cas_u64(headWord, &head, end) != 0 {
                guard skip > 0 else { return (head, offset) }
                writeSkipRecords(at: head, offset: offset, count: skip)
                return (head + UInt64(skip), 0)
            }
        }
    }

    /// Covers `count` bytes with released records no larger than any record: a consumer takes a
    /// record beyond ``maxRecordSize`` for damage and would never pass it (a group's reservation
    /// can leave more than that before the end). Written last piece first, so that the first,
    /// once visible, is followed by the others.
    private func writeSkipRecords(at position: UInt64, offset: Int, count: Int) {
        let pieces = (count + maxRecordSize - 1) / maxRecordSize
        for piece in stride(from: pieces - 1, through: 0, by: -1) {
            let start = piece * maxRecordSize
            let record = header(atOffset: offset + start)
            record.setLength(min(maxRecordSize, count - start) - RecordFormat.headerSize, checksum: 0)
            record.setState(RecordFormat.released, at: position + UInt64(start))
        }
    }

    /// Wakes sleeping consumers if any announced that they sleep.
    ///
    /// The fence orders the commit store before the load of `needsWake`; the consumer has the
    /// mirror image (store `needsWake`, fence, load the state word), so at least one of the two
    /// sees the other: either the consumer finds the record, or the producer finds the flag.
    @inline(__always)
    private func wakeConsumers() {
        lm_fence_seq_cst()
        if lm_load_u32(layout.needsWake) != 0 && lm_exchange_u32(layout.needsWake, 0) != 0 {
            _ = lm_fetch_add_u32(layout.wakeWord, 1)
            _ = lm_futex_wake(layout.wakeWord, Int32.max)
        }
    }
}
