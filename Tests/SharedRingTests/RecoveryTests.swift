import SharedRing
import Testing

@Suite struct RecoveryTests {
    @Test func unreleasedClaimIsHandedOutAgainAfterRecovery() throws {
        let test = try TestRing()
        for id in 0 ..< 5 { _ = test.ring.publish(Payload.make(id: UInt64(id), size: 50)) }
        let abandoned = try test.ring.claimNow(maxRecords: 2)
        let sequences = abandoned.records.map(\.sequence)
        _ = consume abandoned  // its consumer "dies" without releasing

        let report = test.ring.recover()
        #expect(report.recordsKept == 5 && report.claimsReturned == 2 && report.tornRecordsSkipped == 0)
        let again = try test.ring.claimNow(maxRecords: 2)
        #expect(again.records.map(\.sequence) == sequences)
        test.ring.release(again)
        #expect(test.ring.drain().count == 3)
    }

    @Test func releasedRecordsBehindAnUnreleasedClaimAreNotHandedOutAgain() throws {
        let test = try TestRing()
        for id in 0 ..< 6 { _ = test.ring.publish(Payload.make(id: UInt64(id), size: 50)) }
        let abandoned = try test.ring.claimNow(maxRecords: 2)
        let released = try test.ring.claimNow(maxRecords: 2)
        test.ring.release(released)
        _ = consume abandoned

        let report = test.ring.recover()
        #expect(report.recordsKept == 4 && report.claimsReturned == 2)
        let ids = test.ring.drain().map { $0.withUnsafeBytes { Payload.identify($0) } }
        #expect(ids == [0, 1, 4, 5])
        #expect(test.ring.counters.bytesUsed == 0)
    }

    @Test func recordWithBadChecksumIsSkippedByRecovery() throws {
        let test = try TestRing()
        for id in 0 ..< 3 { _ = test.ring.publish(Payload.make(id: UInt64(id), size: 64)) }
        let batch = try test.ring.claimNow(maxRecords: 3)
        // A stray write into the middle record's payload, as a buggy process could do.
        let middle = Array(batch.records)[1].payload
        UnsafeMutableRawPointer(mutating: middle.baseAddress!).storeBytes(of: 0xFF, toByteOffset: 20, as: UInt8.self)
        _ = consume batch

        let report = test.ring.recover()
        #expect(report.recordsKept == 2 && report.tornRecordsSkipped == 1)
        let ids = test.ring.drain().map { $0.withUnsafeBytes { Payload.identify($0) } }
        #expect(ids == [0, 2])
    }

    @Test func recoveryOfAnUndisturbedRingChangesNothing() throws {
        let test = try TestRing()
        for id in 0 ..< 3 { _ = test.ring.publish(Payload.make(id: UInt64(id), size: 64)) }
        let before = test.ring.counters
        let report = test.ring.recover()
        #expect(report.recordsKept == 3 && report.claimsReturned == 0 && report.tornRecordsSkipped == 0)
        #expect(test.ring.counters == before)
    }

    @Test func reopenedRingKeepsRecordsEpochAndSequences() throws {
        let name = TestRing.freshName()
        defer { SharedSegment.unlink(name: name) }
        let (ring, created) = try SharedRing.openOrCreate(name: name, size: 1 << 20)
        #expect(created.origin == .created)
        let sequences = (0 ..< 3).compactMap { ring.publish(Payload.make(id: UInt64($0), size: 80)) }
        let abandoned = try ring.claimNow(maxRecords: 1)
        _ = consume abandoned

        let (reopened, report) = try SharedRing.openOrCreate(name: name, size: 1 << 20)
        #expect(report.origin == .reopened && report.recordsKept == 3 && report.claimsReturned == 1)
        #expect(reopened.epoch == ring.epoch)
        let batch = try reopened.claimNow(maxRecords: 10)
        #expect(batch.records.map(\.sequence) == sequences)
        reopened.release(batch)
    }

    @Test func sizeChangeWaitsUntilTheRingIsEmpty() throws {
        let name = TestRing.freshName()
        defer { SharedSegment.unlink(name: name) }
        let (ring, _) = try SharedRing.openOrCreate(name: name, size: 1 << 20)
        _ = ring.publish(Payload.make(id: 1, size: 80))

        let (kept, deferred) = try SharedRing.openOrCreate(name: name, size: 2 << 20)
        #expect(deferred.origin == .reopened && deferred.deferredCapacity == 2 << 20)
        #expect(kept.capacity == 1 << 20 && kept.epoch == ring.epoch)
        #expect(kept.drain().count == 1)

        let (resized, report) = try SharedRing.openOrCreate(name: name, size: 2 << 20)
        guard case .recreated = report.origin else { Issue.record("expected a new ring, got \(report)"); return }
        #expect(resized.capacity == 2 << 20 && resized.epoch != ring.epoch)
    }

    @Test func segmentWithoutRingHeaderIsReplaced() throws {
        let name = TestRing.freshName()
        defer { SharedSegment.unlink(name: name) }
        _ = try SharedSegment.create(name: name, size: 2 << 20)

        let (ring, report) = try SharedRing.openOrCreate(name: name, size: 1 << 20)
        #expect(report.origin == .recreated(reason: "no ring header (bad magic number)"))
        #expect(ring.publish([1, 2, 3]) != nil)
    }

    @Test func workerAttachesByInheritedDescriptor() throws {
        let test = try TestRing()
        let worker = try SharedRing.attach(fd: test.ring.segment.fd)
        #expect(worker.epoch == test.ring.epoch)
        _ = worker.publish([42])
        #expect(test.ring.drain() == [[42]])
    }
}
