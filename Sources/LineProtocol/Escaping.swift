/// Which characters a backslash escapes in one kind of line protocol element.
///
/// A backslash followed by a character the rule escapes stands for that character; any other
/// backslash is an ordinary character (so `a\b` is the three bytes `a\b`, and `a\\,b` in a tag
/// value is `a\,b`). This is what the reference decoder does.
public enum EscapeRule: UInt8, Sendable {
    /// Measurement names: `\,` and `\ ` (space).
    case measurement
    /// Tag keys, tag values and field keys: `\,`, `\=` and `\ `.
    case name
    /// Quoted string field values: `\"` and `\\`.
    case string

    /// Whether a backslash followed by `byte` is an escape sequence under this rule.
    @inline(__always)
    public func escapes(_ byte: UInt8) -> Bool {
        switch self {
        case .measurement: return byte == 0x2C || byte == 0x20
        case .name: return byte == 0x2C || byte == 0x20 || byte == 0x3D
        case .string: return byte == 0x22 || byte == 0x5C
        }
    }

    /// Calls `body` with each byte of `raw` after removing the escapes of this rule.
    @inline(__always)
    func forEachUnescaped(_ raw: UnsafeBufferPointer<UInt8>, _ body: (UInt8) throws -> Void) rethrows {
        var i = 0
        while i < raw.count {
            let b = raw[i]
            if b == 0x5C && i + 1 < raw.count && escapes(raw[i + 1]) {
                try body(raw[i + 1])
                i += 2
            } else {
                try body(b)
                i += 1
            }
        }
    }

    /// Appends `text` to `out` with the escapes this rule needs, so that the decoder reads `text` back.
    ///
    /// Backslashes are written as they are: the decoder keeps a backslash that is not followed by an
    /// escapable character. The one text this cannot carry is a name that ends in a backslash (the
    /// separator after it would read as escaped); ``LineProtocolEncoder`` refuses such names.
    public func appendEscaped<S: Sequence>(_ text: S, to out: inout [UInt8]) where S.Element == UInt8 {
        for b in text {
            if escapes(b) { out.append(0x5C) }
            out.append(b)
        }
    }
}
