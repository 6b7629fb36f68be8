import LineProtocol

/// COPY of a group's rows: encoded and streamed in one pass, so that the server parses while the
/// sink encodes; when the server refuses rows, the ones at fault are isolated and the others sent
/// again from the encoded tuples.
extension BatchWriter {
    private static let savepoint = "linemaster_copy"
    /// Encoded rows are sent in chunks of about this size.
    private static let chunkSize = 1 << 16

    /// SQLSTATEs that say a cached table definition is stale: undefined column, undefined table,
    /// datatype mismatch, and binary data that does not fit (a column's type changed): invalid
    /// binary representation, or the protocol violation "insufficient data left in message".
    private static let definitionChanges: Set<String> = ["42703", "42P01", "42804", "22P03", "08P01"]

    /// Encodes and COPYs the group under a savepoint (a table marked contended is locked with
    /// NOWAIT first). Values a column cannot take are rejected while encoding and never sent.
    /// Every row is encoded even when the COPY fails early (say, on a lock timeout), so that
    /// isolation and retries have all of them. Returns `.definitionChanged` when the table changed
    /// under the cached definition and the batch must be tried again, and `.refused` when the
    /// table refused the COPY with an error that parks its rows (``parks(_:of:parking:)``): the
    /// savepoint is rolled back, and the group's encoded rows are to be parked.
    func send(
        _ group: inout CopyGroup, _ rows: [PointRecordView], on connection: Connection, firstTry: Bool,
        isolating: Bool, parking: Bool, rejected: inout [RejectedRow], suspects: inout [TableShape], keysDropped: inout Int
    ) throws(StatementFailure) -> Sent {
        var encoder = RowEncoder(shape: group.shape, columns: group.columns, unplacedKeys: group.unplacedKeys, findsNewKeys: group.growsColumns)
        defer { keysDropped += encoder.keysDropped }
        let first = rows[group.rows[0]]
        let measurement = { String(decoding: first.measurement, as: UTF8.self) }
        try connection.query("SAVEPOINT \(Self.savepoint)")
        var failure = try serverError { () throws(StatementFailure) in
            if let lock = lockFirst(group.shape, of: measurement()) { try connection.query(lock) }
            try connection.beginCopy(encoder.copyStatement)
            try connection.putCopyData(copyHeader.bytes(0..<copyHeader.count))
        }
        var sent = tuples.count
        for i in group.rows {
            let start = tuples.count
            do throws(ConversionError) {
                try encoder.encode(rows[i], into: tuples)
                group.encodedRows.append(i)
                group.tuples.append(start..<tuples.count)
            } catch {
                rejected.append(describe(rows[i], error.sqlstate, error.message))
                if suspects.last != group.shape { suspects.append(group.shape) }
            }
            if failure == nil && tuples.count - sent >= Self.chunkSize {
                try connection.putCopyData(tuples.bytes(sent..<tuples.count))
                sent = tuples.count
            }
        }
        if failure == nil {
            failure = try serverError { () throws(StatementFailure) in
                try connection.putCopyData(tuples.bytes(sent..<tuples.count))
                try connection.putCopyData(copyTrailer.bytes(0..<copyTrailer.count))
                try connection.endCopy()
            }
        }
        guard let failure else {
            try connection.query("RELEASE SAVEPOINT \(Self.savepoint)")
            copied(measurement())
            return encoder.sawNewKey ? .writtenWithNewKeys : .written
        }
        try rollbackToSavepoint(on: connection)
        if firstTry, try definitionChanged(group.shape, failure, on: connection) { return .definitionChanged }
        if parks(failure, of: measurement(), parking: parking) { return .refused(failure) }
        try isolate(group, 0..<group.tuples.count, rows, after: failure, isolating: isolating, on: connection, into: &rejected)
        return .written
    }

    /// What became of a group's COPY.
    enum Sent {
        /// Its rows are stored or rejected.
        case written
        /// Likewise, but some had keys the table has no column for, and it may have them
        /// (``CopyGroup/growsColumns``): the batch is tried again once they are added.
        case writtenWithNewKeys
        /// The table differs from the cached definition: the batch is tried again.
        case definitionChanged
        /// The table refused it with an error that parks: its rows are to be parked.
        case refused(ServerError)
    }

    /// Runs `body`; returns the server's refusal instead of throwing it. Connection failures still throw.
    private func serverError(_ body: () throws(StatementFailure) -> Void) throws(StatementFailure) -> ServerError? {
        do {
            try body()
            return nil
        } catch .server(let error) {
            return error
        }
    }

