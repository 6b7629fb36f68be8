import LineProtocol
import SharedRing
import Synchronization

/// Where a rejected line came from, as the rejects table's `source` column says it.
public struct RejectSource: Sendable {
    /// `udp`, `http`.
    public var transport: String
    /// The address the line was received on, e.g. `127.0.0.1:8089`.
    public var local: String
    /// The sender's address, when known.
    public var peer: String?

    public init(transport: String, local: String, peer: String? = nil) {
        self.transport = transport
        self.local = local
        self.peer = peer
    }

    /// `udp://127.0.0.1:8089 from 10.0.0.7:41234 (listener 1)`.
    func text(worker: String) -> String {
        "\(transport)://\(local)" + (peer.map { " from \($0)" } ?? "") + " (\(worker))"
    }
}

/// What every receiving worker does with line protocol it could not parse: each rejected line
/// goes into the ring as a ``RejectedLineRecord``, which an inserter stores in the rejects table
/// exactly once, like rows; within a limit, so that a flood of garbage cannot crowd out rows or
/// the database. Every line is counted in the worker's statistics slot as kept
/// (``WorkerCounter/rejectedLinesKept``) or not (``WorkerCounter/rejectedLinesNotKept``), and
/// logged without flooding the log.
///
/// The limit, per worker: a token bucket of ``linesPerSecond`` tokens a second and a burst of
/// ``burstLines``, a line costing one token per started 4 KiB. A client sending a whole batch of
/// bad lines (Telegraf sends 1,000 metrics per write) has them all kept; a flood keeps 100 short
/// lines a second, which costs an inserter about one INSERT per 10 ms and the ring at most
/// 400 KiB a second. A line is also not kept while the ring is more than half full: a rejected
/// line never takes room a row could have.
///
/// One keeper per worker process; its threads may share it (the limit and the log are behind a lock).
public final class RejectKeeper: Sendable {
    /// Tokens (short lines) a second.
    public static let linesPerSecond = 100.0
    /// Tokens the bucket holds: the burst kept whole.
    public static let burstLines = 1_000.0
    /// The bytes of a line one token pays for.
    static let bytesPerToken = 4_096
    static let limitText = "more than \(Int(linesPerSecond)) lines/s, or the ring half full"

    private let ring: SharedRing
    private let stats: WorkerStatsSlot?
    private let worker: String
    private let log: @Sendable (String) -> Void
    private let limit = Mutex((bucket: TokenBucket(rate: RejectKeeper.linesPerSecond, burst: RejectKeeper.burstLines), log: RejectLog()))

    /// A keeper for the worker named `worker` (its name in `status`), publishing into `ring`,
    /// counting into `stats`, and logging with `log`.
    public init(ring: SharedRing, stats: WorkerStatsSlot?, worker: String, log: @escaping @Sendable (String) -> Void) {
        self.ring = ring
        self.stats = stats
        self.worker = worker
        self.log = log
    }

    /// Keeps the line `error` rejected in `input` (the bytes given to the parser), received at
    /// `receivedAt` (nanoseconds since the Unix epoch) from `source`, if the limit allows it.
    /// Returns whether it was published into the ring.
    /// `source` is looked at only for a line that is kept or logged: in a flood, most are neither.
    @discardableResult
    public func keep(_ error: LineProtocolError, in input: UnsafeRawBufferPointer, receivedAt: Int64,
                     from source: @autoclosure () -> RejectSource, now: ContinuousClock.Instant = .now) -> Bool {
        let entry = error.entry.clamped(to: 0..<input.count)
        let line = UnsafeRawBufferPointer(rebasing: input[entry])
        var origin: String?
        func described() -> String {
            if let origin { return origin }
            let text = source().text(worker: worker)
            origin = text
            return text
        }
        let kept = admits(line, now: now) && publish(line, reason: error.reasonInEntry, receivedAt: receivedAt, source: described())
        stats?.add(to: kept ? .rejectedLinesKept : .rejectedLinesNotKept)
        let message = limit.withLock { $0.log.note("\(error.reasonInEntry) from \(described())", kept: kept, now: now) }
        if let message { log(message) }
        return kept
    }

    /// Logs the summary of the lines rejected since the last log line, when it is due; call it
    /// now and then (once a second), so that the last of a burst is not left unsaid.
    public func flushLog(now: ContinuousClock.Instant = .now) {
        if let message = limit.withLock({ $0.log.flush(now: now) }) { log(message) }
    }

    private func admits(_ line: UnsafeRawBufferPointer, now: ContinuousClock.Instant) -> Bool {
        let cost = max(1, (min(line.count, RejectedLineRecord.maxLineLength) + Self.bytesPerToken - 1) / Self.bytesPerToken)
        let counters = ring.counters
        return counters.bytesUsed <= counters.capacity / 2 && limit.withLock { $0.bucket.take(Double(cost), now: now) }
    }

    private func publish(_ line: UnsafeRawBufferPointer, reason: String, receivedAt: Int64, source: String) -> Bool {
        let size = RejectedLineRecord.encodedSize(line: line, reason: reason, source: source)
        let result = ring.tryPublish(byteCount: size) { record in
            RejectedLineRecord.encode(time: receivedAt, line: line, reason: reason, source: source, into: record.baseAddress!)
        }
        if case .published = result { return true }
        return false
    }
}
