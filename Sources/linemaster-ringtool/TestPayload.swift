/// The payloads the tool publishes: an 8-byte identifier followed by bytes derived from it, so
/// that a consumer can tell a whole payload from a damaged one.
enum TestPayload {
    /// The payload size for `id`: `size`, or 8 to 157 bytes varying with the identifier.
    static func length(id: UInt64, size: Int?) -> Int {
        max(8, size ?? 8 + Int(id &* 37 % 150))
    }

    /// Writes the payload of `id` into `buffer`, which holds ``length(id:size:)`` bytes.
    static func write(id: UInt64, into buffer: UnsafeMutableRawBufferPointer) {
        buffer.storeBytes(of: id.littleEndian, toByteOffset: 0, as: UInt64.self)
        for k in 8 ..< buffer.count { buffer[k] = filler(id: id, index: k) }
    }

    /// The identifier of a payload, or nil when the payload is not one `write` produced.
    static func identify(_ payload: UnsafeRawBufferPointer) -> UInt64? {
        guard payload.count >= 8 else { return nil }
        let id = payload.loadUnaligned(as: UInt64.self).littleEndian
        for k in 8 ..< payload.count where payload[k] != filler(id: id, index: k) { return nil }
        return id
    }

    private static func filler(id: UInt64, index: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: id &* 31 &+ UInt64(index))
    }
}
