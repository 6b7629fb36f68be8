import NIOCore

/// A request body as it arrives, inflated when it is gzip, never beyond the limit.
final class RequestBody {
    enum Failure: Error, Equatable {
        case tooLarge
        case corrupt(String)
    }

    private let limit: Int
    private let inflater: GzipInflater?
    private var bytes: [UInt8] = []
    /// Compressed bytes are bounded too: a gzip stream that never ends must not be read for ever.
    private var received = 0

    init(gzip: Bool, limit: Int) throws(Failure) {
        self.limit = limit
        do { inflater = gzip ? try GzipInflater(limit: limit) : nil } catch { throw .corrupt("\(error)") }
    }

    /// The memory the body holds so far: its bytes, or what they inflated to.
    var heldBytes: Int { inflater?.output.count ?? bytes.count }

    func append(_ buffer: ByteBuffer) throws(Failure) {
        received += buffer.readableBytes
        guard received <= limit else { throw .tooLarge }
        guard let inflater else {
            bytes.append(contentsOf: buffer.readableBytesView)
            return
        }
        do {
            try buffer.withUnsafeReadableBytes { try inflater.feed($0) }
        } catch let error as InflateError {
            throw Self.failure(error)
        } catch {
            throw .corrupt("\(error)")
        }
    }

    /// The whole body, inflated.
    func finish() throws(Failure) -> [UInt8] {
        guard let inflater else { return bytes }
        // No body at all is no body, whatever its encoding: python `influxdb` with gzip on sends
        // `Content-Encoding: gzip` on its body-less requests too (ping, query).
        guard received > 0 else { return [] }
        do { return try inflater.finish() } catch { throw Self.failure(error) }
    }

    private static func failure(_ error: InflateError) -> Failure {
        switch error {
        case .tooLarge: .tooLarge
        case .corrupt(let reason): .corrupt(reason)
        }
    }
}
