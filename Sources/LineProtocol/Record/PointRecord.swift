/// The binary form of one point as it travels through the shared-memory ring, from a listener
/// (which encodes straight from a ``PointView``) to an inserter (which reads it in place with
/// ``PointRecordView``). All elements are stored unescaped; integers are little-endian and
/// unaligned. The UInt16 at offset 14 is the ``RecordKind`` of every record the ring carries:
/// 0 here (records written before there were other kinds had 0 there too).
///
///     time            Int64
///     measurement     UInt16 length, tag count UInt16, field count UInt16, kind UInt16 (0)
///     measurement bytes
///     per tag:        key length UInt16, value length UInt32, key bytes, value bytes
///     per field:      key length UInt16, type UInt8, value length UInt32, key bytes, value bytes
///                     (float, int, uint: 8 bytes; bool: 1 byte; string: its bytes)
public enum PointRecord {
    /// The longest measurement name, tag key and field key in bytes (unescaped), and the most
    /// fields of one point: their lengths and counts are 16-bit here.
    public static let maxLength = Int(UInt16.max)
    /// The most tags of a parsed point: one place is kept for the extra tag.
    public static let maxTags = maxLength - 1

    static let headerSize = 16
    static let tagHeaderSize = 6
    static let fieldHeaderSize = 7

    enum FieldType: UInt8 {
        case float = 1, int, uint, bool, string
    }

    /// A tag added to a point on its way into the ring (the HTTP worker's `database_tag`).
    public typealias ExtraTag = (key: [UInt8], value: [UInt8])

    /// The exact number of bytes ``encode(_:extraTag:into:)`` writes for `point`.
    public static func encodedSize(_ point: PointView, extraTag: ExtraTag? = nil) -> Int {
        var size = headerSize + point.measurement.unescapedCount
        for tag in point.tags {
            size += tagHeaderSize + tag.key.unescapedCount + tag.value.unescapedCount
        }
        if let extraTag, !has(extraTag, point) { size += tagHeaderSize + extraTag.key.count + extraTag.value.count }
        for field in point.fields {
            size += fieldHeaderSize + field.key.unescapedCount
            switch field.value {
            case .float, .int, .uint: size += 8
            case .bool: size += 1
            case .string(let s): size += s.unescapedCount
            }
        }
        return size
    }

    /// Writes `point`, and `extraTag` unless the point has a tag of that key already, to
    /// `destination`, which must hold ``encodedSize(_:extraTag:)`` bytes; returns the count written.
    /// The parser refuses lines beyond ``maxLength``, so every point it accepts fits.
    @discardableResult
    public static func encode(_ point: PointView, extraTag: ExtraTag? = nil, into destination: UnsafeMutableRawPointer) -> Int {
        var out = RecordWriter(base: destination)
        let added = extraTag.flatMap { has($0, point) ? nil : $0 }
        out.put(point.time)
        let measurementAt = out.offset
        out.skip(2)
        out.put(UInt16(truncatingIfNeeded: point.tags.count + (added == nil ? 0 : 1)))
        out.put(UInt16(truncatingIfNeeded: point.fields.count))
        out.put(RecordKind.point.rawValue)
        out.patch(UInt16(truncatingIfNeeded: out.copy(point.measurement)), at: measurementAt)
        for tag in point.tags {
            let at = out.offset
            out.skip(tagHeaderSize)
            let keyLength = out.copy(tag.key)
            let valueLength = out.copy(tag.value)
            out.patch(UInt16(truncatingIfNeeded: keyLength), at: at)
            out.patch(UInt32(truncatingIfNeeded: valueLength), at: at + 2)
        }
        if let added {
            out.put(UInt16(truncatingIfNeeded: added.key.count))
            out.put(UInt32(truncatingIfNeeded: added.value.count))
            added.key.withUnsafeBytes { out.copy($0) }
            added.value.withUnsafeBytes { out.copy($0) }
        }
        for field in point.fields {
            let at = out.offset
            out.skip(fieldHeaderSize)
            out.patch(UInt16(truncatingIfNeeded: out.copy(field.key)), at: at)
            let (type, length) = out.put(field.value)
            out.patch(type.rawValue, at: at + 2)
            out.patch(UInt32(truncatingIfNeeded: length), at: at + 3)
        }
        return out.offset
    }

    /// The record of an owned point (allocates; for tests and tools). It goes through line
    /// protocol and the parser, so that there is one way of filling a record.
    public static func encode(_ point: Point) throws(LineProtocolEncodingError) -> [UInt8] {
        var text: [UInt8] = []
        try LineProtocolEncoder().append(point, to: &text)
        var record: [UInt8] = []
        _ = text.withUnsafeBytes { buffer in
            LineParser().parse(buffer, defaultTime: point.time) { view in
                record = [UInt8](repeating: 0, count: encodedSize(view))
                record.withUnsafeMutableBytes { _ = encode(view, into: $0.baseAddress!) }
            } onError: { _ in }
        }
        return record
    }
}

extension PointRecord {
    /// Whether `point` has a tag keyed `tag.key` (its own value then wins).
    static func has(_ tag: ExtraTag, _ point: PointView) -> Bool {
        point.tags.contains { existing in
            existing.key.withUnescapedBytes { $0.elementsEqual(tag.key) }
        }
    }
}

/// Appends little-endian values and element bytes to a record under construction.
struct RecordWriter {
    let base: UnsafeMutableRawPointer
    var offset = 0

    @inline(__always) mutating func put<T: FixedWidthInteger>(_ value: T) {
        base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
    }

    @inline(__always) mutating func skip(_ count: Int) { offset += count }

    @inline(__always) func patch<T: FixedWidthInteger>(_ value: T, at position: Int) {
        base.storeBytes(of: value.littleEndian, toByteOffset: position, as: T.self)
    }

    /// Copies the unescaped element; returns its length.
    @inline(__always) mutating func copy(_ element: ElementBytes) -> Int {
        let n = element.copyUnescaped(to: (base + offset).assumingMemoryBound(to: UInt8.self))
        offset += n
        return n
    }

    /// Copies raw bytes as they are.
    mutating func copy(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        (base + offset).copyMemory(from: source, byteCount: bytes.count)
        offset += bytes.count
    }

    @inline(__always) mutating func put(_ value: FieldValueView) -> (PointRecord.FieldType, Int) {
        switch value {
        case .float(let x): put(x.bitPattern); return (.float, 8)
        case .int(let x): put(x); return (.int, 8)
        case .uint(let x): put(x); return (.uint, 8)
        case .bool(let x): put(UInt8(x ? 1 : 0)); return (.bool, 1)
        case .string(let s): return (.string, copy(s))
        }
    }
}
