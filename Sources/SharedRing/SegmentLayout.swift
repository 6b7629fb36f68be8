import CPlatform

/// Where everything lives inside the segment. Only offsets are stored in shared memory, never
/// pointers: every process maps the segment at its own address.
///
/// ```
/// 0        header page (4 KiB)
///            0  magic            UInt64   "LMRING" + 0x0001
///            8  layout version   UInt32   ``SegmentLayout/version``
///           12  header size      UInt32
///           16  segment size     UInt64
///           24  ring offset      UInt64
///           32  ring capacity    UInt64   bytes, a multiple of 16
///           40  stats offset     UInt64
///           48  stats slots      UInt32   stats slot size UInt32
///           56  epoch            UInt64   random, new for every new ring
///           64  max payload      UInt64
///          128  reserve head     UInt64   producers CAS it          (one 128-byte line each:
///          256  claim cursor     UInt64   consumers CAS it           the adjacent-line prefetcher
///          384  reclaim tail     UInt64   consumers CAS it           pulls pairs of 64-byte lines)
///          512  wake word        UInt32   futex; needs-wake UInt32 at 516
///          640  rows in, 768 rows out, 896 rows dropped, 1024 rows corrupt   UInt64 counters
/// 4096     worker statistics: 256 slots of 2048 bytes (see ``WorkerStatsSlot``)
/// 528384   ring data: `capacity` bytes of records (see `RecordFormat`)
/// ```
///
/// The three cursors are byte positions that only grow (2^64 bytes never wrap in practice); the
/// offset in the data area is `position % capacity`. Used space is `[tail, head)`; records in
/// `[tail, claim)` are claimed or released, records in `[claim, head)` wait for a consumer.
struct SegmentLayout {
    static let magic: UInt64 = 0x4C4D_5249_4E47_0001
    /// 2: statistics slots of 2048 bytes (were 256), for the HTTP worker's answers and the batch histogram.
    static let version: UInt32 = 2
    static let headerSize = 4096
    static let statsOffset = headerSize
    static let statsSlotCount = 256
    static let statsSlotSize = 2048
    static let ringOffset = statsOffset + statsSlotCount * statsSlotSize
    /// The largest payload. A UDP datagram carries at most 64 KiB of text, but a point's binary
    /// form can be a few times larger than its text (`a=1i` is 4 bytes of text, 16 encoded).
    /// With its header, a maximal record is 256 KiB.
    static let maxPayloadLimit = 256 * 1024 - RecordFormat.headerSize
    /// The smallest ring: two maximal records. A record preceded by a skip record at the end of
    /// the data area needs less than that, so every record fits into an empty ring.
    static let minimumCapacity = 2 * RecordFormat.size(payloadLength: maxPayloadLimit)

    enum Field: Int {
        case magic = 0, versionAndHeaderSize = 8, segmentSize = 16, ringOffset = 24, ringCapacity = 32
        case statsOffset = 40, statsGeometry = 48, epoch = 56, maxPayload = 64
        case reserveHead = 128, claimCursor = 256, reclaimTail = 384, wake = 512
        case rowsIn = 640, rowsOut = 768, rowsDropped = 896, rowsCorrupt = 1024
    }

    let base: UnsafeMutableRawPointer

    func word(_ field: Field) -> UnsafeMutablePointer<UInt64> {
        (base + field.rawValue).assumingMemoryBound(to: UInt64.self)
    }

    /// The futex word that sleeping consumers wait on; producers bump it to wake them.
    var wakeWord: UnsafeMutablePointer<UInt32> {
        (base + Field.wake.rawValue).assumingMemoryBound(to: UInt32.self)
    }

    /// Set by a consumer before it sleeps, cleared by the producer that wakes it, so that only the
    /// first publish after a sleep pays for the futex system call.
    var needsWake: UnsafeMutablePointer<UInt32> {
        (base + Field.wake.rawValue + 4).assumingMemoryBound(to: UInt32.self)
    }

