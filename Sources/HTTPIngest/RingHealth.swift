import SharedRing

/// Whether the pipeline behind the HTTP worker can take writes, judged from the ring alone:
/// full, or not drained (the database away) for longer than the stall limit.
///
/// The ring's release position is what moves when inserters commit; watching it needs no
/// connection to the database and sees every inserter at once.
struct RingHealth {
    let stallLimit: Duration
    private var lastReleased: UInt64?
    /// When the release position last moved, or rows began to wait (it cannot move without them).
    private var lastMove: ContinuousClock.Instant?
    private var wasWaiting = false

    /// Above this share of the ring in use, health reports it full (a write may still fit).
    static let fullShare = 0.9

    init(stallLimit: Duration) { self.stallLimit = stallLimit }

    /// Nil when writes can be taken, else why not, in words for the client and the log.
    mutating func problem(of ring: SharedRing, now: ContinuousClock.Instant) -> String? {
        let released = ring.oldestUnreleasedSequence
        let waiting = ring.nextPublishedSequence > released
        if released != lastReleased || !waiting || !wasWaiting || lastMove == nil {
            lastReleased = released
            lastMove = now
        }
        wasWaiting = waiting
        let counters = ring.counters
        if Double(counters.bytesUsed) > Self.fullShare * Double(counters.capacity) { return "the ring is full" }
        if let lastMove, now - lastMove > stallLimit {
            return "no row has been stored for \(now - lastMove): the database is away or refuses every batch"
        }
        return nil
    }
}
