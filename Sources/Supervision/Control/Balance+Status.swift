import Metrics

extension Balance {
    /// The line `linemaster status` shows.
    var text: String {
        "balance: received \(received) = stored \(stored) + lines rejected \(linesRejected) + rows rejected \(rowsRejected)"
            + " + dropped \(rowsDropped) + skipped \(rowsSkipped) + parked \(rowsParked) + in the ring \(inFlight): "
            + (addsUp ? "adds up" : "does not add up (the ring holds \(ringRecords) records)")
    }

    /// The `balance` object of `status --json`.
    var json: JSONValue {
        .object(JSONObject([
            ("received", .number(Double(received))), ("stored", .number(Double(stored))),
            ("lines_rejected", .number(Double(linesRejected))), ("rows_rejected", .number(Double(rowsRejected))),
            ("rows_dropped", .number(Double(rowsDropped))), ("rows_skipped", .number(Double(rowsSkipped))),
            ("rows_parked", .number(Double(rowsParked))), ("in_ring", .number(Double(inFlight))), ("adds_up", .bool(addsUp)),
        ]))
    }
}
