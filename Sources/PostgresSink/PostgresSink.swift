import LineProtocol

/// Everything an inserter needs to write rows into PostgreSQL exactly once.
///
/// One sink per inserter process, used from one thread. Each ``write(_:range:)`` is one
/// transaction that holds the rows and a ledger entry for their ring range, so that after a crash
/// a range handed out again is recognised (``isCommitted(epoch:firstSeq:lastSeq:)``, or the
/// ``BatchOutcome/alreadyCommitted`` outcome) instead of written twice.
///
/// The sink connects on first use and again after the connection broke: a call that throws
/// ``SinkError/connectionLost(_:)`` committed nothing, and the same call later (after a backoff)
/// reconnects.
public final class PostgresSink {
    public let settings: SinkSettings
    /// Counters since the sink was made.
    public private(set) var stats = SinkStats()

    private var connection: Connection?
    private let catalog: Catalog
    private let ledger: Ledger
    private let rejects: Rejects
    private let parked: Parked
    private let writer: BatchWriter
    private let adder: ColumnAdder?

    /// Does not connect yet: see ``connect()``.
    public init(settings: SinkSettings) {
        self.settings = settings
        catalog = Catalog(schema: settings.schema)
        ledger = Ledger(schema: settings.schema)
        rejects = Rejects(schema: settings.schema)
        parked = Parked(schema: settings.schema)
        adder = settings.addColumns ? ColumnAdder(catalog: catalog, maxColumns: settings.maxColumns, templates: settings.templates) : nil
        writer = BatchWriter(
            catalog: catalog, creator: TableCreator(mode: settings.createTables, templates: settings.templates, catalog: catalog), adder: adder,
            ledger: ledger, rejects: rejects, parked: parked)
    }

    /// Where the sink is connected, without the password (`host=... port=... dbname=... user=...`);
    /// nil while not connected.
    public var connectionSummary: String? { connection?.summary }

    /// Connects unless connected, sets the session's `lock_timeout` (and, on Citus, its connection
    /// cache) unless already set (``SessionSettings``), checks the schema, and creates the ledger
    /// and the rejects table if they are missing. Every other call does this first.
    public func connect() throws(SinkError) {
        _ = try ready()
    }

    /// Writes `rows` (read from the ring range `range`) in one transaction. Rows PostgreSQL or the
    /// sink's checks refuse go to the rejects table; the rest commit. Throws only when nothing was
    /// committed: keep the rows in the ring and call again later with the same range; the error's
    /// ``SinkError/errorClass`` says how (see ``ErrorClass``).
    ///
    /// An error of class ``ErrorClass/unknown`` fails the batch, unless `isolatingUnknownErrors`:
    /// then it is taken as the fault of the rows that meet it on their own, which are rejected with
    /// it, and the others are stored. Pass it once a batch has failed ``ErrorClass/unknownRetries``
    /// times.
    ///
    /// A table that refuses its COPY (or its lookup or creation) with an error someone has to fix
    /// (``ErrorClass/configuration``: a privilege, a missing function), or with a contention
    /// error (``ErrorClass/contention``: a lock held, a deadlock) for the second time running,
    /// does not fail the batch: its rows go to `linemaster_parked` in the same transaction
    /// (``BatchOutcome/parked``), so that the batch's ring range can be released, and are stored
    /// later by ``retryParked(measurement:limit:)``. The first contention error of a table fails
    /// the batch: call again.
    ///
    /// `lines`, the lines of the range that the parser rejected, are kept in the rejects table in
    /// the same transaction.
    public func write(_ rows: [PointRecordView], lines: [RejectedLineRecordView] = [], range: RingRange,
                      isolatingUnknownErrors: Bool = false) throws(SinkError) -> BatchOutcome {
        try check(range)
        let outcome = try run { connection throws(StatementFailure) in
            try writer.write(rows, lines: lines, origin: .ring(range), isolating: isolatingUnknownErrors, on: connection)
        }
        if outcome.alreadyCommitted {
            stats.duplicateBatches += 1
        } else {
            count(outcome)
        }
        return outcome
    }

    private func count(_ outcome: BatchOutcome) {
        stats.batches += 1
        stats.rowsInserted += outcome.inserted
        stats.rejects += outcome.rejected.count
        stats.rowsSkipped += outcome.skipped
        stats.keysDropped += outcome.keysDropped
    }

