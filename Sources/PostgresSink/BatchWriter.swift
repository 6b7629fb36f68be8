import Glibc
import LineProtocol

/// Writes one batch in one transaction: the ledger row first (so that a second inserter with the
/// same range waits, then backs off), then one COPY per table and column list, each under a
/// savepoint so that rows PostgreSQL rejects are isolated without losing their neighbours (and a
/// table that refuses its COPY with a configuration error, or stays locked, has its rows parked
/// instead), then the rejected rows and lines and the parked rows, then COMMIT.
final class BatchWriter {
    let catalog: Catalog
    private let creator: TableCreator
    /// Nil unless `add_columns`.
    private let adder: ColumnAdder?
    private let ledger: Ledger
    private let rejects: Rejects
    private let parked: Parked
    /// Whether `linemaster_parked` exists: a role without CREATE on the schema cannot make it,
    /// and then a refusing table makes its batch wait in the ring, as before parking existed.
    var parkingAvailable = true
    /// Measurements whose table met a contention error (``ErrorClass/contention``: a lock held,
    /// a deadlock) and has not taken a COPY since: a second such error parks their rows, and
    /// their lock is asked for with NOWAIT, so that a table locked for minutes costs each later
    /// batch one round trip rather than a `lock_timeout`.
    private var contended: Set<String> = []

    /// How `linemaster_rejects` keeps rejected lines: known once connected.
    var rejectsLayout = Rejects.Layout.lineColumns
    /// Every tuple of the batch, reused from batch to batch: kept until COMMIT so that rows can be
    /// sent again when a COPY fails.
    let tuples = ByteBuffer(capacity: 1 << 20)
    let scratch = ByteBuffer(capacity: 1 << 12)
    let copyHeader = ByteBuffer(CopyBinary.header)
    let copyTrailer = ByteBuffer(CopyBinary.trailer)

    init(catalog: Catalog, creator: TableCreator, adder: ColumnAdder?, ledger: Ledger, rejects: Rejects, parked: Parked) {
        self.catalog = catalog
        self.creator = creator
        self.adder = adder
        self.ledger = ledger
        self.rejects = rejects
        self.parked = parked
    }

    /// Where a batch's rows come from, which decides what else its transaction writes.
    enum Origin {
        /// A ring range: its ledger row goes first, and a table that refuses its rows with an
        /// error someone has to fix (``ErrorClass/configuration``), or a contention error met
        /// twice running (``ErrorClass/contention``), has them parked.
        case ring(RingRange)
        /// Rows of `linemaster_parked` (these ids), which got their ledger row when they were
        /// parked: they are deleted in the transaction that stores them, and a table that still
        /// refuses them fails the whole write, so that they stay parked.
        case parked(ids: [String])
    }

    /// Rows of one table that share a column list: one COPY, tuples contiguous in `tuples`.
    struct CopyGroup {
        let shape: TableShape
        let columns: [Int]
        let unplacedKeys: RowEncoder.UnplacedKeys
        /// Whether keys without a column make the batch add columns and try again.
        var growsColumns: Bool
        var rows: [Int]

        init(shape: TableShape, columns: [Int], keys: ColumnAdder.KeyPolicy, rows: [Int]) {
            (self.shape, self.columns, self.rows) = (shape, columns, rows)
            (unplacedKeys, growsColumns) = (keys.unplacedKeys, keys.grows)
        }

        /// Filled while the rows are encoded and sent, parallel to the rows that were encoded.
        var encodedRows: [Int] = []
        var tuples: [Range<Int>] = []
    }

    /// A batch on its way: rows grouped by table and column list, and what became of the others.
    private struct Plan {
        var groups: [CopyGroup] = []
        var rejected: [RejectedRow] = []
        var skipped = 0
        var keysDropped = 0
        /// Why tables received no columns for new keys (``ColumnAdder/Refusal``), for the log.
        var schemaNotices: [String] = []
        /// Tables whose cached definition refused a value: a changed column type could be the cause.
        var suspects: [TableShape] = []
        /// Rows whose table refused them with an error that parks (``parks(_:of:parking:)``).
        var parked: [(measurement: String, rows: [Int], error: ServerError)] = []
    }

