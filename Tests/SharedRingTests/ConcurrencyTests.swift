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
        let ring = test.ring
        let producers = 3, consumers = 3, perProducer: UInt64 = 30_000
        let publishing = Atomic<Int>(producers)
        let delivered = Mutex<[UInt64]>([])

        let consumerThreads = (0 ..< consumers).map { c in
            Thread {
                var ids: [UInt64] = []
                while true {
                    guard let batch = ring.claim(maxRecords: 1 + c * 20, timeout: .milliseconds(20)) else {
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
                for id in UInt64(p) * perProducer ..< UInt64(p + 1) * perProducer {
                    let payload = Payload.make(id: id, size: Int(id % 300))
                    while ring.publish(payload) == nil { sched_yield() }
                }
                publishing.subtract(1, ordering: .releasing)
            }
        }
        (producerThreads + consumerThreads).forEach { $0.join() }

        let ids = delivered.withLock { $0 }
        #expect(ids.count == producers * Int(perProducer))
        #expect(Set(ids).count == ids.count, "a record was delivered twice")
        #expect(!ids.contains(.max), "a damaged payload was delivered")
        #expect(ring.counters.bytesUsed == 0)
    }

    /// Large records on the smallest ring, so that nearly every lap ends in a skip record and a
    /// batch often begins or ends with one, and the ring is full while consumers hold batches.
    /// A skip record inside a claimed batch must not be reclaimed (and overwritten by a producer)
    /// before the batch is released: it was, when the batch began with it, and `release` then
    /// read a foreign header (in about every other run of this test).
    @Test func skipRecordsInClaimedBatchesAreNotReclaimedEarly() throws {
        let test = try TestRing(size: 512 * 1024)
        let ring = test.ring
        let producers = 4, consumers = 4, perProducer: UInt64 = 4000
        let publishing = Atomic<Int>(producers)
        let delivered = Mutex<[UInt64]>([])

        let consumerThreads = (0 ..< consumers).map { c in
            Thread {
                var ids: [UInt64] = []
                while true {
                    guard let batch = ring.claim(maxRecords: 1 + c % 3, timeout: .milliseconds(20)) else {
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
                    let size = id % 4 == 0 ? Int.random(in: 20_000 ... 120_000, using: &generator)
                        : Int.random(in: 8 ... 300, using: &generator)
                    let payload = Payload.make(id: id, size: size)
                    while ring.publish(payload) == nil { sched_yield() }
                }
                publishing.subtract(1, ordering: .releasing)
            }
        }
        (producerThreads + consumerThreads).forEach { $0.join() }

        let ids = delivered.withLock { $0 }
        #expect(ids.count == producers * Int(perProducer))
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