    /// The measurements with rows in `linemaster_parked`, how many, and the latest cause.
    public func parkedRows() throws(SinkError) -> [ParkedRows] {
        try run { connection throws(StatementFailure) in writer.parkingAvailable ? try parked.summary(on: connection) : [] }
    }

    /// Tries to store up to `limit` of `measurement`'s parked rows (oldest first) in their
    /// table, in one transaction that also deletes them from `linemaster_parked`: stored once,
    /// or left parked. Rows that fail on their own with a data or unknown error are rejected, as
    /// in a batch that has been retried (they waited long enough). Throws when the table still
    /// refuses them (nothing changes); returns ``BatchOutcome/alreadyCommitted`` when another
    /// inserter is retrying them at the same time, and an empty outcome when none are parked.
    public func retryParked(measurement: String, limit: Int) throws(SinkError) -> BatchOutcome {
        let outcome = try run { connection throws(StatementFailure) -> BatchOutcome in
            let (ids, records) = try parked.fetch(measurement: measurement, limit: limit, on: connection)
            guard !ids.isEmpty else { return BatchOutcome(inserted: 0, rejected: [], skipped: 0, alreadyCommitted: false) }
            return try withViews(records) { rows throws(StatementFailure) in
                try writer.write(rows, origin: .parked(ids: ids), isolating: true, on: connection)
            }
        }
        if !outcome.alreadyCommitted { count(outcome) }
        return outcome
    }

    /// Whether a committed batch covers any of `firstSeq...lastSeq` in `epoch`. The ledger never
    /// holds overlapping ranges, so a batch handed out again after a crash is either wholly
    /// committed or not at all.
    public func isCommitted(epoch: UInt64, firstSeq: UInt64, lastSeq: UInt64) throws(SinkError) -> Bool {
        try !committedRanges(epoch: epoch, from: firstSeq, through: lastSeq).isEmpty
    }

    /// The committed ranges of `epoch` that overlap `from...through`, in order: what recovery
    /// needs to release claimed ranges that reached PostgreSQL before a crash.
    public func committedRanges(epoch: UInt64, from firstSeq: UInt64, through lastSeq: UInt64 = UInt64(Int64.max)) throws(SinkError) -> [ClosedRange<UInt64>] {
        let range = RingRange(epoch: epoch, firstSeq: firstSeq, lastSeq: lastSeq)
        try check(range)
        return try run { connection throws(StatementFailure) in
            try ledger.committedRanges(overlapping: range, on: connection)
        }
    }

    /// Deletes the ledger entries of `epoch` that end before `seq`, which no crash can ask about
    /// any more. Call it with the ring's oldest sequence number still claimed or unread, so that
    /// the ledger does not grow without end. Other epochs are left alone: epochs are random, and
    /// another ring (another linemaster writing into the same schema) may still need its entries.
    public func forgetCommittedRanges(epoch: UInt64, before seq: UInt64) throws(SinkError) {
        try check(RingRange(epoch: epoch, firstSeq: seq, lastSeq: seq))
        try run { connection throws(StatementFailure) in
            try ledger.forget(epoch: epoch, before: seq, on: connection)
        }
    }

    /// Forgets every cached table definition (SIGHUP); they are read again on next use.
    public func invalidateCatalog() {
        catalog.invalidate()
        adder?.invalidate()
    }

    /// Runs `body` on a ready connection; maps failures to ``SinkError`` and drops a broken connection.
    private func run<T>(_ body: (Connection) throws(StatementFailure) -> T) throws(SinkError) -> T {
        let connection = try ready()
        do {
            return try body(connection)
        } catch {
            if case .server = error { endTransaction(on: connection) }
            throw record(failure(error, connection))
        }
    }

    /// Rolls back the transaction a refused statement left open, now rather than at the next call:
    /// the caller may back off for seconds before that, and the transaction would hold its locks
    /// and its uncommitted ledger row (which a batch with an overlapping range waits for) or, when
    /// aborted, show as `idle in transaction (aborted)`. A connection that cannot even roll back is
    /// dropped, so that the next call starts on a fresh one.
    private func endTransaction(on connection: Connection) {
        guard connection.inTransaction else { return }
        do throws(StatementFailure) {
            try connection.query("ROLLBACK")
        } catch {
            self.connection = nil
        }
    }

