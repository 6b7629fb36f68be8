/// A ``PointRecord`` read in place: the inserter's view of a row, valid while its bytes are.
public struct PointRecordView {
    /// Nanoseconds since the Unix epoch.
    public let time: Int64
    /// The measurement name, UTF-8.
    public let measurement: UnsafeBufferPointer<UInt8>
    public let tagCount: Int
    public let fieldCount: Int
    private let tagsStart: UnsafeRawPointer
    private let fieldsStart: UnsafeRawPointer

    /// A field value as stored: numbers and booleans decoded, strings borrowed.
    public enum Value {
        case float(Double)
        case int(Int64)
        case uint(UInt64)
        case bool(Bool)
        case string(UnsafeBufferPointer<UInt8>)
    }

    /// Checks that every length in the record stays inside `bytes`, so that a damaged record is
    /// refused here instead of being read out of bounds later.
    public init(_ bytes: UnsafeRawBufferPointer) throws(PointRecordError) {
        guard let base = bytes.baseAddress, bytes.count >= PointRecord.headerSize else { throw .truncated }
        var reader = RecordReader(base: base, end: base + bytes.count)
        time = try reader.read(Int64.self)
        let measurementLength = Int(try reader.read(UInt16.self))
        tagCount = Int(try reader.read(UInt16.self))
        fieldCount = Int(try reader.read(UInt16.self))
        let kind = try reader.read(UInt16.self)
        guard kind == RecordKind.point.rawValue else { throw .unexpectedKind(kind, expected: .point) }
        measurement = try reader.bytes(measurementLength)
        tagsStart = reader.position
        for _ in 0..<tagCount {
            let keyLength = Int(try reader.read(UInt16.self))
            let valueLength = Int(try reader.read(UInt32.self))
            _ = try reader.bytes(keyLength + valueLength)
        }
        fieldsStart = reader.position
        for _ in 0..<fieldCount {
            let keyLength = Int(try reader.read(UInt16.self))
            guard PointRecord.FieldType(rawValue: try reader.read(UInt8.self)) != nil else { throw .badFieldType }
            let valueLength = Int(try reader.read(UInt32.self))
            _ = try reader.bytes(keyLength + valueLength)
        }
    }

    /// Calls `body` with each tag's key and value, in input order.
    @inline(__always)
    public func forEachTag(_ body: (_ key: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        var p = tagsStart
        for _ in 0..<tagCount {
            let keyLength = Int(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)))
            let valueLength = Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt32.self)))
            let key = p + PointRecord.tagHeaderSize
            try body(buffer(key, keyLength), buffer(key + keyLength, valueLength))
            p = key + keyLength + valueLength
        }
    }

    /// Calls `body` with each field's key and value, in input order.
    @inline(__always)
    public func forEachField(_ body: (_ key: UnsafeBufferPointer<UInt8>, _ value: Value) throws -> Void) rethrows {
        var p = fieldsStart
        for _ in 0..<fieldCount {
            let keyLength = Int(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)))
            let type = PointRecord.FieldType(rawValue: p.load(fromByteOffset: 2, as: UInt8.self))!
            let valueLength = Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 3, as: UInt32.self)))
            let key = p + PointRecord.fieldHeaderSize
            let value = key + keyLength
            try body(buffer(key, keyLength), Self.decode(type, value, valueLength))
            p = value + valueLength
        }
    }

    /// The record's own bytes, from its header to its last field (what ``init(_:)`` read), e.g.
    /// to keep the row as it came from the ring. Computed, so that reading a row costs nothing more.
    public var recordBytes: UnsafeRawBufferPointer {
        let start = tagsStart - measurement.count - PointRecord.headerSize
        var p = fieldsStart
        for _ in 0..<fieldCount {
            let keyLength = Int(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)))
            let valueLength = Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 3, as: UInt32.self)))
            p += PointRecord.fieldHeaderSize + keyLength + valueLength
        }
        return UnsafeRawBufferPointer(start: start, count: p - start)
    }

    /// An owned copy (allocates; for tests and tools).
    public func makePoint() -> Point {
        var tags: [Point.Tag] = []
        forEachTag { tags.append(Point.Tag(String(decoding: $0, as: UTF8.self), String(decoding: $1, as: UTF8.self))) }
        var fields: [Point.Field] = []
        forEachField { key, value in
            let owned: FieldValue = switch value {
            case .float(let x): .float(x)
            case .int(let x): .int(x)
            case .uint(let x): .uint(x)
            case .bool(let x): .bool(x)
            case .string(let s): .string(String(decoding: s, as: UTF8.self))
            }
            fields.append(Point.Field(String(decoding: key, as: UTF8.self), owned))
        }
        return Point(measurement: String(decoding: measurement, as: UTF8.self), tags: tags, fields: fields, time: time)
    }

    @inline(__always)
    private static func decode(_ type: PointRecord.FieldType, _ p: UnsafeRawPointer, _ length: Int) -> Value {
        switch type {
        case .float: return .float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))))
        case .int: return .int(Int64(littleEndian: p.loadUnaligned(as: Int64.self)))
        case .uint: return .uint(UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
        case .bool: return .bool(p.load(as: UInt8.self) != 0)
        case .string: return .string(buffer(p, length))
        }
    }
}

@inline(__always)
func buffer(_ p: UnsafeRawPointer, _ count: Int) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: count)
}

/// Reads lengths and values with bounds checks.
struct RecordReader {
    var position: UnsafeRawPointer
    let end: UnsafeRawPointer

    init(base: UnsafeRawPointer, end: UnsafeRawPointer) {
        position = base
        self.end = end
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws(PointRecordError) -> T {
        guard end - position >= MemoryLayout<T>.size else { throw .truncated }
        defer { position += MemoryLayout<T>.size }
        return T(littleEndian: position.loadUnaligned(as: T.self))
    }

    mutating func bytes(_ count: Int) throws(PointRecordError) -> UnsafeBufferPointer<UInt8> {
        guard end - position >= count else { throw .truncated }
        defer { position += count }
        return buffer(position, count)
    }
}

/// A record that is not a well-formed ``PointRecord`` (or ``RejectedLineRecord``).
public enum PointRecordError: Error, CustomStringConvertible {
    case truncated
    case badFieldType
    /// The record's ``RecordKind`` word holds another kind (or one this build does not know).
    case unexpectedKind(UInt16, expected: RecordKind)

    public var description: String {
        switch self {
        case .truncated: return "ring record is truncated: a length points past its end"
        case .badFieldType: return "point record has an unknown field type"
        case .unexpectedKind(let found, let expected):
            return "ring record of kind \(found) where a record of kind \(expected.rawValue) (\(expected)) was expected"
        }
    }
}
