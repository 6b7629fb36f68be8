/// One JSON object per point, as `linemaster parse` prints it:
///
///     {"measurement": "cpu", "tags": [["host", "a"]], "fields": [["usage", "float", "0.5"],
///      ["n", "int", "3"]], "time": 1700000000000000000}
///
/// (on one line). Tags and fields keep input order; values are text: the shortest decimal that
/// reads back to the same double for floats, decimal for integers, `true`/`false`, or the string.
public enum PointJSON {
    /// Appends the JSON object for a borrowed point (no line feed), without making Strings for names.
    public static func append(_ point: PointView, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"measurement": "#.utf8)
        appendString(point.measurement, to: &out)
        out.append(contentsOf: #", "tags": ["#.utf8)
        for (i, tag) in point.tags.enumerated() {
            if i > 0 { out.append(contentsOf: ", ".utf8) }
            out.append(UInt8(ascii: "["))
            appendString(tag.key, to: &out)
            out.append(contentsOf: ", ".utf8)
            appendString(tag.value, to: &out)
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: #"], "fields": ["#.utf8)
        for (i, field) in point.fields.enumerated() {
            if i > 0 { out.append(contentsOf: ", ".utf8) }
            out.append(UInt8(ascii: "["))
            appendString(field.key, to: &out)
            appendValue(field.value, to: &out)
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: #"], "time": "#.utf8)
        out.append(contentsOf: String(point.time).utf8)
        out.append(UInt8(ascii: "}"))
    }

    /// Appends the JSON object for an owned point (no line feed).
    public static func append(_ point: Point, to out: inout [UInt8]) {
        func string(_ s: String) {
            out.append(UInt8(ascii: "\""))
            for b in s.utf8 { appendEscapedByte(b, to: &out) }
            out.append(UInt8(ascii: "\""))
        }
        out.append(contentsOf: #"{"measurement": "#.utf8)
        string(point.measurement)
        out.append(contentsOf: #", "tags": ["#.utf8)
        for (i, tag) in point.tags.enumerated() {
            out.append(contentsOf: (i > 0 ? ", [" : "[").utf8)
            string(tag.key)
            out.append(contentsOf: ", ".utf8)
            string(tag.value)
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: #"], "fields": ["#.utf8)
        for (i, field) in point.fields.enumerated() {
            out.append(contentsOf: (i > 0 ? ", [" : "[").utf8)
            string(field.key)
            out.append(contentsOf: ", \"\(field.value.typeName)\", ".utf8)
            string(field.value.text)
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: #"], "time": "#.utf8)
        out.append(contentsOf: String(point.time).utf8)
        out.append(UInt8(ascii: "}"))
    }

    /// The JSON object for an owned point (no line feed).
    public static func string(for point: Point) -> String {
        var out: [UInt8] = []
        append(point, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendValue(_ value: FieldValueView, to out: inout [UInt8]) {
        func text(_ type: String, _ s: String) {
            out.append(contentsOf: ", \"\(type)\", \"\(s)\"".utf8)
        }
        switch value {
        case .float(let x): text("float", x.description)
        case .int(let x): text("int", String(x))
        case .uint(let x): text("uint", String(x))
        case .bool(let b): text("bool", b ? "true" : "false")
        case .string(let s):
            out.append(contentsOf: #", "string", "#.utf8)
            appendString(s, to: &out)
        }
    }

    /// Appends the unescaped element as a JSON string literal.
    static func appendString(_ element: ElementBytes, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if element.needsUnescaping {
            element.rule.forEachUnescaped(element.raw) { appendEscapedByte($0, to: &out) }
        } else {
            for b in element.raw { appendEscapedByte(b, to: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// JSON escaping of one byte of valid UTF-8: quote, backslash and control characters.
    @inline(__always)
    static func appendEscapedByte(_ b: UInt8, to out: inout [UInt8]) {
        switch b {
        case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
        case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
        case 0x0A: out.append(contentsOf: #"\n"#.utf8)
        case 0x0D: out.append(contentsOf: #"\r"#.utf8)
        case 0x09: out.append(contentsOf: #"\t"#.utf8)
        case 0x00..<0x20:
            let hex = Array("0123456789abcdef".utf8)
            out.append(contentsOf: #"\u00"#.utf8)
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0xF)])
        default: out.append(b)
        }
    }
}
