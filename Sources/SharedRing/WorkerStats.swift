import CPlatform

/// One of a worker's statistics counters. A slot has ``WorkerCounter/count`` of them; what each
/// means is up to the kind of worker (listeners, the HTTP worker and inserters use the names
/// below, ``BatchWriteHistogram`` and ``HTTPRequestCounters``).
public struct WorkerCounter: Hashable, Sendable {
    /// How many counters a slot has: they fill it after its first 64 bytes.
    public static let count = (SegmentLayout.statsSlotSize - 64) / 8

    /// 0 ..< ``count``.
    public let index: Int

    public init(index: Int) {
        precondition((0 ..< Self.count).contains(index), "worker counter index \(index) is not in 0..<\(Self.count)")
        self.index = index
    }

    /// Listener: datagrams (or requests) received.
    public static let messagesReceived = WorkerCounter(index: 0)
    /// Listener: lines parsed into points.
    public static let rowsParsed = WorkerCounter(index: 1)
    /// Listener: lines that could not be parsed.
    public static let linesRejected = WorkerCounter(index: 2)
    /// Listener: points published into the ring.
    public static let rowsPublished = WorkerCounter(index: 3)
    /// Listener: points dropped because the ring was full.
    public static let rowsDropped = WorkerCounter(index: 4)
    /// Inserter: batches written to PostgreSQL.
    public static let batchesWritten = WorkerCounter(index: 5)
    /// Inserter: rows written to PostgreSQL.
    public static let rowsInserted = WorkerCounter(index: 6)
    /// Inserter: rows PostgreSQL refused (kept in the rejects table).
    public static let rowsRejected = WorkerCounter(index: 7)
    /// Listener: lines that could not be parsed and were published for the rejects table.
    public static let rejectedLinesKept = WorkerCounter(index: 8)
    /// Listener: lines that could not be parsed and were only counted (over the rate limit, or
    /// the ring too full).
    public static let rejectedLinesNotKept = WorkerCounter(index: 9)
    /// Inserter: rows its batches parked in `linemaster_parked` (their table refused them).
    public static let rowsParked = WorkerCounter(index: 10)
    /// Inserter: parked rows it stored in their table later (any inserter's; also in ``rowsInserted``).
    public static let parkedRowsStored = WorkerCounter(index: 11)
    /// Inserter: rows of measurements without a table while `create_tables = "skip"`.
    public static let rowsSkipped = WorkerCounter(index: 12)
    /// Listener: bytes of line protocol received (datagrams, or request bodies after decompression).
    public static let bytesReceived = WorkerCounter(index: 13)
    /// Inserter: of ``rowsRejected``, rows a value of which the column's type refused (SQLSTATE class 22).
    public static let rowsRejectedConversion = WorkerCounter(index: 14)
    /// Inserter: of ``rowsRejected``, rows a constraint refused (SQLSTATE class 23: not null, check, no partition).
    public static let rowsRejectedConstraint = WorkerCounter(index: 15)
    /// Inserter: tag or field keys of stored rows that found no column (and no `_tags` or
    /// `_fields` column to hold them): the row was stored without them.
    public static let keysDropped = WorkerCounter(index: 16)
    /// Inserter: of ``rowsRejectedConstraint``, rows no partition of their table exists for
    /// (SQLSTATE 23514, "no partition of relation ...").
    public static let rowsRejectedNoPartition = WorkerCounter(index: 17)
    /// Inserter, not a counter: what its last attempt to write found (``DatabaseState``).
    public static let databaseState = WorkerCounter(index: 18)
    /// Inserter: parked rows a retry rejected or skipped instead of storing them (also in
    /// ``rowsRejected`` or ``rowsSkipped``), so that they are no longer counted as parked.
    public static let parkedRowsRejected = WorkerCounter(index: 19)
}

/// What an inserter's last attempt to write found, in ``WorkerCounter/databaseState``.
public enum DatabaseState: UInt64, Sendable {
    /// It has not tried yet.
    case unknown = 0
    /// PostgreSQL answered (a commit, or an error about the rows or a table).
    case reached = 1
    /// No connection, or an error that makes every batch wait (SQLSTATE class 08, 53, 57P0x).
    case unavailable = 2
}

/// Inserter: how long each batch's transaction took, BEGIN to COMMIT, as a Prometheus histogram:
/// a count per bucket (not cumulative: one addition per batch) and the sum in nanoseconds.
public enum BatchWriteHistogram {
    /// The buckets' upper bounds in seconds; a last bucket takes the rest (`+Inf`).
    public static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// The sum of the durations, in nanoseconds.
    public static let sum = WorkerCounter(index: 32)

    /// Bucket `i` in 0 ... ``bounds``.count (the last is `+Inf`).
    public static func bucket(_ i: Int) -> WorkerCounter { WorkerCounter(index: 33 + i) }

    /// Counts one batch that took `duration`.
    public static func record(_ duration: Duration, in slot: WorkerStatsSlot) {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = max(0, seconds) * 1_000_000_000 + max(0, attoseconds) / 1_000_000_000
        let i = bounds.firstIndex { Double(nanoseconds) <= $0 * 1e9 } ?? bounds.count
        slot.add(1, to: bucket(i))
        slot.add(UInt64(nanoseconds), to: sum)
    }
}

