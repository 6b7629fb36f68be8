import LineProtocol

/// JSON written by hand into a ``ByteBuffer``: tags as strings, fields as typed values. Input is
/// UTF-8 already validated by the parser, so only quotes, backslashes and control characters need
/// escaping.
extension ByteBuffer {
    @inline(__always) func appendJSONString(_ bytes: UnsafeBufferPointer<UInt8>) {
        append(UInt8(ascii: "\""))
        var start = 0
        for i in 0..<bytes.count {
            let byte = bytes[i]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            append(UnsafeBufferPointer(rebasing: bytes[start..<i]))
            appendJSONEscape(byte)
            start = i + 1
        }
        append(UnsafeBufferPointer(rebasing: bytes[start...]))
        append(UInt8(ascii: "\""))
    }

    private func appendJSONEscape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): append("\\\"")
        case UInt8(ascii: "\\"): append("\\\\")
        case UInt8(ascii: "\n"): append("\\n")
        case UInt8(ascii: "\r"): append("\\r")
        case UInt8(ascii: "\t"): append("\\t")
        default:
            let hex: StaticString = "0123456789abcdef"
            append("\\u00")
            append(hex.utf8Start[Int(byte >> 4)])
            append(hex.utf8Start[Int(byte & 0xF)])
        }
    }

    /// A field value keeps its type: numbers, booleans and strings. JSON has no NaN or infinity:
    /// those become the strings PostgreSQL prints for them.
    @inline(__always) func appendJSONValue(_ value: PointRecordView.Value) {
        switch value {
        case .float(let x) where !x.isFinite:
            append(x.isNaN ? "\"NaN\"" : x < 0 ? "\"-Infinity\"" : "\"Infinity\"")
        case .float(let x): appendDecimal(x)
        case .int(let x): appendDecimal(x)
        case .uint(let x): appendDecimal(x)
        case .bool(let x): append(x ? "true" : "false")
        case .string(let s): appendJSONString(s)
        }
    }

    /// Starts a member of a JSON object: a comma unless it is the first, the key, a colon.
    @inline(__always) func appendJSONMember(_ key: UnsafeBufferPointer<UInt8>, first: inout Bool) {
        if !first { append(UInt8(ascii: ",")) }
        first = false
        appendJSONString(key)
        append(UInt8(ascii: ":"))
    }

    /// The shortest text that reads back as the same double (Swift's `description`, which stays in
    /// the small-string storage and does not allocate for ordinary values).
    @inline(__always) func appendDecimal(_ x: Double) {
        var text = x.description
        text.withUTF8 { append($0) }
    }

    @inline(__always) func appendDecimal(_ x: Int64) {
        if x < 0 {
            append(UInt8(ascii: "-"))
            appendDecimal(x.magnitude)
        } else {
            appendDecimal(UInt64(x))
        }
    }

    @inline(__always) func appendDecimal(_ x: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, enough for 20 digits
        withUnsafeMutableBytes(of: &digits) { scratch in
            var n = x
            var i = scratch.count
            repeat {
                i -= 1
                scratch[i] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
            } while n > 0
            append(UnsafeBufferPointer(rebasing: scratch.bindMemory(to: UInt8.self)[i...]))
        }
    }
}
