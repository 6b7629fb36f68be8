import CPlatform

/// A snapshot of the ring's counters, for `linemaster status`.
///
/// The counters are statistics, not bookkeeping: a process killed between committing a record
/// and counting it leaves them off by one. Nothing depends on them for correctness.
public struct RingCounters: Sendable, Equatable {
    /// Records published since the ring was created.
    public var rowsIn: UInt64
    /// Records released by consumers.
    public var rowsOut: UInt64
    /// Records refused because the ring was full or the record too large.
    public var rowsDropped: UInt64
    /// Claimed records whose checksum failed (never handed out; should stay 0).
    public var rowsCorrupt: UInt64
    /// Bytes in use: records not yet reclaimed, headers and skip records included.
    public var bytesUsed: Int
    /// Of ``bytesUsed``, the bytes not yet claimed by any consumer.
    public var bytesWaiting: Int
    /// The size of the data area.
    public var capacity: Int
}

extension SharedRing {
    /// The current counters. Each is read atomically; together they are only roughly consistent.
    public var counters: RingCounters {
        let tail = lm_load_acquire_u64(layout.word(.reclaimTail))
        let claim = lm_load_acquire_u64(layout.word(.claimCursor))
        let head = lm_load_acquire_u64(layout.word(.reserveHead))
        return RingCounters(
            rowsIn: lm_load_relaxed_u64(layout.word(.rowsIn)),
            rowsOut: lm_load_relaxed_u64(layout.word(.rowsOut)),
            rowsDropped: lm_load_relaxed_u64(layout.word(.rowsDropped)),
            rowsCorrupt: lm_load_relaxed_u64(layout.word(.rowsCorrupt)),
            bytesUsed: Int(clamping: head &- tail),
            bytesWaiting: Int(clamping: head &- claim),
            capacity: capacity)
    }
}

extension SharedRing {
    /// The sequence number the next published record will get: everything before it has been
    /// published (or reserved by a producer that is about to commit it).
    public var nextPublishedSequence: UInt64 {
        lm_load_acquire_u64(layout.word(.reserveHead))
    }

    /// The sequence number of the next record a consumer will claim.
    public var nextClaimedSequence: UInt64 {
        lm_load_acquire_u64(layout.word(.claimCursor))
    }

    /// The sequence number of the oldest record still unread or claimed: every record before it
    /// was released and is never handed out again, so an inserter's ledger can forget it.
    public var oldestUnreleasedSequence: UInt64 {
        lm_load_acquire_u64(layout.word(.reclaimTail))
    }
}
