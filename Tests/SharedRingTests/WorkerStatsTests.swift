import SharedRing
import Testing

@Suite struct WorkerStatsTests {
    @Test func slotsKeepCountersPerWorker() throws {
        let test = try TestRing()
        let listener = test.ring.workerStats(slot: 0)
        let inserter = test.ring.workerStats(slot: 255)
        listener.assign(pid: 100, name: "listener 1")
        inserter.assign(pid: 200, name: "inserter 1")

        listener.add(3, to: .rowsPublished)
        inserter.add(to: .batchesWritten)
        inserter.add(500, to: .rowsInserted)

        // What `linemaster status` sees through its own mapping.
        let status = try #require(try SharedRing.open(name: test.name, access: .readOnly))
        #expect(status.workerStats(slot: 0).pid == 100 && status.workerStats(slot: 0).name == "listener 1")
        #expect(status.workerStats(slot: 0).value(of: .rowsPublished) == 3)
        #expect(status.workerStats(slot: 255).value(of: .rowsInserted) == 500)
        #expect(status.workerStats(slot: 1).pid == nil)
    }

    @Test func aSlotGivenToAnotherNameStartsFromZeroAndLongNamesAreCut() throws {
        let test = try TestRing()
        let slot = test.ring.workerStats(slot: 7)
        slot.assign(pid: 1, name: "old")
        slot.add(9, to: WorkerCounter(index: 15))
        slot.assign(pid: 2, name: String(repeating: "n", count: 40))
        #expect(slot.values == Array(repeating: 0, count: WorkerCounter.count))
        #expect(slot.name == String(repeating: "n", count: WorkerStatsSlot.maxNameLength))
        slot.clear()
        #expect(slot.pid == nil)
    }

    @Test func aRestartedInstanceKeepsCountingWhereItsPredecessorStopped() throws {
        let test = try TestRing()
        let slot = test.ring.workerStats(slot: 3)
        slot.assign(pid: 10, name: "listener 1")
        slot.add(5, to: .rowsPublished)
        slot.assign(pid: 11, name: "listener 1")
        slot.add(2, to: .rowsPublished)
        #expect(slot.pid == 11)
        #expect(slot.value(of: .rowsPublished) == 7)
    }

    @Test func theHistogramAndTheHTTPAnswersHaveCountersOfTheirOwnInsideTheSlot() throws {
        let named = (0 ... 19).map { WorkerCounter(index: $0) }
        let histogram = [BatchWriteHistogram.sum] + (0 ... BatchWriteHistogram.bounds.count).map(BatchWriteHistogram.bucket)
        let http = HTTPRequestCounters.endpoints.indices.flatMap { e in
            HTTPRequestCounters.codes.indices.map { HTTPRequestCounters.counter(endpoint: e, code: $0) }
        }
        let all = (named + histogram + http).map(\.index)
        #expect(Set(all).count == all.count)
        #expect(all.allSatisfy { $0 < WorkerCounter.count })
    }

    @Test func aBatchIsCountedInTheFirstBucketWhoseBoundItDoesNotExceed() throws {
        let test = try TestRing()
        let slot = test.ring.workerStats(slot: 4)
        slot.assign(pid: 1, name: "inserter 1")
        BatchWriteHistogram.record(.milliseconds(3), in: slot)
        BatchWriteHistogram.record(.milliseconds(5), in: slot)
        BatchWriteHistogram.record(.seconds(60), in: slot)
        #expect(slot.value(of: BatchWriteHistogram.bucket(2)) == 2)  // 0.005 s
        #expect(slot.value(of: BatchWriteHistogram.bucket(BatchWriteHistogram.bounds.count)) == 1)
        #expect(slot.value(of: BatchWriteHistogram.sum) == 60_008_000_000)
    }

    @Test func anAnswerOutsideTheKnownEndpointsAndCodesIsCountedAsOther() throws {
        let test = try TestRing()
        let slot = test.ring.workerStats(slot: 5)
        slot.assign(pid: 1, name: "http 1")
        HTTPRequestCounters.count(status: 204, endpoint: "/write", in: slot)
        HTTPRequestCounters.count(status: 302, endpoint: "/nowhere", in: slot)
        #expect(slot.value(of: HTTPRequestCounters.counter(endpoint: 0, code: 1)) == 1)
        let other = HTTPRequestCounters.counter(endpoint: HTTPRequestCounters.endpoints.count - 1, code: HTTPRequestCounters.codes.count - 1)
        #expect(slot.value(of: other) == 1)
    }
}
