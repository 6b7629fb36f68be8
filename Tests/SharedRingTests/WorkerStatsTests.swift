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
}
