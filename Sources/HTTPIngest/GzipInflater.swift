import CZlib

/// Why a gzip body could not be inflated.
enum InflateError: Error, Equatable {
    /// The stream is not gzip, or is damaged or cut short (400).
    case corrupt(String)
    /// It inflates to more than the limit (413): stopped there, so that a gzip bomb costs at most
    /// `limit` bytes of memory.
    case tooLarge(limit: Int)
}

/// Inflates a gzip request body as it arrives, into at most `limit` bytes. Several gzip members
/// one after the other are one body, as Go's gzip reader (InfluxDB's) reads them.
final class GzipInflater {
    /// zlib keeps a pointer back to its stream: it must not move, so it is allocated once here.
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let limit: Int
    private(set) var output: [UInt8] = []
    /// Whether the input so far ends exactly at the end of a member.
    private var atMemberEnd = false

    init(limit: Int) throws(InflateError) {
        self.limit = limit
        stream.initialize(to: z_stream())
        // 16 + MAX_WBITS: a gzip header and trailer, not zlib's.
        guard inflateInit2_(stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            throw .corrupt("cannot start inflating")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Inflates the next piece of the compressed body.
    func feed(_ input: UnsafeRawBufferPointer) throws(InflateError) {
        guard let base = input.baseAddress, input.count > 0 else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        defer { stream.pointee.next_in = nil }
        while stream.pointee.avail_in > 0 {
            if atMemberEnd {
                inflateReset(stream)
                atMemberEnd = false
            }
            let room = min(64 << 10, limit + 1 - output.count)
            guard room > 0 else { throw .tooLarge(limit: limit) }
            let before = output.count
            output.append(contentsOf: repeatElement(0, count: room))
            let status = output.withUnsafeMutableBytes { buffer -> Int32 in
                stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self) + before
                stream.pointee.avail_out = uInt(room)
                return inflate(stream, Z_NO_FLUSH)
            }
            output.removeLast(Int(stream.pointee.avail_out))
            switch status {
            case Z_STREAM_END: atMemberEnd = true
            case Z_OK, Z_BUF_ERROR: break
            default: throw .corrupt(stream.pointee.msg.map { String(cString: $0) } ?? "invalid gzip data (zlib \(status))")
            }
            if output.count > limit { throw .tooLarge(limit: limit) }
        }
    }

    /// The whole inflated body, once the compressed one has ended.
    func finish() throws(InflateError) -> [UInt8] {
        guard atMemberEnd else { throw .corrupt("the gzip stream ends early") }
        return output
    }
}
