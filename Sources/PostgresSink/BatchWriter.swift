import Glibc
import LineProtocol

/// Writes one batch in one transaction: the ledger row first (so that a second inserter with the
/// same range waits, then backs off), then one COPY per table and column list, each under a
/// savepoint so that rows PostgreSQL rejects are isolated without losing their neighbours, then
/// the rejects, then COMMIT.
final class BatchWriter {
    let catalog: Catalog
    private let creator: TableCreator
    private let ledger: Ledger
    private let rejects: Rejects
    /// Every tuple of the batch, reused from batch to batch.
    private let tuples = ByteBuffer(capacity: 1 << 20)
    private let scratch = ByteBuffer(capacity: 1 << 12)
    private let header = ByteBuffer(CopyBinary.header)
    private let trailer = ByteBuffer(CopyBinary.trailer)

    init(catalog: Catalog, creator: TableCreator, ledger: Ledger, rejects: Rejects) {
        self.catalog = catalog
        self.creator = creator
        self.ledger = ledger
        self.rejects = rejects
    }

    /// Rows of one table that share a column list: one COPY, tuples contiguous in `tuples`.
    private struct CopyGroup {
        let statement: String
        let shape: TableShape
        var rows: [Int] = []
        var tuples: [Range<Int>] = []
    }

    /// An encoded batch, ready to send.
    private struct Plan {
        var groups: [CopyGroup] = []
        var rejected: [RejectedRow] = []
        var skipped = 0
        /// Tables whose cached definition refused a value: a changed column type could be the cause.
        var suspects: [TableShape] = []
    }

    /// A table changed under its cached definition: roll back, refresh the catalog, try once more.
    private struct DefinitionChanged: Error {}

    /// SQLSTATEs that say a cached table definition is stale: undefined column, undefined table,
    /// datatype mismatch, and binary data that does not fit (a column's type changed): invalid
    /// binary representation, or the protocol violation "insufficient data left in message".
    private static let definitionChanges: Set<String> = ["42703", "42P01", "42804", "22P03", "08P01"]

    func write(_ rows: [PointRecordView], range: RingRange, on connection: Connection) throws(StatementFailure) -> BatchOutcome {
        if case .success(let outcome) = try attempt(rows, range, on: connection, firstTry: true) { return outcome }
        if connection.inTransaction { try connection.query("ROLLBACK") }
        catalog.invalidate()
        switch try attempt(rows, range, on: connection, firstTry: false) {
        case .success(let outcome): return outcome
        case .failure: preconditionFailure("a second try does not look for definition changes")
        }
    }

    private func attempt(_ rows: [PointRecordView], _ range: RingRange, on connection: Connection, firstTry: Bool) throws(StatementFailure) -> Result<BatchOutcome, DefinitionChanged> {
        var plan = try prepare(rows, on: connection)
        if firstTry, try anyChanged(plan.suspects, on: connection) { return .failure(DefinitionChanged()) }
        try connection.query("BEGIN")
        do throws(StatementFailure) {
            try ledger.record(range, rows: rows.count, on: connection)
        } catch .server(let error) where error.sqlstate == Ledger.overlapSQLSTATE {
            try connection.query("ROLLBACK")
            return .success(.duplicate)
        }
        for group in plan.groups {
            let written = try isolate(group, 0..<group.rows.count, rows, on: connection, top: true, firstTry: firstTry, into: &plan.rejected)
            if !written { return .failure(DefinitionChanged()) }
        }
        try rejects.store(plan.rejected, on: connection)
        try connection.query("COMMIT")
        let inserted = rows.count - plan.rejected.count - plan.skipped
        return .success(BatchOutcome(inserted: inserted, rejected: plan.rejected, skipped: plan.skipped, alreadyCommitted: false))
    }

    /// Whether a table's definition differs from the cached one (or the table is gone).
    private func anyChanged(_ shapes: [TableShape], on connection: Connection) throws(StatementFailure) -> Bool {
        for shape in shapes where try catalog.load(oid: shape.oid, on: connection) != shape { return true }
        return false
    }
}

