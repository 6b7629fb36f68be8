import Inserter
import Testing

@Suite struct UnstoredRunsOfABatch {
    @Test func aBatchWithNothingStoredIsOneRun() {
        #expect(UnstoredRuns.split([10, 20, 30], stored: []) == [0..<3])
    }

    @Test func storedRecordsAreLeftOutAndSplitTheRest() {
        #expect(UnstoredRuns.split([10, 20, 30, 40, 50], stored: [20...30]) == [0..<1, 3..<5])
    }

    @Test func aStoredRangeBetweenTwoRecordsSplitsTheRun() {
        // Records 200...299 were stored and released by another inserter before a crash restart;
        // a run from 150 to 300 would overlap their ledger range and be refused for ever.
        #expect(UnstoredRuns.split([100, 150, 300, 350], stored: [200...299]) == [0..<2, 2..<4])
    }

    @Test func aWhollyStoredBatchHasNoRuns() {
        #expect(UnstoredRuns.split([10, 20], stored: [0...100]).isEmpty)
    }
}
