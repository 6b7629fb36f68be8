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

    static let duplicate = BatchOutcome(inserted: 0, rejected: [], skipped: 0, alreadyCommitted: true)
}