    /// Starts a batch's transaction with a durable commit, whatever the server's default. The batch
    /// leaves the ring once COMMIT returns, and under `synchronous_commit = off` (a common tuning
    /// for metrics) COMMIT returns before its WAL is written: a server crash then loses rows that
    /// the ring no longer holds. Only `off` is raised, to `on`: every other value (`local`,
    /// `remote_write`, `on`, `remote_apply`) waits for the local flush already, and a stronger
    /// one, such as waiting for synchronous standbys, must stay.
    ///
    /// A `SET LOCAL` (`set_config(..., true)`) in each transaction rather than a session `SET` at
    /// connect: it travels in BEGIN's own simple-query message, so it costs no round trip; it
    /// holds through a pooler in transaction mode, where a session `SET` stays behind on whichever
    /// server connection ran it; and it reads the setting in force for this very transaction, so a
    /// later `ALTER SYSTEM`, `ALTER ROLE` or `ALTER DATABASE` is followed.
    ///
    /// `SET CONSTRAINTS ALL IMMEDIATE`: a deferred constraint or constraint trigger fires in the
    /// COPY of its row, under the COPY's savepoint, where the row can be isolated and rejected;
    /// at COMMIT nothing can be isolated, and the batch would fail there on every try.
    private static let beginDurable = """
        BEGIN; SET CONSTRAINTS ALL IMMEDIATE; SELECT pg_catalog.set_config('synchronous_commit', 'on', true) \
        WHERE pg_catalog.current_setting('synchronous_commit') = 'off'
        """

    /// Why an attempt was given up, to be made again after a ROLLBACK. Each is given once per
    /// batch, so a batch takes at most three attempts.
    private enum Retry: Error {
        /// A table changed under its cached definition: the catalog is read again.
        case definitionChanged
        /// Rows of these measurements have keys their tables have no column for (`add_columns`):
        /// the columns are added before the next attempt. Found while encoding, so that rows are
        /// matched to columns once per attempt, and an ALTER costs an attempt only when new keys
        /// come.
        case newKeys(Set<[UInt8]>)
    }

    /// Writes the batch: its `rows`, and the `lines` the parser rejected, for the rejects table.
    /// With `isolating`, an error of class ``ErrorClass/unknown`` is treated as the fault of the
    /// rows that meet it alone (they are rejected); without, it fails the batch.
    func write(_ rows: [PointRecordView], lines: [RejectedLineRecordView] = [], origin: Origin, isolating: Bool,
               on connection: Connection) throws(StatementFailure) -> BatchOutcome {
        var refreshed = false, growing: Set<[UInt8]> = []
        while true {
            let tries = Tries(checksDefinitions: !refreshed, findsNewKeys: growing.isEmpty, growing: growing)
            switch try attempt(rows, lines, origin, isolating, on: connection, tries) {
            case .success(let outcome): return outcome
            case .failure(.definitionChanged):
                catalog.invalidate()
                refreshed = true
            case .failure(.newKeys(let measurements)):
                growing = measurements
            }
            if connection.inTransaction { try connection.query("ROLLBACK") }
        }
    }

    /// What an attempt looks for, and which tables it gives new columns before it starts.
    struct Tries {
        let checksDefinitions: Bool
        let findsNewKeys: Bool
        let growing: Set<[UInt8]>
    }

    private func attempt(_ rows: [PointRecordView], _ lines: [RejectedLineRecordView], _ origin: Origin, _ isolating: Bool,
                         on connection: Connection, _ tries: Tries) throws(StatementFailure) -> Result<BatchOutcome, Retry> {
        let parking: Bool
        if case .ring = origin { parking = parkingAvailable } else { parking = false }
        var plan = try prepare(rows, isolating, parking: parking, growing: tries.growing, on: connection)
        try connection.execute(Self.beginDurable)
        switch origin {
        case .ring(let range):
            do throws(StatementFailure) {
                try ledger.record(range, rows: rows.count + lines.count, on: connection)
            } catch .server(let error) where error.sqlstate == Ledger.overlapSQLSTATE {
                try connection.query("ROLLBACK")
                return .success(.duplicate)
            }
        case .parked(let ids):
            guard try parked.claim(ids, on: connection) else {
                try connection.query("ROLLBACK")
                return .success(.duplicate)
            }
        }
        tuples.removeAll()
        var newKeys: Set<[UInt8]> = []
        for i in plan.groups.indices {
            if !tries.findsNewKeys { plan.groups[i].growsColumns = false }
            switch try send(&plan.groups[i], rows, on: connection, firstTry: tries.checksDefinitions, isolating: isolating, parking: parking,
                            rejected: &plan.rejected, suspects: &plan.suspects, keysDropped: &plan.keysDropped) {
            case .written: break
            case .writtenWithNewKeys: newKeys.insert(Array(rows[plan.groups[i].rows[0]].measurement))
            case .definitionChanged: return .failure(.definitionChanged)
            case .refused(let error):
                let group = plan.groups[i]
                let name = Rejects.measurementText(rows[group.rows[0]])
                if let k = plan.parked.firstIndex(where: { $0.measurement == name && $0.error == error }) {
                    plan.parked[k].rows += group.encodedRows
                } else {
                    plan.parked.append((name, group.encodedRows, error))
                }
            }
        }
        if tries.checksDefinitions, try anyChanged(plan.suspects, on: connection) { return .failure(.definitionChanged) }
        if !newKeys.isEmpty { return .failure(.newKeys(newKeys)) }
        try rejects.store(plan.rejected, on: connection)
        try rejects.store(lines, layout: rejectsLayout, on: connection)
        for entry in plan.parked where !entry.rows.isEmpty {
            try parked.store(rows, entry.rows, measurement: entry.measurement, error: entry.error, on: connection)
        }
        try connection.query("COMMIT")
        let parkedRows = plan.parked.filter { !$0.rows.isEmpty }.map {
            ParkedRows(measurement: $0.measurement, count: $0.rows.count, sqlstate: $0.error.sqlstate, message: $0.error.message)
        }
        let inserted = rows.count - plan.rejected.count - plan.skipped - parkedRows.reduce(0) { $0 + $1.count }
        return .success(BatchOutcome(inserted: inserted, rejected: plan.rejected, skipped: plan.skipped, alreadyCommitted: false,
                                     parked: parkedRows, keysDropped: plan.keysDropped, schemaNotices: plan.schemaNotices))
    }

