/// A parsed line, borrowed from the input buffer and the parser's scratch space.
///
/// Valid only while the handler passed to ``LineParser/parse(_:defaultTime:onPoint:onError:)``
/// runs: copy what you need (``ElementBytes/copyUnescaped(to:)``) or make a ``Point``.
public struct PointView {
    /// The measurement name.
    public let measurement: ElementBytes
    /// The tags in input order (not sorted; duplicate keys were rejected).
    public let tags: Tags
    /// The fields in input order, at least one.
    public let fields: Fields
    /// The time in nanoseconds since the Unix epoch (the default time when the line had none).
    public let time: Int64
    /// The 1-based line on which the point starts.
    public let line: Int

    /// One tag: key and value.
    public struct Tag {
        /// The tag key (``EscapeRule/name``).
        public let key: ElementBytes
        /// The tag value (``EscapeRule/name``), never empty.
        public let value: ElementBytes
    }

    /// One field: key and decoded value.
    public struct Field {
        /// The field key (``EscapeRule/name``).
        public let key: ElementBytes
        /// The decoded value.
        public let value: FieldValueView
    }

    /// The tags of a point, a random-access collection of ``Tag`` that does not allocate.
    public struct Tags: RandomAccessCollection {
        let storage: UnsafeBufferPointer<RawTag>
        public var startIndex: Int { 0 }
        public var endIndex: Int { storage.count }
        @inline(__always)
        /// The tag at `position`, in input order.
        public subscript(position: Int) -> Tag { storage[position].view }
    }

    /// The fields of a point, a random-access collection of ``Field`` that does not allocate.
    public struct Fields: RandomAccessCollection {
        let storage: UnsafeBufferPointer<RawField>
        public var startIndex: Int { 0 }
        public var endIndex: Int { storage.count }
        @inline(__always)
        /// The field at `position`, in input order.
        public subscript(position: Int) -> Field { storage[position].view }
    }
}

/// A tag as the scanner records it.
struct RawTag {
    var key: ElementBytes
    var value: ElementBytes

    var view: PointView.Tag { PointView.Tag(key: key, value: value) }
}

/// A field as the scanner records it.
struct RawField {
    var key: ElementBytes
    var value: FieldValueView

    var view: PointView.Field { PointView.Field(key: key, value: value) }
}
