import CPlatform

/// The format of one record in the ring data area.
///
/// ```
/// +0   state word  UInt64   position | state     (atomic; written last by the producer)
/// +8   length      UInt32   payload bytes
/// +12  checksum    UInt32   CRC-32C(seed: epoch, payload ++ position ++ length)
/// +16  payload, then zero padding to the next multiple of 16
/// ```
///
/// Records start at positions that are multiples of 16 and never straddle the end of the data
/// area: a producer that does not fit before the end first writes a skip record over the rest.
///
/// Why the state word holds the record's own position: the same bytes are reused lap after lap,
/// and a state word from an earlier lap must never look current. A word is a record here only if
/// it equals `position | state` for exactly this position. The invariant that makes this sound is
/// that free space never holds such a word: payloads are zeroed when released (so stale payload
/// bytes cannot impersonate a header), old headers carry their old positions, and the length
/// words sit at offsets ≡ 8 (mod 16) where no state word is ever read.
///
/// Why a commit mark and a checksum: the commit mark (the release-store of the state word after
/// the payload) is what makes a record visible, so a producer killed while copying leaves a
/// record that is simply not committed. Recovery, which has to walk over it, finds the next record
/// by searching for a state word that names its own position *and* whose checksum matches; the
/// checksum is seeded with the ring's random epoch, so a payload cannot forge one.
enum RecordFormat {
    static let headerSize = 16
    static let alignment = 16

    /// The record holds a payload that is waiting for, or owned by, a consumer.
    static let committed: UInt64 = 1
    /// The record's space only waits to be reclaimed: a consumed record, a skip record before the
    /// end of the data area, or what recovery wrote over a torn record.
    static let released: UInt64 = 2

    /// The bytes a record with `length` bytes of payload occupies.
    @inline(__always)
    static func size(payloadLength length: Int) -> Int {
        (headerSize + length + alignment - 1) & ~(alignment - 1)
    }

    @inline(__always)
    static func payloadChecksum(_ payload: UnsafeRawBufferPointer, seed: UInt32) -> UInt32 {
        lm_crc32c(seed, payload.baseAddress, payload.count)
    }

    /// Finishes a payload checksum with the record's position and length, so that a record copied
    /// to another position or with a damaged length does not verify.
    @inline(__always)
    static func checksum(payloadChecksum: UInt32, position: UInt64, length: Int) -> UInt32 {
        var tail = (position.littleEndian, UInt32(length).littleEndian)
        return withUnsafeBytes(of: &tail) { lm_crc32c(payloadChecksum, $0.baseAddress, 12) }
    }
}

/// A view of the record header at one offset of the data area.
struct RecordHeader {
    let address: UnsafeMutableRawPointer

    @inline(__always)
    var stateWord: UnsafeMutablePointer<UInt64> { address.assumingMemoryBound(to: UInt64.self) }

    /// Length and checksum as one word, read and written atomically (relaxed): a consumer may read
    /// it while the space is being reused, and then discards what it read.
    @inline(__always)
    var lengthWord: UnsafeMutablePointer<UInt64> { (address + 8).assumingMemoryBound(to: UInt64.self) }

    @inline(__always)
    var payload: UnsafeMutableRawPointer { address + RecordFormat.headerSize }

    /// ``RecordFormat/committed`` or ``RecordFormat/released`` if a record at `position` starts
    /// here, nil otherwise (space not yet committed, or a header of an earlier lap).
    @inline(__always)
    func state(at position: UInt64) -> UInt64? {
        let word = lm_load_acquire_u64(stateWord)
        guard word == position | RecordFormat.committed || word == position | RecordFormat.released else { return nil }
        return word & UInt64(RecordFormat.alignment - 1)
    }

    @inline(__always)
    var length: Int { Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: lm_load_relaxed_u64(lengthWord))) }

    @inline(__always)
    var checksum: UInt32 { UInt32(truncatingIfNeeded: lm_load_relaxed_u64(lengthWord) >> 32) }

    @inline(__always)
    func setLength(_ length: Int, checksum: UInt32) {
        lm_store_relaxed_u64(lengthWord, UInt64(UInt32(length)) | UInt64(checksum) << 32)
    }

    @inline(__always)
    func setState(_ state: UInt64, at position: UInt64) {
        lm_store_release_u64(stateWord, position | state)
    }
}
