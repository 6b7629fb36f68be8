/// A range of ring sequence numbers: what one batch consumed.
public struct RingRange: Sendable, Hashable, CustomStringConvertible {
    /// The ring's epoch: sequence numbers start again in a new epoch.
    public var epoch: UInt64
    public var firstSeq: UInt64
    /// Inclusive.
    public var lastSeq: UInt64

    public init(epoch: UInt64, firstSeq: UInt64, lastSeq: UInt64) {
        self.epoch = epoch
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
    }

    public var description: String { "epoch \(epoch) seq \(firstSeq)...\(lastSeq)" }
}

/// The ledger, `SCHEMA.linemaster_ledger`: one row per committed batch, written in the batch's own
/// transaction, so that a range is in the ledger exactly when its rows are in their tables.
///
/// An exclusion constraint forbids two overlapping ranges of one epoch. Two inserters that write
/// the same range at once therefore serialize on it: the second waits for the first to commit and
/// then fails with SQLSTATE 23P01, which the sink reports as ``BatchOutcome/alreadyCommitted``.
/// The constraint works on one numeric range `epoch * 2^64 + seq`, which gist indexes without the
/// btree_gist extension.
struct Ledger {
    static let tableName = "linemaster_ledger"
    static let overlapSQLSTATE = "23P01"
    let qualifiedName: String

    init(schema: String) {
        qualifiedName = quoteIdentifier(schema) + "." + quoteIdentifier(Self.tableName)
    }

    /// The expression the constraint indexes; queries repeat it so that they use the index.
    private static func span(_ epoch: String, _ first: String, _ last: String) -> String {
        "numrange(\(epoch)::numeric * 18446744073709551616 + \(first), \(epoch)::numeric * 18446744073709551616 + \(last), '[]')"
    }
    private static let rowSpan = span("epoch", "first_seq", "last_seq")

    var createStatement: String {
        """
        CREATE TABLE IF NOT EXISTS \(qualifiedName) (
            epoch bigint NOT NULL CHECK (epoch >= 0),
            first_seq bigint NOT NULL CHECK (first_seq >= 0),
            last_seq bigint NOT NULL,
            rows integer NOT NULL,
            committed_at timestamptz NOT NULL DEFAULT now(),
            CHECK (first_seq <= last_seq),
            EXCLUDE USING gist ((\(Self.rowSpan)) WITH &&)
        )
        """
    }

    /// Records `range` in the caller's transaction. Throws 23P01 when a committed (or concurrently
    /// committing) batch overlaps it.
    func record(_ range: RingRange, rows: Int, on connection: Connection) throws(StatementFailure) {
        try connection.query(
            "INSERT INTO \(qualifiedName) (epoch, first_seq, last_seq, rows) VALUES ($1, $2, $3, $4)",
            [String(range.epoch), String(range.firstSeq), String(range.lastSeq), String(rows)])
    }

    /// Deletes the ranges of `epoch` that end before `seq` (other epochs may be other rings').
    func forget(epoch: UInt64, before seq: UInt64, on connection: Connection) throws(StatementFailure) {
        try connection.query(
            "DELETE FROM \(qualifiedName) WHERE epoch = $1 AND last_seq < $2",
            [String(epoch), String(seq)])
    }

    /// The committed ranges that overlap `range`, in order.
    func committedRanges(overlapping range: RingRange, on connection: Connection) throws(StatementFailure) -> [ClosedRange<UInt64>] {
        let rows = try connection.query("""
            SELECT first_seq, last_seq FROM \(qualifiedName)
            WHERE \(Self.rowSpan) && \(Self.span("$1::bigint", "$2::bigint", "$3::bigint"))
            ORDER BY first_seq
            """, [String(range.epoch), String(range.firstSeq), String(range.lastSeq)])
        return rows.compactMap { row in
            guard let first = row[0].flatMap({ UInt64($0) }), let last = row[1].flatMap({ UInt64($0) }) else { return nil }
            return first...last
        }
    }
}
