import SharedRing
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ConcurrencyTests {
    /// Several producer and consumer threads on a small ring (so that it wraps and fills often):
    /// every record that was published is delivered exactly once, whole.
    @Test func concurrentProducersAndConsumersDeliverEachRecordOnce() throws {
        let test = try TestRing(size: 600 * 1024)
        let ids = exchange(on: test.ring, producers: 3, consumers: 3, perProducer: 30_000,
                           batchRecords: { 1 + $0 * 20 }, payloadSize: { id, _ in Int(id % 300) })
        expectEachDeliveredOnce(ids, count: 3 * 30_000, ring: test.ring)
    }

    /// Large records on the smallest ring, so that nearly every lap ends in a skip record and a
    /// batch often begins or ends with one, and the ring is full while consumers hold batches.
    /// A skip record inside a claimed batch must not be reclaimed (and overwritten by a producer)
    /// before the batch is released: it was, when the batch began with it, and `release` then
    /// read a foreign header (in about every other run of this test).
    @Test func skipRecordsInClaimedBatchesAreNotReclaimedEarly() throws {
        let test = try TestRing(size: 512 * 1024)
        let ids = exchange(on: test.ring, producers: 4, consumers: 4, perProducer: 4000,
                           batchRecords: { 1 + $0 % 3 }) { id, generator in
            id % 4 == 0 ? Int.random(in: 20_000 ... 120_000, using: &generator) : Int.random(in: 8 ... 300, using: &generator)
        }
        expectEachDeliveredOnce(ids, count: 4 * 4000, ring: test.ring)
    }

    /// Runs producer and consumer threads until every record is published and claimed; returns
    /// the identifiers delivered (`.max` for a damaged payload). Consumer `c` claims up to
    /// `batchRecords(c)` records at a time; producer `p` publishes ids `p * perProducer ..<`,
    /// each of `payloadSize(id, generator)` bytes, with a generator seeded by `p`.
    private func exchange(
        on ring: SharedRing, producers: Int, consumers: Int, perProducer: UInt64,
        batchRecords: @escaping @Sendable (Int) -> Int,
        payloadSize: @escaping @Sendable (UInt64, inout SeededGenerator) -> Int
    ) -> [UInt64] {
        let publishing = Atomic<Int>(producers)
        let delivered = Mutex<[UInt64]>([])
        let consumerThreads = (0 ..< consumers).map { c in
            Thread {
                var ids: [UInt64] = []
                while true {
                    guard let batch = ring.claim(maxRecords: batchRecords(c), timeout: .milliseconds(20)) else {
                        if publishing.load(ordering: .acquiring) == 0 && ring.counters.bytesWaiting == 0 { break }
                        continue
                    }
                    ids += batch.records.map { Payload.identify($0.payload) ?? .max }
                    ring.release(batch)
                }
                delivered.withLock { $0 += ids }
            }
        }
        let producerThreads = (0 ..< producers).map { p in
            Thread {
                var generator = SeededGenerator(seed: UInt64(p))
                for id in UInt64(p) * perProducer ..< UInt64(p + 1) * perProducer {
                    let payload = Payload.make(id: id, size: payloadSize(id, &generator))
                    while ring.publish(payload) == nil { sched_yield() }
                }
                publishing.subtract(1, ordering: .releasing)
            }
        }
        (producerThreads + consumerThreads).forEach { $0.join() }
        return delivered.withLock { $0 }
    }

    private func expectEachDeliveredOnce(_ ids: [UInt64], count: Int, ring: SharedRing) {
        #expect(ids.count == count)
        #expect(Set(ids).count == ids.count, "a record was delivered twice")
        #expect(!ids.contains(.max), "a damaged payload was delivered")
        #expect(ring.counters.bytesUsed == 0)
    }
}

/// A pthread: the test's producers and consumers block and spin, which tasks must not do.
final class Thread: @unchecked Sendable {
    private var thread = pthread_t()
    private let body: @Sendable () -> Void

    init(_ body: @escaping @Sendable () -> Void) {
        self.body = body
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { context in
            let this = Unmanaged<Thread>.fromOpaque(context!).takeRetainedValue()
            this.body()
            return nil
        }, context)
    }

    func join() { pthread_join(thread, nil) }
}
