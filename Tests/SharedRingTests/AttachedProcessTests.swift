import SharedRing
import Testing

@Suite struct AttachedProcessTests {
    @Test func ringStillMappedByAnEarlierWorkerIsNotRecovered() throws {
        let test = try TestRing()
        let directory = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let worker = try RingToolProcess.spawn(["consume", "--segment", test.name, "--out", directory + "/out"])
        defer {
            RingToolProcess.kill9(worker)
            RingToolProcess.wait(worker)
        }
        _ = test.ring.publish([1])
        #expect(waitUntil(seconds: 30) { test.ring.counters.rowsOut == 1 })

        #expect(SharedSegment.processesAttached(name: test.name) == [worker])
        #expect(throws: SharedRingError.self) { try SharedRing.openOrCreate(name: test.name, size: 1 << 20) }
    }
}
