/// Which records of a batch still have to be written, and in which runs.
///
/// A batch is a run of consecutive ring positions, but after a crash restart it may skip records
/// that were released meanwhile (stored by another inserter, whose ledger range then lies between
/// two of this batch's records). Each run written gets one ledger range, from its first to its last
/// sequence number, so a run must neither contain a stored record nor span a stored range: a
/// range that overlapped a stored one would be refused by the ledger again and again.
public enum UnstoredRuns {
    /// The runs, as index ranges into `sequences` (ascending), of records not inside any of the
    /// `stored` ranges, split wherever a stored range lies between two neighbours.
    public static func split(_ sequences: [UInt64], stored: [ClosedRange<UInt64>]) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var start: Int?
        for (i, sequence) in sequences.enumerated() {
            let isStored = stored.contains { $0.contains(sequence) }
            let gapHoldsStored = i > 0 && stored.contains { $0.lowerBound > sequences[i - 1] && $0.lowerBound < sequence }
            if let first = start, isStored || gapHoldsStored {
                runs.append(first..<i)
                start = nil
            }
            if !isStored && start == nil { start = i }
        }
        if let first = start { runs.append(first..<sequences.count) }
        return runs
    }
}
