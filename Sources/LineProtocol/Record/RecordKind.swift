/// What a record in the ring holds, told by the UInt16 at offset 14 of every record (the same
/// place in each layout): a parsed point or a line that could not be parsed.
public enum RecordKind: UInt16, Sendable {
    /// A ``PointRecord``.
    case point = 0
    /// A ``RejectedLineRecord``.
    case rejectedLine = 1

    static let offset = 14

    /// The kind of the record `bytes`; nil when it is too short to tell or of a kind this build
    /// does not know.
    public init?(of bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.offset + 2 else { return nil }
        self.init(rawValue: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: Self.offset, as: UInt16.self)))
    }
}