// MARK: - Resolving tables and encoding rows

extension BatchWriter {
    /// Groups rows by measurement, finds (or creates) their tables outside the batch transaction,
    /// and encodes every row; values a column cannot take are rejected here, before any COPY.
    private func prepare(_ rows: [PointRecordView], on connection: Connection) throws(StatementFailure) -> Plan {
        tuples.removeAll()
        var plan = Plan()
        for (measurement, members) in groupByMeasurement(rows) {
            switch try resolve(measurement, keysFrom: { members.map { rows[$0] } }, on: connection) {
            case .success(.table(let shape)):
                encode(members, of: rows, into: shape, plan: &plan)
            case .success(.missing):
                plan.skipped += members.count
            case .failure(let error):
                plan.rejected += members.map { describe(rows[$0], error.sqlstate, error.message) }
            }
        }
        return plan
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

    /// The table for a measurement, from the cache or the catalog, created if missing. A server
    /// error here that waiting would not cure (a `_create` function that raised, a name PostgreSQL
    /// cannot hold) rejects the rows; a transient one (a read-only standby) fails the batch.
    private func resolve(
        _ measurement: [UInt8], keysFrom rows: () -> [PointRecordView], on connection: Connection
    ) throws(StatementFailure) -> Result<Catalog.Entry, ServerError> {
        if let entry = catalog.entry(for: measurement) { return .success(entry) }
        guard isStorableName(measurement) else {
            return .failure(ServerError(sqlstate: "22021", message: "a table name cannot hold a NUL byte"))
        }
        let name = identifierName(measurement)
        do throws(StatementFailure) {
            var shape = try catalog.load(table: name, on: connection)
            if shape == nil { shape = try creator.create(name, for: rows(), on: connection) }
            let entry: Catalog.Entry = shape.map { .table($0) } ?? .missing
            catalog.remember(entry, for: measurement)
            return .success(entry)
        } catch .server(let error) where ErrorClass(error.sqlstate) != .transient {
            return .failure(error)
        }
    }

    /// One COPY group per set of defaulted columns the rows fill (usually just one).
    private func encode(_ members: [Int], of rows: [PointRecordView], into shape: TableShape, plan: inout Plan) {
        var bySet: [(filled: UInt64, rows: [Int])] = []
        if shape.keyColumns.contains(where: \.hasDefault) {
            for i in members {
                let filled = shape.filledDefaultColumns(rows[i])
                if let k = bySet.firstIndex(where: { $0.filled == filled }) { bySet[k].rows.append(i) } else { bySet.append((filled, [i])) }
            }
        } else {
            bySet = [(0, members)]
        }
        for (filled, members) in bySet {
            var encoder = RowEncoder(shape: shape, columns: shape.copyColumns(filling: filled))
            var group = CopyGroup(statement: encoder.copyStatement, shape: shape)
            group.rows.reserveCapacity(members.count)
            group.tuples.reserveCapacity(members.count)
            for i in members {
                let start = tuples.count
                do {
                    try encoder.encode(rows[i], into: tuples)
                    group.rows.append(i)
                    group.tuples.append(start..<tuples.count)
                } catch {
                    plan.rejected.append(describe(rows[i], error.sqlstate, error.message))
                    if plan.suspects.last != shape { plan.suspects.append(shape) }
                }
            }
            if !group.rows.isEmpty { plan.groups.append(group) }
        }
    }

    private func describe(_ row: PointRecordView, _ sqlstate: String, _ message: String) -> RejectedRow {
        Rejects.describe(row, sqlstate: sqlstate, message: message, scratch: scratch)
    }
}

private func sameBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: [UInt8]) -> Bool {
    a.count == b.count && (a.count == 0 || b.withUnsafeBufferPointer { memcmp(a.baseAddress!, $0.baseAddress!, a.count) == 0 })
}

// MARK: - COPY with isolation of rejected rows

extension BatchWriter {
    private static let savepoint = "linemaster_copy"

