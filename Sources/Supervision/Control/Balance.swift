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

    init(_ report: StatusReport) {
        // Any inserter may store rows another one parked: subtracted from the sum.
        var parked: UInt64 = 0, parkedStored: UInt64 = 0
        for w in report.workers {
            guard let c = report.ring?.workerCounters[w.statSlot]?.values else { continue }
            func v(_ counter: WorkerCounter) -> UInt64 { c[counter.index] }
            switch StatusReport.role(flags: w.flags) {
            case .receiver:
                received += v(.rowsParsed) + v(.linesRejected)
                linesRejected += v(.linesRejected)
                rowsDropped += v(.rowsDropped)
            case .inserter:
                stored += v(.rowsInserted)
                rowsRejected += v(.rowsRejected)
                rowsSkipped += v(.rowsSkipped)
                parked += v(.rowsParked)
                parkedStored += v(.parkedRowsStored)
            case .other: break
            }
        }
        rowsParked = parked - min(parked, parkedStored)
        ringRecords = report.ring.map { $0.counters.rowsIn - min($0.counters.rowsIn, $0.counters.rowsOut) } ?? 0
    }

    var text: String {
        "balance: received \(received) = stored \(stored) + lines rejected \(linesRejected) + rows rejected \(rowsRejected)"
            + " + dropped \(rowsDropped) + skipped \(rowsSkipped) + parked \(rowsParked) + in the ring \(inFlight): "
            + (addsUp ? "adds up" : "does not add up (the ring holds \(ringRecords) records)")
    }

    var json: JSONValue {
        .object(JSONObject([
            ("received", .number(Double(received))), ("stored", .number(Double(stored))),
            ("lines_rejected", .number(Double(linesRejected))), ("rows_rejected", .number(Double(rowsRejected))),
            ("rows_dropped", .number(Double(rowsDropped))), ("rows_skipped", .number(Double(rowsSkipped))),
            ("rows_parked", .number(Double(rowsParked))), ("in_ring", .number(Double(inFlight))), ("adds_up", .bool(addsUp)),
        ]))
    }
}