/// HTTP worker: its answers, by endpoint and status code. Both lists are bounded (what the worker
/// serves, what it answers), so that the labels of `linemaster_http_requests_total` are too.
public enum HTTPRequestCounters {
    /// The endpoints as labels; anything else (an unknown path, a connection refused before its
    /// first request) is `other`, the last.
    public static let endpoints = ["/write", "/api/v2/write", "/ping", "/health", "/ready", "/query", "/metrics", "other"]
    /// The codes the worker answers; any other (none today) counts as the last, `0`.
    public static let codes = [200, 204, 400, 401, 404, 405, 408, 413, 415, 429, 500, 503, 0]

    /// The counter of answers `code` to requests for `endpoint` (indices into the lists above).
    public static func counter(endpoint: Int, code: Int) -> WorkerCounter {
        WorkerCounter(index: 48 + endpoint * codes.count + code)
    }

    /// Counts one answer with HTTP status `status` on `endpoint` (a label of ``endpoints``).
    public static func count(status: Int, endpoint: String, in slot: WorkerStatsSlot) {
        let e = endpoints.firstIndex(of: endpoint) ?? endpoints.count - 1
        let c = codes.firstIndex(of: status) ?? codes.count - 1
        slot.add(1, to: counter(endpoint: e, code: c))
    }
}

/// A worker's statistics slot in the segment: pid, name and counters, read by `linemaster status`.
///
/// The supervisor ``assign(pid:name:)``s a slot before it starts a worker (each instance keeps
/// its slot, and its counters, across restarts) and passes the index in
/// the environment variable ``environmentVariable``; the worker only ever calls ``add(_:to:)``
/// (``set(_:_:)`` for a word that holds a state).
/// Writes are plain atomics: a slot has one writer at a time, and a reader may see a counter a
/// moment old, never a torn one.
///
/// ```
/// +0   pid      UInt64  (0: free)
/// +8   name     32 bytes, UTF-8, zero-padded
/// +64  counters 248 x UInt64 (their own cache lines, away from what the supervisor writes):
///        0-19 ``WorkerCounter``'s (up to 31 free for more), 32-46 ``BatchWriteHistogram``,
///        48-151 ``HTTPRequestCounters``
/// ```
public struct WorkerStatsSlot: @unchecked Sendable {
    /// The environment variable that carries a worker's slot index.
    public static let environmentVariable = "LINEMASTER_STAT_SLOT"
    /// How many slots a segment has.
    public static let slotCount = SegmentLayout.statsSlotCount
    /// The longest name kept, in bytes.
    public static let maxNameLength = 32

    /// 0 ..< ``slotCount``.
    public let index: Int
    let ring: SharedRing
    private var base: UnsafeMutableRawPointer { ring.layout.statsSlot(index) }
    private var pidWord: UnsafeMutablePointer<UInt64> { base.assumingMemoryBound(to: UInt64.self) }
    private func counterWord(_ counter: WorkerCounter) -> UnsafeMutablePointer<UInt64> {
        (base + 64 + counter.index * 8).assumingMemoryBound(to: UInt64.self)
    }

    /// Gives the slot to a worker process: sets its pid, and its name. A slot that already
    /// carries that name keeps its counters, so that an instance's counters add up over its
    /// restarts and crash restarts and never go backwards (as Prometheus counters must not)
    /// for as long as the segment lives; a slot given to another name starts from zero.
    public func assign(pid: Int32, name: String) {
        lm_store_release_u64(pidWord, 0)
        var kept = Array(name.utf8.prefix(Self.maxNameLength))
        kept += repeatElement(0, count: Self.maxNameLength - kept.count)
        let nameBytes = UnsafeMutableRawBufferPointer(start: base + 8, count: Self.maxNameLength)
        if !nameBytes.elementsEqual(kept) {
            nameBytes.copyBytes(from: kept)
            for i in 0 ..< WorkerCounter.count { lm_store_relaxed_u64(counterWord(WorkerCounter(index: i)), 0) }
        }
        lm_store_release_u64(pidWord, UInt64(UInt32(bitPattern: pid)))
    }

    /// Marks the slot free (its worker is gone for good); the counters stay readable until reuse.
    public func clear() { lm_store_release_u64(pidWord, 0) }

    /// The worker's pid, or nil for a free slot.
    public var pid: Int32? {
        let word = lm_load_acquire_u64(pidWord)
        return word == 0 ? nil : Int32(bitPattern: UInt32(truncatingIfNeeded: word))
    }

    /// The name given at ``assign(pid:name:)``.
    public var name: String {
        let bytes = UnsafeRawBufferPointer(start: base + 8, count: Self.maxNameLength)
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Adds `amount` to a counter.
    @inline(__always)
    public func add(_ amount: UInt64 = 1, to counter: WorkerCounter) {
        _ = lm_fetch_add_relaxed_u64(counterWord(counter), amount)
    }

    /// Sets a word of the slot that holds a state rather than a count (``WorkerCounter/databaseState``).
    public func set(_ value: UInt64, _ counter: WorkerCounter) {
        lm_store_relaxed_u64(counterWord(counter), value)
    }

    /// The current value of a counter.
    public func value(of counter: WorkerCounter) -> UInt64 { lm_load_relaxed_u64(counterWord(counter)) }

    /// All counters, in index order.
    public var values: [UInt64] { (0 ..< WorkerCounter.count).map { value(of: WorkerCounter(index: $0)) } }
}

extension SharedRing {
    /// The statistics slot `index` (0 ..< ``WorkerStatsSlot/slotCount``).
    public func workerStats(slot index: Int) -> WorkerStatsSlot {
        precondition((0 ..< WorkerStatsSlot.slotCount).contains(index), "stats slot \(index) is not in 0..<\(WorkerStatsSlot.slotCount)")
        return WorkerStatsSlot(index: index, ring: self)
    }
}
