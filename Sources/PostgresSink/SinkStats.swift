/// Counters for `linemaster status` and the process title.
public struct SinkStats: Sendable, Equatable {
    public var rowsInserted = 0
    public var batches = 0
    public var rejects = 0
    public var rowsSkipped = 0
    /// Keys of stored rows that found no column and no JSON column.
    public var keysDropped = 0
    /// Batches found in the ledger already and not written again.
    public var duplicateBatches = 0
    /// The last error a call threw, for the status display.
    public var lastError: String?
}
