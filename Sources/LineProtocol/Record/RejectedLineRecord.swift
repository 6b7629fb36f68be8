/// The binary form of a line the parser rejected, as it travels through the ring beside the
/// ``PointRecord``s, from a receiving worker to an inserter, which keeps it in the rejects table.
/// Integers are little-endian and unaligned; the header is as long as a point's, with the
/// ``RecordKind`` at the same offset.
///
///     time            Int64   when the line was received, nanoseconds since the Unix epoch
///     reason length   UInt16, source length UInt16, zero UInt16, kind UInt16 (1)
///     line length     UInt32
///     reason bytes    UTF-8: the parser's message (``LineProtocolError/reasonInEntry``)
///     source bytes    UTF-8: where the line came from, e.g. `udp://127.0.0.1:8089 from 10.0.0.7:41234 (listener 1)`
///     line bytes      the line as received, which need not be UTF-8 (that may be why it was rejected)
///
/// The line is cut at ``maxLineLength`` bytes, the reason and the source at ``maxTextLength``
/// bytes, on a character boundary.
public enum RejectedLineRecord {
    static let headerSize = 20
    /// 64 KiB: a UDP datagram's whole payload fits; longer lines (HTTP bodies) keep their start.
    public static let maxLineLength = 65_536
    /// The most bytes kept of a reason or a source.
    public static let maxTextLength = 4_096

    /// The exact number of bytes ``encode(time:line:reason:source:into:)`` writes.
    public static func encodedSize(line: UnsafeRawBufferPointer, reason: String, source: String) -> Int {
        headerSize + min(line.count, maxLineLength) + cut(reason).count + cut(source).count
    }

    /// Writes the record to `destination`, which must hold ``encodedSize(line:reason:source:)``
    /// bytes; returns the count written.
    @discardableResult
    public static func encode(
        time: Int64, line: UnsafeRawBufferPointer, reason: String, source: String, into destination: UnsafeMutableRawPointer
    ) -> Int {
        let reasonBytes = cut(reason), sourceBytes = cut(source)
        let lineBytes = UnsafeRawBufferPointer(rebasing: line.prefix(maxLineLength))
        var out = RecordWriter(base: destination)
        out.put(time)
        out.put(UInt16(reasonBytes.count))
        out.put(UInt16(sourceBytes.count))
        out.put(UInt16(0))
        out.put(RecordKind.rejectedLine.rawValue)
        out.put(UInt32(lineBytes.count))
        for part in [reasonBytes, sourceBytes] {
            part.withUnsafeBytes { out.copy($0) }
        }
        out.copy(lineBytes)
        return out.offset
    }

    /// The UTF-8 of `text`, cut to ``maxTextLength`` bytes before a character that would not fit.
    static func cut(_ text: String) -> [UInt8] {
        var bytes = Array(text.utf8)
        guard bytes.count > maxTextLength else { return bytes }
        var end = maxTextLength
        // A continuation byte (10xxxxxx) is inside a character: cut before the character's start.
        while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        bytes.removeSubrange(end...)
        return bytes
    }
}

/// A ``RejectedLineRecord`` read in place: the inserter's view of a rejected line, valid while
/// its bytes are.
public struct RejectedLineRecordView {
    /// When the line was received, nanoseconds since the Unix epoch.
    public let time: Int64
    /// The parser's message, UTF-8.
    public let reason: UnsafeBufferPointer<UInt8>
    /// Where the line came from, UTF-8.
    public let source: UnsafeBufferPointer<UInt8>
    /// The line as received (at most ``RejectedLineRecord/maxLineLength`` bytes of it).
    public let line: UnsafeBufferPointer<UInt8>

    /// Checks the kind and that every length stays inside `bytes`.
    public init(_ bytes: UnsafeRawBufferPointer) throws(PointRecordError) {
        guard let base = bytes.baseAddress, bytes.count >= RejectedLineRecord.headerSize else { throw .truncated }
        var reader = RecordReader(base: base, end: base + bytes.count)
        time = try reader.read(Int64.self)
        let reasonLength = Int(try reader.read(UInt16.self))
        let sourceLength = Int(try reader.read(UInt16.self))
        _ = try reader.read(UInt16.self)
        let kind = try reader.read(UInt16.self)
        guard kind == RecordKind.rejectedLine.rawValue else { throw .unexpectedKind(kind, expected: .rejectedLine) }
        let lineLength = Int(try reader.read(UInt32.self))
        reason = try reader.bytes(reasonLength)
        source = try reader.bytes(sourceLength)
        line = try reader.bytes(lineLength)
    }
}