    /// Whether a table's definition differs from the cached one (or the table is gone).
    private func anyChanged(_ shapes: [TableShape], on connection: Connection) throws(StatementFailure) -> Bool {
        for shape in shapes where try catalog.load(oid: shape.oid, on: connection) != shape { return true }
        return false
    }

    /// Whether `error` rejects the rows it concerns rather than failing the batch (ErrorClass).
    /// A unique violation while a table is created is another session's CREATE of the same name
    /// (pg_type's index; linemaster's own inserters serialize on an advisory lock, others do
    /// not): no row's fault, and the next try finds the table.
    static let concurrentCreate = "23505"

    static func rejectsRows(_ error: ServerError, isolating: Bool) -> Bool {
        switch ErrorClass(error.sqlstate) {
        case .data: return true
        case .unknown: return isolating
        case .transient, .configuration, .contention: return false
        }
    }

    /// Whether a table's error parks its rows (when `parking`): a configuration error always; a
    /// contention error when the table met one before and has taken no COPY since. A first
    /// contention error only marks the table, and the batch fails, to be tried again.
    func parks(_ error: ServerError, of measurement: String, parking: Bool) -> Bool {
        switch ErrorClass(error.sqlstate) {
        case .configuration: return parking
        case .contention: return !contended.insert(measurement).inserted && parking
        case .transient, .data, .unknown: return false
        }
    }

    /// `LOCK ... NOWAIT` before the COPY of a table marked contended; nil for any other.
    func lockFirst(_ shape: TableShape, of measurement: @autoclosure () -> String) -> String? {
        guard !contended.isEmpty, contended.contains(measurement()) else { return nil }
        return "LOCK TABLE \(shape.qualifiedName) IN ROW EXCLUSIVE MODE NOWAIT"
    }

    /// A COPY into the measurement's table succeeded: whatever held it is gone.
    func copied(_ measurement: @autoclosure () -> String) {
        if !contended.isEmpty { contended.remove(measurement()) }
    }

    func describe(_ row: PointRecordView, _ sqlstate: String, _ message: String) -> RejectedRow {
        Rejects.describe(row, sqlstate: sqlstate, message: message, scratch: scratch)
    }
}

// MARK: - Resolving tables and grouping rows

extension BatchWriter {
    /// Groups rows by measurement and finds (or creates) their tables, outside the batch transaction.
    private func prepare(_ rows: [PointRecordView], _ isolating: Bool, parking: Bool, growing: Set<[UInt8]>,
                         on connection: Connection) throws(StatementFailure) -> Plan {
        var plan = Plan()
        for (measurement, members) in groupByMeasurement(rows) {
            switch try resolve(measurement, rows: { members.map { rows[$0] } }, isolating, parking: parking,
                               grows: growing.contains(measurement), on: connection) {
            case .success(.table(let shape, let keys, let notice)):
                plan.groups += copyGroups(members, of: rows, into: shape, keys: keys)
                if let notice { plan.schemaNotices.append(notice) }
            case .success(.missing):
                plan.skipped += members.count
            case .failure(.reject(let error)):
                plan.rejected += members.map { describe(rows[$0], error.sqlstate, error.message) }
            case .failure(.park(let error)):
                plan.parked.append((Rejects.measurementText(rows[members[0]]), members, error))
            }
        }
        return plan
    }

