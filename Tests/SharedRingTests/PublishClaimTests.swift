import SharedRing
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct PublishClaimTests {
    @Test func publishedRecordIsClaimedWithItsBytesAndSequence() throws {
        let test = try TestRing()
        let first = try #require(test.ring.publish(Array("cpu usage=1".utf8)))
        let second = try #require(test.ring.publish(Array("cpu usage=2".utf8)))
        #expect(second > first)

        let batch = try test.ring.claimNow(maxRecords: 10)
        #expect(batch.count == 2)
        #expect(batch.firstSequence == first && batch.lastSequence == second)
        #expect(batch.epoch == test.ring.epoch)
        #expect(batch.records.map { String(decoding: $0.payload, as: UTF8.self) } == ["cpu usage=1", "cpu usage=2"])
        #expect(batch.records.map(\.sequence) == [first, second])
        test.ring.release(batch)

        let counters = test.ring.counters
        #expect(counters.rowsIn == 2 && counters.rowsOut == 2 && counters.bytesUsed == 0)
    }

    @Test func claimStopsAtRecordAndByteLimits() throws {
        let test = try TestRing()
        for id in 0 ..< 10 { _ = test.ring.publish(Payload.make(id: UInt64(id), size: 100)) }

        let three = try test.ring.claimNow(maxRecords: 3)
        #expect(three.count == 3)
        let twoByBytes = try test.ring.claimNow(maxRecords: 100, maxBytes: 250)
        #expect(twoByBytes.count == 2 && twoByBytes.byteCount == 200)
        let oneEvenIfLarger = try test.ring.claimNow(maxRecords: 100, maxBytes: 10)
        #expect(oneEvenIfLarger.count == 1)
        test.ring.release(three)
        test.ring.release(twoByBytes)
        test.ring.release(oneEvenIfLarger)
        #expect(test.ring.drain().count == 4)
    }

    /// Publishes payloads made by `Payload.make` as one group.
    func publishGroup(_ ring: SharedRing, ids: Range<UInt64>, size: Int) -> GroupPublishResult {
        let payloads = ids.map { Payload.make(id: $0, size: size) }
        return payloads.withUnsafeBufferPointers { ring.tryPublishAll($0) }
    }

    @Test func aGroupIsPublishedAtConsecutiveSequencesWithNothingBetween() throws {
        let test = try TestRing()
        let before = try #require(test.ring.publish(Payload.make(id: 100, size: 40)))
        let result = publishGroup(test.ring, ids: 0 ..< 3, size: 30)
        guard case .published(let sequences) = result else { Issue.record("not published: \(result)"); return }
        #expect(sequences.lowerBound > before)
        let batch = try test.ring.claimNow(maxRecords: 10)
        #expect(batch.records.map { Payload.identify($0.payload) } == [100, 0, 1, 2])
        #expect(batch.records.map(\.sequence).dropFirst().first == sequences.lowerBound)
        #expect(batch.lastSequence < sequences.upperBound)
        test.ring.release(batch)
        #expect(test.ring.oldestUnreleasedSequence == sequences.upperBound, "released up to the group's end")
    }

    @Test func aGroupThatDoesNotFitLeavesNothingInTheRing() throws {
        let test = try TestRing()
        #expect(publishGroup(test.ring, ids: 0 ..< 1, size: test.ring.capacity / 4) == .tooLarge)
        var published: UInt64 = 0
        while case .published = publishGroup(test.ring, ids: published ..< published + 100, size: 1000) { published += 100 }
        let counters = test.ring.counters
        #expect(publishGroup(test.ring, ids: 0 ..< 100, size: 1000) == .full)
        #expect(test.ring.counters == counters, "a refused group changes nothing, not even the drop count")
        #expect(test.ring.drain(maxRecords: 1000).count == Int(published))
    }

    /// A group's reservation can leave more than the largest record before the end of the data
    /// area: what it skips there must still be passed by consumers, lap after lap.
    @Test func groupsLargerThanARecordWrapAroundTheRingInOrder() throws {
        let test = try TestRing(size: 4 << 20)
        var next: UInt64 = 0, expected: UInt64 = 0
        while expected < 20_000 {
            if case .published = publishGroup(test.ring, ids: next ..< next + 700, size: 600) { next += 700 }
            while let batch = test.ring.claim(maxRecords: 500, timeout: .zero) {
                for record in batch.records {
                    #expect(Payload.identify(record.payload) == expected)
                    expected += 1
                }
                test.ring.release(batch)
            }
            try #require(next == expected, "a consumer stopped at \(expected) of \(next)")
        }
    }

    @Test func tooSmallRingIsRefused() {
        #expect(throws: SharedRingError.self) { try SharedRing.create(name: TestRing.freshName(), size: 4096) }
    }

    @Test func recordsWrapAroundTheSmallestRingInOrder() throws {
        let test = try TestRing(size: 600 * 1024)
        var generator = SeededGenerator(seed: 7)
        var next: UInt64 = 0, expected: UInt64 = 0
        // Many laps, with sizes up to the maximum so that skip records appear at the end.
        while expected < 3000 {
            for _ in 0 ..< Int.random(in: 1 ... 20, using: &generator) {
                let size = Bool.random(using: &generator) ? Int.random(in: 8 ... 200, using: &generator)
                    : Int.random(in: 8 ... test.ring.maxPayloadSize, using: &generator)
                if test.ring.publish(Payload.make(id: next, size: size)) != nil { next += 1 } else { break }
            }
            guard let batch = test.ring.claim(maxRecords: Int.random(in: 1 ... 30, using: &generator), timeout: .zero)
            else { continue }
            for record in batch.records {
                #expect(Payload.identify(record.payload) == expected)
                expected += 1
            }
            test.ring.release(batch)
        }
        #expect(test.ring.counters.rowsDropped > 0)
    }

    @Test func fullRingRefusesAndCountsTheDrop() throws {
        let test = try TestRing(size: 600 * 1024)
        var published = 0
        while test.ring.publish(Payload.make(id: UInt64(published), size: 1000)) != nil { published += 1 }
        #expect(published > 250)
        #expect(test.ring.counters.rowsDropped == 1)
        #expect(test.ring.tryPublish(Payload.make(id: 0, size: 1000)) == .full)
        #expect(test.ring.counters.rowsDropped == 2)

        let batch = try test.ring.claimNow(maxRecords: 5)
        test.ring.release(batch)
        #expect(test.ring.publish(Payload.make(id: 0, size: 1000)) != nil)
    }

    @Test func oversizeRecordIsRefused() throws {
        let test = try TestRing()
        let limit = test.ring.maxPayloadSize
        #expect(test.ring.tryPublish([UInt8](repeating: 1, count: limit + 1)) == .tooLarge)
        #expect(test.ring.counters.rowsDropped == 1)
        #expect(test.ring.publish([UInt8](repeating: 1, count: limit)) != nil)
        #expect(test.ring.drain().map(\.count) == [limit])
    }

    @Test func recordWrittenInPlaceIsDelivered() throws {
        let test = try TestRing()
        let result = test.ring.tryPublish(byteCount: 5) { buffer in buffer.copyBytes(from: Array("h v=1".utf8)) }
        guard case .published = result else { Issue.record("not published: \(result)"); return }
        #expect(test.ring.drain() == [Array("h v=1".utf8)])
    }

    @Test func inPlaceWriterDoesNotRunWhenTheRecordIsRefused() throws {
        let test = try TestRing()
        var ran = false
        #expect(test.ring.tryPublish(byteCount: test.ring.maxPayloadSize + 1) { _ in ran = true } == .tooLarge)
        while test.ring.publish(Payload.make(id: 0, size: 4000)) != nil {}
        #expect(test.ring.tryPublish(byteCount: 4000) { _ in ran = true } == .full)
        #expect(!ran)
    }

    @Test func emptyRecordIsDelivered() throws {
        let test = try TestRing()
        #expect(test.ring.publish([]) != nil)
        #expect(test.ring.drain() == [[]])
    }

    @Test func claimTimesOutWhenTheRingIsEmpty() throws {
        let test = try TestRing()
        let clock = ContinuousClock()
        let start = clock.now
        let timedOut = test.ring.claim(maxRecords: 10, timeout: .milliseconds(50)) == nil
        let waited = clock.now - start
        #expect(timedOut)
        #expect(waited >= .milliseconds(50) && waited < .seconds(2))
    }

    /// The consumer is a pthread and the test synchronous: a consumer task blocked in `claim`
    /// would hold one of the cooperative pool's threads (two on two cores), and with the other one
    /// held by another test that blocks, the publishing task never ran and the claim timed out.
    @Test func sleepingConsumerWakesOnPublish() throws {
        let test = try TestRing()
        let ring = test.ring
        let clock = ContinuousClock()
        let result = Mutex<(count: Int, at: ContinuousClock.Instant)?>(nil)
        let consumer = Thread {
            guard let batch = ring.claim(maxRecords: 10, timeout: .seconds(30)) else { return }
            let count = batch.count
            ring.release(batch)
            result.withLock { $0 = (count, clock.now) }
        }
        usleep(50_000)  // long past the consumer's spin: it sleeps on the futex
        let published = clock.now
        #expect(ring.publish(Array("m v=1".utf8)) != nil)
        consumer.join()
        let (count, woken) = try #require(result.withLock { $0 }, "the consumer was not woken")
        #expect(count == 1)
        #expect(woken - published < .seconds(2))
    }

    @Test func outOfOrderReleaseReclaimsOnlyUpToTheOldestClaim() throws {
        let test = try TestRing()
        for id in 0 ..< 4 { _ = test.ring.publish(Payload.make(id: UInt64(id), size: 100)) }
        let older = try test.ring.claimNow(maxRecords: 2)
        let newer = try test.ring.claimNow(maxRecords: 2)
        let used = test.ring.counters.bytesUsed

        test.ring.release(newer)
        #expect(test.ring.counters.bytesUsed == used)
        test.ring.release(older)
        #expect(test.ring.counters.bytesUsed == 0)
    }
}

/// SplitMix64: reproducible randomness for tests.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Array where Element == [UInt8] {
    /// The elements as buffers, valid inside `body`.
    func withUnsafeBufferPointers<R>(_ body: ([UnsafeRawBufferPointer]) -> R) -> R {
        func next(_ index: Int, _ buffers: [UnsafeRawBufferPointer]) -> R {
            guard index < count else { return body(buffers) }
            return self[index].withUnsafeBytes { next(index + 1, buffers + [$0]) }
        }
        return next(0, [])
    }
}
