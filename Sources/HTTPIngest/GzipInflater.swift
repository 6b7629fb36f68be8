import CZlib

/// Why a gzip body could not be inflated.
enum InflateError: Error, Equatable {
    /// The stream is not gzip, or is damaged or cut short (400).
    case corrupt(String)
    /// It inflates to more than the limit (413): stopped there, so that a gzip bomb costs at most
    /// `limit` bytes of memory.
    case tooLarge(limit: Int)
}

/// Inflates a gzip request body as it arrives, into at most `limit` bytes.
final class GzipInflater {
    private var stream = z_stream()
    private let limit: Int
    private(set) var output: [UInt8] = []
    private var finished = false

    init(limit: Int) throws(InflateError) {
        self.limit = limit
        // 16 + MAX_WBITS: a gzip header and trailer, not zlib's.
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("cannot start inflating")
        }
    }

    deinit { inflateEnd(&stream) }

    /// Inflates the next piece of the compressed body.
    func feed(_ input: UnsafeRawBufferPointer) throws(InflateError) {
        guard input.count > 0 else { return }
        guard !finished else { throw .corrupt("data after the end of the gzip stream") }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        while stream.avail_in > 0 && !finished {
            let room = min(64 << 10, limit + 1 - output.count)
            guard room > 0 else { throw .tooLarge(limit: limit) }
            let before = output.count
            output.append(contentsOf: repeatElement(0, count: room))
            let status = output.withUnsafeMutableBytes { buffer -> Int32 in
                stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self) + before
                stream.avail_out = uInt(room)
                return inflate(&stream, Z_NO_FLUSH)
            }
            output.removeLast(Int(stream.avail_out))
            switch status {
            case Z_STREAM_END: finished = true
            case Z_OK, Z_BUF_ERROR: break
            default: throw .corrupt(stream.msg.map { String(cString: $0) } ?? "invalid gzip data (zlib \(status))")
            }
            if output.count > limit { throw .tooLarge(limit: limit) }
        }
        stream.next_in = nil
    }

    /// The whole inflated body, once the compressed one has ended.
    func finish() throws(InflateError) -> [UInt8] {
        guard finished else { throw .corrupt("the gzip stream ends early") }
        return output
    }
}