    /// After a COPY of `slice` failed with `error`: the row at fault goes to the rejects and the
    /// others are copied again. The error's context names the row ("COPY m, line 7"), so the rows
    /// before it go in one COPY and the rest are tried again (a data error's row is rejected at
    /// once, any other's only if it fails alone); without a line number (an internal
    /// error, Citus's XX000 from a worker), the slice is bisected until the rows at fault stand
    /// alone. Bounded: O(k) COPYs for k bad rows with line numbers, O(k log n) without. An error
    /// that is no row's fault (ErrorClass) fails the batch instead, at whatever depth it comes.
    private func isolate(
        _ group: CopyGroup, _ slice: Range<Int>, _ rows: [PointRecordView], after firstError: ServerError,
        isolating: Bool, on connection: Connection, into rejected: inout [RejectedRow]
    ) throws(StatementFailure) {
        var remaining = slice
        var error = firstError
        while !remaining.isEmpty {
            guard Self.rejectsRows(error, isolating: isolating) else { throw .server(error) }
            let reject = { (i: Int) in self.describe(rows[group.encodedRows[i]], error.sqlstate, error.message) }
            guard remaining.count > 1 else {
                rejected.append(reject(remaining.lowerBound))
                return
            }
            guard let line = error.copyLine, line >= 1, line <= remaining.count else {
                let middle = remaining.lowerBound + remaining.count / 2
                try copyIsolating(group, remaining.lowerBound..<middle, rows, isolating: isolating, on: connection, into: &rejected)
                try copyIsolating(group, middle..<remaining.upperBound, rows, isolating: isolating, on: connection, into: &rejected)
                return
            }
            let bad = remaining.lowerBound + line - 1
            try copyIsolating(group, remaining.lowerBound..<bad, rows, isolating: isolating, on: connection, into: &rejected)
            if ErrorClass(error.sqlstate) == .data {
                rejected.append(reject(bad))
            } else {
                // Any other error names the line it happened at, which need not be the row's fault
                // (a cancel arrives at whichever row COPY is on): that row is rejected only if it
                // fails alone.
                try copyIsolating(group, bad..<bad + 1, rows, isolating: isolating, on: connection, into: &rejected)
            }
            remaining = bad + 1..<remaining.upperBound
            guard let next = try copy(group, remaining, on: connection) else { return }
            error = next
        }
    }

    /// COPYs `slice`, isolating the rows at fault if the server refuses it.
    private func copyIsolating(
        _ group: CopyGroup, _ slice: Range<Int>, _ rows: [PointRecordView], isolating: Bool,
        on connection: Connection, into rejected: inout [RejectedRow]
    ) throws(StatementFailure) {
        guard let error = try copy(group, slice, on: connection) else { return }
        try isolate(group, slice, rows, after: error, isolating: isolating, on: connection, into: &rejected)
    }

    /// Sends encoded tuples again in one COPY under a savepoint; returns the server's refusal, if any.
    private func copy(_ group: CopyGroup, _ slice: Range<Int>, on connection: Connection) throws(StatementFailure) -> ServerError? {
        guard !slice.isEmpty else { return nil }
        let data = tuples.bytes(group.tuples[slice.lowerBound].lowerBound..<group.tuples[slice.upperBound - 1].upperBound)
        try connection.query("SAVEPOINT \(Self.savepoint)")
        let failure = try serverError { () throws(StatementFailure) in
            try connection.beginCopy(RowEncoder(shape: group.shape, columns: group.columns).copyStatement)
            try connection.putCopyData(copyHeader.bytes(0..<copyHeader.count))
            try connection.putCopyData(data)
            try connection.putCopyData(copyTrailer.bytes(0..<copyTrailer.count))
            try connection.endCopy()
        }
        if failure == nil {
            try connection.query("RELEASE SAVEPOINT \(Self.savepoint)")
        } else {
            try rollbackToSavepoint(on: connection)
        }
        return failure
    }

    private func rollbackToSavepoint(on connection: Connection) throws(StatementFailure) {
        try connection.query("ROLLBACK TO SAVEPOINT \(Self.savepoint)")
        try connection.query("RELEASE SAVEPOINT \(Self.savepoint)")
    }

    /// Whether `error` or the catalog says the table is no longer what the cache holds.
    private func definitionChanged(_ shape: TableShape, _ error: ServerError, on connection: Connection) throws(StatementFailure) -> Bool {
        if Self.definitionChanges.contains(error.sqlstate) { return true }
        return try catalog.load(oid: shape.oid, on: connection) != shape
    }
}
