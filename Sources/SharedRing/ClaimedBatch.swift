/// Records a consumer has claimed: they belong to it alone until it passes the batch to
/// ``SharedRing/release(_:)``; their bytes stay valid and unchanged until then.
///
/// For exactly-once delivery, store ``epoch``, ``firstSequence`` and ``lastSequence`` in the same
/// transaction as the rows. A batch is a run of consecutive records, so a record belongs to a
/// stored batch exactly when its sequence lies in that batch's range; after a crash, records that
/// come back with a sequence inside a stored range were already written and are to be skipped.
public struct ClaimedBatch: ~Copyable, Sendable {
    /// The epoch of the ring the sequence numbers belong to.
    public let epoch: UInt64
    /// The sequence of the first record of the batch.
    public let firstSequence: UInt64
    /// The sequence of the last record of the batch (equal to `firstSequence` for one record).
    public let lastSequence: UInt64
    /// The number of records, at least 1.
    public let count: Int
    /// The payload bytes of all records together.
    public let byteCount: Int

    let ring: SharedRing
    /// The claimed positions `[start, end)`, which may include skip records, but only after the
    /// committed record at `start`: that one keeps the tail from reclaiming them until release.
    let start: UInt64
    let end: UInt64

    /// The records in sequence order. The payload pointers are valid until the batch is released.
    public var records: ClaimedRecords { ClaimedRecords(ring: ring, start: start, end: end) }
}

/// One claimed record.
public struct ClaimedRecord {
    /// Increases strictly along the ring (it is the record's byte position in the ring's history,
    /// so the numbers are not consecutive). Unique within an epoch.
    public let sequence: UInt64
    /// The payload as published; valid until its batch is released.
    public let payload: UnsafeRawBufferPointer
}

/// The records of a ``ClaimedBatch``, skipping the space between them.
public struct ClaimedRecords: Sequence {
    let ring: SharedRing
    let start: UInt64
    let end: UInt64

    public func makeIterator() -> Iterator { Iterator(ring: ring, position: start, end: end) }

    public struct Iterator: IteratorProtocol {
        let ring: SharedRing
        var position: UInt64
        let end: UInt64

        public mutating func next() -> ClaimedRecord? {
            while position < end {
                let record = ring.header(atOffset: ring.offset(of: position))
                let length = record.length
                let here = position
                position += UInt64(RecordFormat.size(payloadLength: length))
                if record.state(at: here) == RecordFormat.committed {
                    return ClaimedRecord(sequence: here, payload: UnsafeRawBufferPointer(start: record.payload, count: length))
                }
            }
            return nil
        }
    }
}
