import Dispatch
import PostgresSink
import Synchronization
import Testing

/// Exactly once: a batch records its ring range in the ledger in its own transaction.
@Suite struct LedgerTests {
    let db: TestDatabase
    init() throws { db = try TestDatabase() }

    @Test func aRangeWrittenAgainIsNotWrittenTwice() throws {
        let sink = db.sink()
        let batch = Batch("cpu x=1i 1\ncpu x=2i 2")
        let first = try batch.write(to: sink, epoch: 3, firstSeq: 10)
        let again = try batch.write(to: sink, epoch: 3, firstSeq: 10)
        #expect(!first.alreadyCommitted && first.inserted == 2)
        #expect(again.alreadyCommitted && again.inserted == 0)
        #expect(try db.column("SELECT count(*) FROM $schema.cpu") == ["2"])
        #expect(sink.stats.duplicateBatches == 1 && sink.stats.batches == 1)
    }

    @Test func aRangeOverlappingACommittedOneIsNotWritten() throws {
        let sink = db.sink()
        _ = try Batch("cpu x=1i 1\ncpu x=2i 2").write(to: sink, epoch: 1, firstSeq: 10)
        let overlapping = try Batch("cpu x=2i 2\ncpu x=3i 3").write(to: sink, epoch: 1, firstSeq: 11)
        #expect(overlapping.alreadyCommitted)
        #expect(try Batch("cpu x=2i 2").write(to: sink, epoch: 2, firstSeq: 11).inserted == 1)
    }

    @Test func isCommittedAnswersForCommittedRangesOnly() throws {
        let sink = db.sink()
        _ = try Batch("cpu x=1i 1\ncpu x=2i 2\ncpu x=3i 3").write(to: sink, epoch: 7, firstSeq: 100)
        #expect(try sink.isCommitted(epoch: 7, firstSeq: 100, lastSeq: 102))
        #expect(try !sink.isCommitted(epoch: 7, firstSeq: 103, lastSeq: 110))
        #expect(try !sink.isCommitted(epoch: 8, firstSeq: 100, lastSeq: 102))
    }

    @Test func committedRangesListsWhatRecoveryMustRelease() throws {
        let sink = db.sink()
        let inserter = Inserter(sink)
        try inserter.write("cpu x=1i 1\ncpu x=2i 2")  // seq 1...2
        try inserter.write("cpu x=3i 3")  // seq 3
        try inserter.write("cpu x=4i 4\ncpu x=5i 5")  // seq 4...5
        #expect(try sink.committedRanges(epoch: 1, from: 2) == [1...2, 3...3, 4...5])
        #expect(try sink.committedRanges(epoch: 1, from: 4) == [4...5])
        #expect(try sink.committedRanges(epoch: 1, from: 6) == [])
    }

    @Test func forgottenRangesLeaveTheLedgerButNotTheTablesNorOtherRings() throws {
        let sink = db.sink()
        _ = try Batch("cpu x=1i 1").write(to: sink, epoch: 1, firstSeq: 5)
        _ = try Batch("cpu x=2i 2").write(to: sink, epoch: 2, firstSeq: 1)
        _ = try Batch("cpu x=3i 3").write(to: sink, epoch: 2, firstSeq: 2)
        try sink.forgetCommittedRanges(epoch: 2, before: 2)
        #expect(try db.query("SELECT epoch, first_seq FROM $schema.linemaster_ledger ORDER BY epoch") == [["1", "5"], ["2", "2"]])
        #expect(try db.column("SELECT count(*) FROM $schema.cpu") == ["3"])
    }

    @Test func twoInsertersWithTheSameRangeCommitItOnce() throws {
        try db.execute("CREATE TABLE $schema.cpu (_time timestamptz, _fields jsonb)")
        let settings = db.settings()
        let outcomes = Mutex<[Bool]>([])
        let failures = Mutex<[String]>([])
        for round in UInt64(0)..<5 {
            DispatchQueue.concurrentPerform(iterations: 2) { _ in
                do {
                    let outcome = try Batch("cpu x=1i 1\ncpu x=2i 2").write(to: PostgresSink(settings: settings), epoch: 1, firstSeq: round * 2)
                    outcomes.withLock { $0.append(outcome.alreadyCommitted) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(outcomes.withLock { $0.filter { $0 }.count } == 5)
        #expect(try db.column("SELECT count(*) FROM $schema.cpu") == ["10"])
    }

    @Test func aBatchThatFailsCommitsNeitherRowsNorLedgerEntry() throws {
        try db.execute("CREATE TABLE $schema.cpu (_time timestamptz, _fields jsonb)")
        let sink = PostgresSink(settings: SinkSettings(conninfo: db.conninfo + " options='-c lock_timeout=100'", schema: db.schema))
        let batch = Batch("cpu x=1i 1\ncpu x=2i 2")
        try sink.connect()
        try db.execute("BEGIN; LOCK TABLE $schema.cpu IN ACCESS EXCLUSIVE MODE")
        #expect {
            try batch.write(to: sink, epoch: 1, firstSeq: 1)
        } throws: { error in
            guard case SinkError.server(let server) = error else { return false }
            return server.sqlstate == "55P03"
        }
        try db.execute("COMMIT")
        #expect(try !sink.isCommitted(epoch: 1, firstSeq: 1, lastSeq: 2))
        #expect(try batch.write(to: sink, epoch: 1, firstSeq: 1).inserted == 2)
        #expect(try db.column("SELECT count(*) FROM $schema.cpu") == ["2"])
    }

    @Test func aRangeBeyondBigintIsRefused() throws {
        #expect(throws: SinkError.self) {
            try db.sink().isCommitted(epoch: 1, firstSeq: 1, lastSeq: UInt64.max)
        }
    }
}
