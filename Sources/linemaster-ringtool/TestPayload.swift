/// The payloads the tool publishes: an 8-byte identifier followed by bytes derived from it, so
/// that a consumer can tell a whole payload from a damaged one.
enum TestPayload {
    static func make(id: UInt64, size: Int?) -> [UInt8] {
        let length = max(8, size ?? 8 + Int(id &* 37 % 150))
        var bytes = [UInt8](repeating: 0, count: length)
        withUnsafeBytes(of: id.littleEndian) { bytes.replaceSubrange(0 ..< 8, with: $0) }
        for k in 8 ..< length { bytes[k] = filler(id: id, index: k) }
        return bytes
    }

    /// The identifier of a payload, or nil when the payload is not one `make` produced.
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
