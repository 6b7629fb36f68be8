import SharedRing

/// Where every line that reached linemaster went, summed over the workers: received =
/// stored + lines rejected + rows rejected + rows dropped + rows skipped + rows parked + rows
/// still in the ring or in an inserter's hands.
///
/// The last term is what is left; it adds up when that is between 0 and the records the ring
/// holds (rows and kept rejected lines), so exactly once the ring is empty.
public struct Balance: Sendable, Equatable {
    public var received: UInt64 = 0
    public var stored: UInt64 = 0
    public var linesRejected: UInt64 = 0
    public var rowsRejected: UInt64 = 0
    public var rowsDropped: UInt64 = 0
    public var rowsSkipped: UInt64 = 0
    /// Parked and not stored yet.
    public var rowsParked: UInt64 = 0
    /// Records in the ring (published, not released).
    public var ringRecords: UInt64 = 0

    /// Received less every end a line has reached; negative when more ended than arrived.
    public var inFlight: Int64 {
        Int64(received) - Int64(stored + linesRejected + rowsRejected + rowsDropped + rowsSkipped + rowsParked)
    }

    public var addsUp: Bool { inFlight >= 0 && UInt64(inFlight) <= ringRecords }

    /// Sums the counters of `snapshot`'s workers by their roles.
    public init(_ snapshot: MetricsSnapshot) {
        // Any inserter may store rows another one parked: subtracted from the sum.
        var parked: UInt64 = 0, parkedEnded: UInt64 = 0
        for w in snapshot.workers {
            guard let c = snapshot.counters(of: w) else { continue }
            switch MetricsSnapshot.role(of: w) {
            case .receiver:
                received += c[.rowsParsed] + c[.linesRejected]
                linesRejected += c[.linesRejected]
                rowsDropped += c[.rowsDropped]
            case .inserter:
                stored += c[.rowsInserted]
                rowsRejected += c[.rowsRejected]
                rowsSkipped += c[.rowsSkipped]
                parked += c[.rowsParked]
                parkedEnded += c[.parkedRowsStored] + c[.parkedRowsRejected]
            case .other: break
            }
        }
        rowsParked = parked - min(parked, parkedEnded)
        ringRecords = snapshot.ring?.records ?? 0
    }
}
