/// One point, owned: for tests, the encoder and `linemaster parse`. The hot path uses ``PointView``.
public struct Point: Equatable, Hashable, Sendable {
    /// A tag: key and value, unescaped.
    public struct Tag: Equatable, Hashable, Sendable {
        public var key: String
        public var value: String
        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    /// A field: key, unescaped, and typed value.
    public struct Field: Equatable, Hashable, Sendable {
        public var key: String
        public var value: FieldValue
        public init(_ key: String, _ value: FieldValue) {
            self.key = key
            self.value = value
        }
    }

    public var measurement: String
    /// Tags in input order.
    public var tags: [Tag]
    /// Fields in input order.
    public var fields: [Field]
    /// Nanoseconds since the Unix epoch.
    public var time: Int64

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
