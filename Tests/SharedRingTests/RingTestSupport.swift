import SharedRing
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A ring under a name no other test uses, removed when the test ends.
struct TestRing: ~Copyable {
    private static let counter = Atomic<Int>(0)

    let name: String
    let ring: SharedRing

    init(size: Int = 1 << 20) throws {
        name = Self.freshName()
        ring = try SharedRing.create(name: name, size: size)
    }

    deinit { SharedSegment.unlink(name: name) }

    /// A name for a segment of this test that is not created yet. A segment of that name left by
    /// an earlier run that was killed (the pid is reused) is removed first.
    static func freshName() -> String {
        let name = "/lmtest.\(getpid()).\(counter.add(1, ordering: .relaxed).newValue)"
        SharedSegment.unlink(name: name)
        return name
    }
}

/// Test payloads: an 8-byte identifier followed by bytes derived from it, as linemaster-ringtool
/// makes them, so that a whole payload can be told from a damaged one.
enum Payload {
    static func make(id: UInt64, size: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(8, size))
        withUnsafeBytes(of: id.littleEndian) { bytes.replaceSubrange(0 ..< 8, with: $0) }
        for k in 8 ..< bytes.count { bytes[k] = UInt8(truncatingIfNeeded: id &* 31 &+ UInt64(k)) }
        return bytes
    }

    static func identify(_ payload: UnsafeRawBufferPointer) -> UInt64? {
        guard payload.count >= 8 else { return nil }
        let id = payload.loadUnaligned(as: UInt64.self).littleEndian
        for k in 8 ..< payload.count where payload[k] != UInt8(truncatingIfNeeded: id &* 31 &+ UInt64(k)) { return nil }
        return id
    }
}

extension SharedRing {
    /// Publishes and returns the sequence, or nil when the ring refused the record.
    func publish(_ bytes: [UInt8]) -> UInt64? {
        if case .published(let sequence) = tryPublish(bytes) { return sequence }
        return nil
    }

    /// Claims without waiting, or throws when the ring has nothing to claim.
    func claimNow(maxRecords: Int, maxBytes: Int = .max) throws -> ClaimedBatch {
        guard let batch = claim(maxRecords: maxRecords, maxBytes: maxBytes, timeout: .zero) else { throw NothingToClaim() }
        return batch
    }

    /// Claims and releases until the ring is empty; returns the payloads in delivery order.
    func drain(maxRecords: Int = 64) -> [[UInt8]] {
        var payloads: [[UInt8]] = []
        while let batch = claim(maxRecords: maxRecords, timeout: .zero) {
            payloads += batch.records.map { Array($0.payload) }
            release(batch)
        }
        return payloads
    }
}

struct NothingToClaim: Error {}