    var data: UnsafeMutableRawPointer { base + Self.ringOffset }

    func statsSlot(_ index: Int) -> UnsafeMutableRawPointer {
        base + Self.statsOffset + index * Self.statsSlotSize
    }

    static func segmentSize(capacity: Int) -> Int { ringOffset + capacity }

    /// The data capacity for a requested ring size: rounded down to the record alignment.
    static func capacity(forRequestedSize size: Int) -> Int { size & ~(RecordFormat.alignment - 1) }

    /// Writes a fresh header into a zero-filled segment.
    func initialize(capacity: Int, epoch: UInt64) {
        word(.versionAndHeaderSize).pointee = UInt64(Self.version) | UInt64(Self.headerSize) << 32
        word(.segmentSize).pointee = UInt64(Self.segmentSize(capacity: capacity))
        word(.ringOffset).pointee = UInt64(Self.ringOffset)
        word(.ringCapacity).pointee = UInt64(capacity)
        word(.statsOffset).pointee = UInt64(Self.statsOffset)
        word(.statsGeometry).pointee = UInt64(Self.statsSlotCount) | UInt64(Self.statsSlotSize) << 32
        word(.epoch).pointee = epoch
        word(.maxPayload).pointee = UInt64(Self.maxPayloadLimit)
        // The magic goes last: a segment whose creator died halfway is recognisably invalid.
        lm_store_release_u64(word(.magic), Self.magic)
    }

    /// Checks that the header describes a ring this code can read in a segment of `segmentSize` bytes.
    func validate(segmentSize: Int) -> HeaderProblem? {
        guard segmentSize >= Self.ringOffset + Self.minimumCapacity else { return .tooSmall(segmentSize) }
        guard lm_load_acquire_u64(word(.magic)) == Self.magic else { return .badMagic }
        let version = UInt32(truncatingIfNeeded: word(.versionAndHeaderSize).pointee)
        guard version == Self.version else { return .unsupportedVersion(version) }
        let capacity = Int(word(.ringCapacity).pointee)
        let consistent = word(.versionAndHeaderSize).pointee >> 32 == UInt64(Self.headerSize)
            && word(.segmentSize).pointee == UInt64(segmentSize)
            && word(.ringOffset).pointee == UInt64(Self.ringOffset)
            && word(.statsOffset).pointee == UInt64(Self.statsOffset)
            && word(.statsGeometry).pointee == UInt64(Self.statsSlotCount) | UInt64(Self.statsSlotSize) << 32
            && word(.maxPayload).pointee == UInt64(Self.maxPayloadLimit)
            && capacity == segmentSize - Self.ringOffset
            && capacity % RecordFormat.alignment == 0
        guard consistent else { return .inconsistentGeometry }
        let head = word(.reserveHead).pointee, claim = word(.claimCursor).pointee, tail = word(.reclaimTail).pointee
        guard tail <= claim, claim <= head, head - tail <= UInt64(capacity),
              (head | claim | tail) % UInt64(RecordFormat.alignment) == 0
        else { return .inconsistentCursors }
        return nil
    }
}

/// Why a segment's header cannot be used as it is.
enum HeaderProblem: Equatable, CustomStringConvertible {
    case tooSmall(Int)
    case badMagic
    case unsupportedVersion(UInt32)
    case inconsistentGeometry
    case inconsistentCursors

    var description: String {
        switch self {
        case .tooSmall(let size): return "segment of \(size) bytes is smaller than the smallest ring"
        case .badMagic: return "no ring header (bad magic number)"
        case .unsupportedVersion(let v): return "ring layout version \(v), this build reads version \(SegmentLayout.version)"
        case .inconsistentGeometry: return "header sizes and offsets do not match the segment"
        case .inconsistentCursors: return "head, claim and tail cursors are out of order"
        }
    }
}