    /// COPYs `slice` of the group. When PostgreSQL rejects it for a row's sake (data exception,
    /// integrity violation, an error raised by a trigger), the row at fault goes to the rejects and
    /// the others are copied again: the error's context names the row ("COPY m, line 7"), so the
    /// rows before it go in one COPY and the rest are tried again; without a line number, the slice
    /// is bisected until the rows at fault stand alone. Bounded: O(k) COPYs for k bad rows with
    /// line numbers, O(k log n) without. Returns false when the table changed under the cached
    /// definition and the batch must be tried again.
    private func isolate(
        _ group: CopyGroup, _ slice: Range<Int>, _ rows: [PointRecordView],
        on connection: Connection, top: Bool, firstTry: Bool, into rejected: inout [RejectedRow]
    ) throws(StatementFailure) -> Bool {
        var remaining = slice
        var checkDefinition = firstTry && top
        while !remaining.isEmpty {
            let error: ServerError
            do throws(StatementFailure) {
                try copy(group, remaining, on: connection)
                return true
            } catch .server(let e) {
                error = e
            }
            if checkDefinition {
                if Self.definitionChanges.contains(error.sqlstate) { return false }
                if try catalog.load(oid: group.shape.oid, on: connection) != group.shape { return false }
                checkDefinition = false
            }
            let reject = { (i: Int) in self.describe(rows[group.rows[i]], error.sqlstate, error.message) }
            switch ErrorClass(error.sqlstate) {
            case .transient:
                throw .server(error)
            case .row where remaining.count > 1:
                guard let line = error.copyLine, line >= 1, line <= remaining.count else {
                    let middle = remaining.lowerBound + remaining.count / 2
                    _ = try isolate(group, remaining.lowerBound..<middle, rows, on: connection, top: false, firstTry: firstTry, into: &rejected)
                    _ = try isolate(group, middle..<remaining.upperBound, rows, on: connection, top: false, firstTry: firstTry, into: &rejected)
                    return true
                }
                let bad = remaining.lowerBound + line - 1
                if bad > remaining.lowerBound {
                    _ = try isolate(group, remaining.lowerBound..<bad, rows, on: connection, top: false, firstTry: firstTry, into: &rejected)
                }
                rejected.append(reject(bad))
                remaining = bad + 1..<remaining.upperBound
            case .row, .table:
                rejected += remaining.map(reject)
                return true
            }
        }
        return true
    }

    /// One COPY under a savepoint, so that its failure leaves the transaction usable.
    private func copy(_ group: CopyGroup, _ slice: Range<Int>, on connection: Connection) throws(StatementFailure) {
        let data = tuples.bytes(group.tuples[slice.lowerBound].lowerBound..<group.tuples[slice.upperBound - 1].upperBound)
        try connection.query("SAVEPOINT \(Self.savepoint)")
        do throws(StatementFailure) {
            try connection.copyIn(group.statement, [header.bytes(0..<header.count), data, trailer.bytes(0..<trailer.count)])
        } catch .server(let error) {
            try connection.query("ROLLBACK TO SAVEPOINT \(Self.savepoint)")
            try connection.query("RELEASE SAVEPOINT \(Self.savepoint)")
            throw .server(error)
        }
        try connection.query("RELEASE SAVEPOINT \(Self.savepoint)")
    }
}

/// What an error on a COPY says about its rows.
private enum ErrorClass {
    /// Some row is at fault: data exception (22), integrity constraint (23), PL/pgSQL raise (P0).
    case row
    /// Worth retrying later with the same rows: read-only transaction (a standby), serialization,
    /// deadlock, resources, lock, cancel, system or internal errors. The batch is not committed.
    case transient
    /// Anything else (privileges, a definition still wrong after a refresh): the rows go to the
    /// rejects table as a whole rather than blocking every later batch.
    case table

    init(_ sqlstate: String) {
        switch sqlstate.prefix(2) {
        case "22", "23", "P0": self = .row
        case "25", "40", "53", "55", "57", "58", "XX": self = .transient
        default: self = .table
        }
    }
}