    private func ready() throws(SinkError) -> Connection {
        if let connection, connection.isUsable { return connection }
        connection = nil
        let fresh: Connection, schemaExists: Bool
        do throws(StatementFailure) {
            fresh = try Connection(conninfo: settings.conninfo)
            try SessionSettings.apply(on: fresh)
            schemaExists = try prepareSchema(on: fresh)
        } catch {
            throw record(failure(error, nil))
        }
        guard schemaExists else {
            throw record(.misconfigured(
                "schema \(quoteIdentifier(settings.schema)) does not exist (\(fresh.summary)): create it or set [database] schema"))
        }
        connection = fresh
        return fresh
    }

    /// Creates the ledger, the rejects and the parked table unless they exist, and upgrades a
    /// rejects table older than rejected lines (``Rejects/upgrade(on:)``); false if the schema is missing.
    /// Existing tables are not created again, so that a role without CREATE on the schema works
    /// once an administrator has made them. The parked table is optional: a role that cannot
    /// create it (an installation older than parking, set up by an administrator) keeps working,
    /// without parking (``parkingAvailable``).
    private func prepareSchema(on connection: Connection) throws(StatementFailure) -> Bool {
        let found = try connection.query("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", [settings.schema])
        guard !found.isEmpty else { return false }
        writer.parkingAvailable = try connection.serialized(on: "linemaster tables in \(settings.schema)") { () throws(StatementFailure) in
            for (table, create) in [(ledger.qualifiedName, ledger.createStatement), (rejects.qualifiedName, rejects.createStatement)] {
                if try !exists(table, on: connection) { try connection.execute(create) }
            }
            writer.rejectsLayout = try rejects.upgrade(on: connection)
            guard try !exists(parked.qualifiedName, on: connection) else { return true }
            try connection.query("SAVEPOINT linemaster_parked")
            do throws(StatementFailure) {
                try connection.execute(parked.createStatement)
                try connection.query("RELEASE SAVEPOINT linemaster_parked")
                return true
            } catch .server(let error) where ErrorClass(error.sqlstate) == .configuration {
                try connection.query("ROLLBACK TO SAVEPOINT linemaster_parked")
                return false
            }
        }
        return true
    }

    private func exists(_ table: String, on connection: Connection) throws(StatementFailure) -> Bool {
        try connection.query("SELECT to_regclass($1)", [table]).first?.first != .some(nil)
    }

    /// Whether rows a table refuses can be parked: false when `linemaster_parked` is missing and
    /// this role may not create it. Known once connected.
    public var parkingAvailable: Bool { writer.parkingAvailable }

    private func failure(_ error: StatementFailure, _ connection: Connection?) -> SinkError {
        switch error {
        case .connection(let message):
            self.connection = nil
            return .connectionLost(connection.map { "\($0.summary): \(message)" } ?? message)
        case .server(let error):
            return .server(error)
        }
    }

    private func record(_ error: SinkError) -> SinkError {
        stats.lastError = error.description
        return error
    }

    private func check(_ range: RingRange) throws(SinkError) {
        let limit = UInt64(Int64.max)
        guard range.firstSeq <= range.lastSeq, range.lastSeq <= limit, range.epoch <= limit else {
            throw record(.misconfigured("ring range \(range) is empty or beyond the ledger's bigint columns"))
        }
    }
}

/// Views over records that a caller holds as arrays (each checked to read as a point already),
/// valid for the call.
private func withViews<T>(_ records: [[UInt8]], _ body: ([PointRecordView]) throws(StatementFailure) -> T) throws(StatementFailure) -> T {
    var all = [UInt8]()
    var bounds: [Range<Int>] = []
    for record in records {
        bounds.append(all.count..<all.count + record.count)
        all += record
    }
    let result = all.withUnsafeBytes { buffer -> Result<T, StatementFailure> in
        let views = bounds.map { try! PointRecordView(UnsafeRawBufferPointer(rebasing: buffer[$0])) }
        do throws(StatementFailure) { return .success(try body(views)) } catch { return .failure(error) }
    }
    return try result.get()
}
