/// One point, owned: for tests, the encoder and `linemaster parse`. The hot path uses ``PointView``.
public struct Point: Equatable, Hashable, Sendable {
    /// A tag: key and value, unescaped.
    public struct Tag: Equatable, Hashable, Sendable {
        /// The tag key.
        public var key: String
        /// The tag value, never empty in a parsed point.
        public var value: String
        /// A tag `key=value`.
        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    /// A field: key, unescaped, and typed value.
    public struct Field: Equatable, Hashable, Sendable {
        /// The field key.
        public var key: String
        /// The typed value.
        public var value: FieldValue
        /// A field `key=value`.
        public init(_ key: String, _ value: FieldValue) {
            self.key = key
            self.value = value
        }
    }

    /// The measurement name, unescaped.
    public var measurement: String
    /// Tags in input order.
    public var tags: [Tag]
    /// Fields in input order.
    public var fields: [Field]
    /// Nanoseconds since the Unix epoch.
    public var time: Int64

    /// A point; `time` is in nanoseconds since the Unix epoch.
    public init(measurement: String, tags: [Tag] = [], fields: [Field], time: Int64) {
        self.measurement = measurement
        self.tags = tags
        self.fields = fields
        self.time = time
    }

    /// Copies a borrowed point.
    public init(_ view: PointView) {
        measurement = view.measurement.makeString()
        tags = view.tags.map { Tag($0.key.makeString(), $0.value.makeString()) }
        fields = view.fields.map { Field($0.key.makeString(), $0.value.owned) }
        time = view.time
    }
}

extension LineParser {
    /// Parses `input` into owned points and errors (allocates; for tests and tools).
    public func parseAll(_ input: some Sequence<UInt8>, defaultTime: Int64 = 0) -> (points: [Point], errors: [LineProtocolError]) {
        var points: [Point] = []
        var errors: [LineProtocolError] = []
        let bytes = Array(input)
        bytes.withUnsafeBytes { buffer in
            parse(buffer, defaultTime: defaultTime) { points.append(Point($0)) } onError: { errors.append($0) }
        }
        return (points, errors)
    }
}
