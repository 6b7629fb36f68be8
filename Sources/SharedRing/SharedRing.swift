import CPlatform

#if canImport(Glibc)
import Glibc
#endif

/// The multi-producer, multi-consumer ring of variable-length records in a ``SharedSegment``.
///
/// Listeners publish with ``tryPublish(_:)``; inserters take batches with
/// ``claim(maxRecords:maxBytes:timeout:)`` and give them back with ``release(_:)``. No operation
/// takes a lock: every shared cursor moves by compare-and-swap, so a process killed at any
/// instruction leaves nothing locked. What it may leave is a record reserved but not committed
/// (a killed producer) or a batch claimed but not released (a killed consumer); ``recover()``
/// repairs both and is run by the supervisor once no other process is attached.
///
/// A `SharedRing` is safe to use from several threads of one process, like from several processes.
///
/// ```swift
/// // supervisor, at start and after a crash of a shared-memory worker (all of them dead):
/// let (ring, report) = try SharedRing.openOrCreate(name: SharedSegment.name(forDataDirectory: dir), size: size)
/// log(report.description)            // later crashes: log(ring.recover().description)
/// ring.workerStats(slot: 3).assign(pid: pid, name: "listener 1")   // then spawn with the fd and slot
///
/// // listener:
/// let ring = try SharedRing.attach(fd: inheritedFd)
/// let result = ring.tryPublish(byteCount: size) { record in encode(point, into: record) }
/// // .published(sequence:) or dropped (the ring is full); count them once per datagram batch
///
/// // inserter:
/// while let batch = ring.claim(maxRecords: 5000, timeout: .seconds(1)) {
///     // COPY the records whose sequence is in no ledger range, and insert the ledger row
///     // (batch.epoch, batch.firstSequence, batch.lastSequence), in one transaction; then:
///     ring.release(batch)
/// }
/// ```
public final class SharedRing: @unchecked Sendable {
    /// The mapped segment; the supervisor passes ``SharedSegment/fd`` to shared-memory workers.
    public let segment: SharedSegment
    /// Changes whenever a new ring replaces an old one, so that sequence numbers from different
    /// rings are never confused: inserters store it in their ledger next to the sequence range.
    /// Random, below 2^63 so that it fits PostgreSQL's bigint.
    public let epoch: UInt64
    /// Bytes of the data area (records and their 16-byte headers).
    public let capacity: Int
    /// The largest payload ``tryPublish(_:)`` accepts.
    public let maxPayloadSize: Int

    /// The largest record, header included; skip records are never larger either.
    let maxRecordSize: Int
    let layout: SegmentLayout
    let data: UnsafeMutableRawPointer
    let checksumSeed: UInt32

    private init(segment: SharedSegment) {
        self.segment = segment
        self.layout = SegmentLayout(base: segment.base)
        self.data = layout.data
        self.epoch = layout.word(.epoch).pointee
        self.capacity = Int(layout.word(.ringCapacity).pointee)
        self.maxPayloadSize = Int(layout.word(.maxPayload).pointee)
        self.maxRecordSize = RecordFormat.size(payloadLength: maxPayloadSize)
        self.checksumSeed = UInt32(truncatingIfNeeded: epoch ^ (epoch >> 32))
    }

    /// Creates a new, empty ring named `name` with `size` bytes of data area (rounded down to a
    /// multiple of 16), replacing any segment of that name. The new ring gets a new random epoch.
    public static func create(name: String, size: Int) throws(SharedRingError) -> SharedRing {
        let capacity = SegmentLayout.capacity(forRequestedSize: size)
        guard capacity >= SegmentLayout.minimumCapacity else {
            throw .sizeTooSmall(requested: size, minimum: SegmentLayout.minimumCapacity)
        }
        let segment: SharedSegment
        do {
            segment = try SharedSegment.create(name: name, size: SegmentLayout.segmentSize(capacity: capacity))
        } catch {
            throw .segment(error)
        }
        SegmentLayout(base: segment.base).initialize(capacity: capacity, epoch: UInt64.random(in: 1 ... UInt64(Int64.max)))
        return SharedRing(segment: segment)
    }

    /// Attaches to the ring in an inherited segment descriptor (what a shared-memory worker does).
    /// Does not recover: the supervisor did that before it started the worker.
    public static func attach(fd: Int32) throws(SharedRingError) -> SharedRing {
        let segment: SharedSegment
        do { segment = try SharedSegment.attach(fd: fd) } catch { throw .segment(error) }
        return try validated(segment)
    }

    /// Opens the existing ring `name` without recovering it (`linemaster status`, tools), or
    /// returns nil when there is no such segment. A ring opened `.readOnly` can only be read:
    /// its counters and statistics slots.
    public static func open(name: String, access: SharedSegment.Access = .readWrite) throws(SharedRingError) -> SharedRing? {
        let segment: SharedSegment?
        do { segment = try SharedSegment.open(name: name, access: access) } catch { throw .segment(error) }
        guard let segment else { return nil }
        return try validated(segment)
    }

    private static func validated(_ segment: SharedSegment) throws(SharedRingError) -> SharedRing {
        if let problem = SegmentLayout(base: segment.base).validate(segmentSize: segment.size) {
            throw .invalidHeader(segment: segment.name, reason: problem.description)
        }
        return SharedRing(segment: segment)
    }

    /// Wraps a segment whose header was already validated or initialized.
    static func wrapping(_ segment: SharedSegment) -> SharedRing { SharedRing(segment: segment) }

    @inline(__always)
    func header(atOffset offset: Int) -> RecordHeader { RecordHeader(address: data + offset) }

    @inline(__always)
    func offset(of position: UInt64) -> Int { Int(truncatingIfNeeded: position % UInt64(capacity)) }

    /// The offset after a record of `size` bytes at `offset`; records never straddle the end.
    @inline(__always)
    func offset(after offset: Int, size: Int) -> Int {
        let next = offset + size
        return next == capacity ? 0 : next
    }
}
