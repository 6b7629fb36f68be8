/// What became of a batch the sink committed (or found committed already).
public struct BatchOutcome: Sendable, Equatable {
    /// Rows now in their tables.
    public var inserted: Int
    /// Rows kept in `linemaster_rejects` instead, with the reason.
    public var rejected: [RejectedRow]
    /// Rows of measurements that have no table while `create_tables = "skip"`.
    public var skipped: Int
    /// The ledger already held this range (a batch handed out again after a crash): nothing was
    /// written, and the range can be released.
    public var alreadyCommitted: Bool
    /// Rows kept in `linemaster_parked` because their table refused them with an error someone
    /// has to fix (``ErrorClass/configuration``) or stayed locked (``ErrorClass/contention``),
    /// per measurement and error; retried from there (``PostgresSink/retryParked(measurement:limit:)``).
    public var parked: [ParkedRows] = []
    /// Tag and field keys of stored rows that found no column and no `_tags`/`_fields` column
    /// (the row is stored without them).
    public var keysDropped = 0
    /// Why tables could not be given columns for new keys (a privilege), each reported once: for the log.
    public var schemaNotices: [String] = []

    static let duplicate = BatchOutcome(inserted: 0, rejected: [], skipped: 0, alreadyCommitted: true)
}
