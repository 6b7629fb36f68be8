/// Writes points as line protocol that ``LineParser`` (and the reference) reads back unchanged.
public struct LineProtocolEncoder: Sendable {
    /// The unit timestamps are written in; times are divided by it, rounding toward zero.
    public var precision: Precision

    /// An encoder that writes timestamps in `precision`.
    public init(precision: Precision = .nanoseconds) {
        self.precision = precision
    }

    /// Appends `point` as one line, ending in a line feed, to `out`.
    /// Throws when the point cannot be written (see ``LineProtocolEncodingError``); `out` is then unchanged.
    public func append(_ point: Point, to out: inout [UInt8]) throws(LineProtocolEncodingError) {
        try validate(point)
        appendSeriesKeyUnchecked(measurement: point.measurement, tags: point.tags, to: &out)
        for (i, field) in point.fields.enumerated() {
            appendField(field.key, field.value, first: i == 0, to: &out)
        }
        appendTime(point.time, to: &out)
    }

    /// `point` as one line of line protocol, ending in a line feed.
    public func encode(_ point: Point) throws(LineProtocolEncodingError) -> String {
        var out: [UInt8] = []
        try append(point, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `measurement,key=value,...` (escaped, no trailing space): the part of a line that
    /// names a series, for writers that build lines piece by piece and cache it.
    public func appendSeriesKey(measurement: String, tags: [Point.Tag], to out: inout [UInt8]) throws(LineProtocolEncodingError) {
        try validate(Point(measurement: measurement, tags: tags, fields: [.init("f", .bool(true))], time: 0))
        appendSeriesKeyUnchecked(measurement: measurement, tags: tags, to: &out)
    }

    /// Appends ` key=value` for the first field of a line, `,key=value` for the others.
    /// The key must be a valid name and a float finite (``append(_:to:)`` checks both).
    public func appendField(_ key: String, _ value: FieldValue, first: Bool, to out: inout [UInt8]) {
        out.append(first ? UInt8(ascii: " ") : UInt8(ascii: ","))
        EscapeRule.name.appendEscaped(key.utf8, to: &out)
        out.append(UInt8(ascii: "="))
        switch value {
        case .float(let x):
            out.append(contentsOf: x.description.utf8)
        case .int(let x):
            Self.appendDecimal(x, to: &out)
            out.append(UInt8(ascii: "i"))
        case .uint(let x):
            Self.appendDecimal(x, to: &out)
            out.append(UInt8(ascii: "u"))
        case .bool(let b):
            out.append(contentsOf: (b ? "true" : "false").utf8)
        case .string(let s):
            out.append(UInt8(ascii: "\""))
            EscapeRule.string.appendEscaped(s.utf8, to: &out)
            out.append(UInt8(ascii: "\""))
        }
    }

    /// Appends ` <time in units of the precision>` and the line feed that ends a line.
    public func appendTime(_ nanoseconds: Int64, to out: inout [UInt8]) {
        out.append(UInt8(ascii: " "))
        Self.appendDecimal(precision.units(fromNanoseconds: nanoseconds), to: &out)
        out.append(UInt8(ascii: "\n"))
    }

    private func appendSeriesKeyUnchecked(measurement: String, tags: [Point.Tag], to out: inout [UInt8]) {
        EscapeRule.measurement.appendEscaped(measurement.utf8, to: &out)
        for tag in tags {
            out.append(UInt8(ascii: ","))
            EscapeRule.name.appendEscaped(tag.key.utf8, to: &out)
            out.append(UInt8(ascii: "="))
            EscapeRule.name.appendEscaped(tag.value.utf8, to: &out)
        }
    }
}

extension LineProtocolEncoder {
    /// Appends the decimal digits of `value` without making a String.
    public static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        appendDecimal(value.magnitude, to: &out)
    }

    /// Appends the decimal digits of `value` without making a String.
    public static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        appendDecimal(Int64(value), to: &out)
    }

    /// Appends the decimal digits of `value` without making a String.
    public static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var v = value
            var n = buffer.count
            repeat {
                n -= 1
                buffer[n] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
            } while v != 0
            out.append(contentsOf: UnsafeBufferPointer(
                start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + n, count: buffer.count - n))
        }
    }
}

/// Why a point cannot be written as line protocol.
public struct LineProtocolEncodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What cannot be written, e.g. `value of tag "k" ends with a backslash`.
    public var message: String
    public var description: String { message }
}

extension LineProtocolEncoder {
    /// Refuses what line protocol cannot carry: empty names or tag values, control characters in
    /// names (CR and LF in tag values), a measurement starting with `#` (a comment), names ending in
    /// a backslash (the separator after it would read as escaped), no fields, NaN and infinities,
    /// and repeated tag keys (the parser rejects them).
    func validate(_ point: Point) throws(LineProtocolEncodingError) {
        func fail(_ message: String) -> LineProtocolEncodingError { LineProtocolEncodingError(message: message) }
        try checkName(point.measurement, "measurement")
        if point.measurement.utf8.first == UInt8(ascii: "#") { throw fail("measurement \"\(point.measurement)\" starts with '#'") }
        var seen = Set<String>()
        for tag in point.tags {
            try checkName(tag.key, "tag key")
            guard seen.insert(tag.key).inserted else { throw fail("duplicate tag key \"\(tag.key)\"") }
            let v = Array(tag.value.utf8)
            if v.isEmpty { throw fail("empty value for tag \"\(tag.key)\"") }
            if v.contains(0x0A) || v.contains(0x0D) { throw fail("line break in value of tag \"\(tag.key)\"") }
            if v.last == 0x5C { throw fail("value of tag \"\(tag.key)\" ends with a backslash") }
        }
        if point.fields.isEmpty { throw fail("point has no fields") }
        for field in point.fields {
            try checkName(field.key, "field key")
            if case .float(let x) = field.value, !x.isFinite { throw fail("field \"\(field.key)\" is \(x)") }
        }
    }

    private func checkName(_ name: String, _ what: String) throws(LineProtocolEncodingError) {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { throw LineProtocolEncodingError(message: "empty \(what)") }
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw LineProtocolEncodingError(message: "control character in \(what) \(name.debugDescription)")
        }
        if bytes.last == 0x5C { throw LineProtocolEncodingError(message: "\(what) \"\(name)\" ends with a backslash") }
    }
}