    /// Where a measurement's rows go.
    private enum Resolved {
        /// Into this table; keys without a column as `keys` says; `notice` says why the table
        /// was refused new columns, the first time it was.
        case table(TableShape, keys: ColumnAdder.KeyPolicy, notice: String?)
        /// Nowhere: no table, and none is created (`create_tables = "skip"`).
        case missing
    }

    /// Why a measurement's table could not be resolved, and what becomes of its rows.
    private enum Unresolved: Error {
        case reject(ServerError)
        case park(ServerError)
    }

    /// Rows by measurement, in order of first appearance. Consecutive rows of one measurement (the
    /// usual case) cost a byte comparison, not a hash.
    private func groupByMeasurement(_ rows: [PointRecordView]) -> [(measurement: [UInt8], rows: [Int])] {
        var groups: [(measurement: [UInt8], rows: [Int])] = []
        var index: [[UInt8]: Int] = [:]
        var current = -1
        for (i, row) in rows.enumerated() {
            let name = row.measurement
            if current < 0 || !sameBytes(name, groups[current].measurement) {
                let key = Array(name)
                current = index[key] ?? groups.count
                if current == groups.count {
                    index[key] = current
                    groups.append((key, []))
                }
            }
            groups[current].rows.append(i)
        }
        return groups
    }

    /// The table for a measurement, from the cache or the catalog, created if missing, and, when
    /// `grows` (an attempt before found keys it has no column for), given columns for them. A data error here (a name PostgreSQL cannot hold),
    /// or an unknown one while isolating (a `_create` function that raised), rejects the rows; a
    /// configuration error (a CREATE the role may not run, a `_create` missing), or a contention
    /// error met twice (``parks(_:of:parking:)``), parks them when `parking`; any other fails the
    /// batch (a read-only standby waits).
    private func resolve(
        _ measurement: [UInt8], rows: () -> [PointRecordView], _ isolating: Bool, parking: Bool, grows: Bool, on connection: Connection
    ) throws(StatementFailure) -> Result<Resolved, Unresolved> {
        guard isStorableName(measurement) else {
            return .failure(.reject(ServerError(sqlstate: "22021", message: "a table name cannot hold a NUL byte")))
        }
        let name = fittedName(measurement)
        do throws(StatementFailure) {
            let entry: Catalog.Entry
            if let cached = catalog.entry(for: measurement) {
                entry = cached
            } else {
                var shape = try catalog.load(table: name, on: connection)
                if shape == nil { shape = try creator.create(name, for: rows(), on: connection) }
                entry = shape.map { .table($0) } ?? .missing
                catalog.remember(entry, for: measurement)
            }
            guard case .table(let shape) = entry else { return .success(.missing) }
            guard let adder else { return .success(.table(shape, keys: .fixed, notice: nil)) }
            guard grows else { return .success(.table(shape, keys: adder.policy(for: shape), notice: nil)) }
            switch try adder.grow(shape, named: name, for: rows(), on: connection) {
            case .success(let grown):
                if let grown { catalog.remember(.table(grown), for: measurement) }
                return .success(.table(grown ?? shape, keys: adder.policy(for: grown ?? shape), notice: nil))
            case .failure(.full): return .success(.table(shape, keys: adder.policy(for: shape), notice: nil))
            case .failure(.refused(let error)):
                return .success(.table(shape, keys: adder.policy(for: shape),
                                       notice: "cannot add columns to \(shape.qualifiedName): \(error.message) (SQLSTATE \(error.sqlstate))"))
            }
        } catch .server(let error) {
            if Self.rejectsRows(error, isolating: isolating) && error.sqlstate != Self.concurrentCreate { return .failure(.reject(error)) }
            if parks(error, of: String(decoding: measurement, as: UTF8.self), parking: parking) { return .failure(.park(error)) }
            throw .server(error)
        }
    }

    /// One COPY group per set of defaulted columns the rows fill (usually just one).
    private func copyGroups(_ members: [Int], of rows: [PointRecordView], into shape: TableShape,
                            keys: ColumnAdder.KeyPolicy) -> [CopyGroup] {
        guard shape.keyColumns.contains(where: \.hasDefault) else {
            return [CopyGroup(shape: shape, columns: shape.copyColumns(filling: 0), keys: keys, rows: members)]
        }
        var bySet: [(filled: UInt64, rows: [Int])] = []
        var placing = TableShape.Placing(shape)
        for i in members {
            let filled = shape.filledDefaultColumns(rows[i], placing: &placing)
            if let k = bySet.firstIndex(where: { $0.filled == filled }) { bySet[k].rows.append(i) } else { bySet.append((filled, [i])) }
        }
        return bySet.map { CopyGroup(shape: shape, columns: shape.copyColumns(filling: $0.filled), keys: keys, rows: $0.rows) }
    }
}
