/// What each input byte means to the scanner, as bits in one table so that the inner loops
/// make one load and one test per byte.
enum ByteClass {
    /// Ends a measurement name: `,`, space and the non-printable bytes 0-31 and 127.
    static let measurementStop: UInt16 = 1 << 0
    /// Ends a tag key or a field key: `,`, `=`, space and the non-printable bytes.
    static let keyStop: UInt16 = 1 << 1
    /// Ends a tag value: `,`, `=`, space, CR and LF (other control bytes are allowed in tag values).
    static let tagValueStop: UInt16 = 1 << 2
    /// Ends an unquoted field value or a timestamp: `,`, space, CR and LF.
    static let fieldValueStop: UInt16 = 1 << 3
    /// A backslash, which may start an escape.
    static let backslash: UInt16 = 1 << 4
    /// A byte of a multi-byte UTF-8 sequence (>= 0x80); such elements are checked for valid UTF-8.
    static let nonASCII: UInt16 = 1 << 5
    /// A byte a backslash escapes in a measurement name: `,` and space.
    static let measurementEscapable: UInt16 = 1 << 6
    /// A byte a backslash escapes in tag keys, tag values and field keys: `,`, `=` and space.
    static let nameEscapable: UInt16 = 1 << 7
    /// A byte that needs attention inside a quoted string: `"`, backslash, LF and non-ASCII.
    static let stringSpecial: UInt16 = 1 << 8
    /// A line feed (counted for line numbers inside quoted strings).
    static let lineFeed: UInt16 = 1 << 9

    /// The table, 256 entries, allocated once and never freed.
    nonisolated(unsafe) static let table: UnsafePointer<UInt16> = {
        let t = UnsafeMutablePointer<UInt16>.allocate(capacity: 256)
        for b in 0..<256 { t[b] = classify(UInt8(b)) }
        return UnsafePointer(t)
    }()

    private static func classify(_ b: UInt8) -> UInt16 {
        let nonPrintable = b < 0x20 || b == 0x7F
        let comma = b == UInt8(ascii: ","), space = b == UInt8(ascii: " "), equals = b == UInt8(ascii: "=")
        let eol = b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r")
        var c: UInt16 = 0
        if comma || space || nonPrintable { c |= measurementStop }
        if comma || space || equals || nonPrintable { c |= keyStop }
        if comma || space || equals || eol { c |= tagValueStop }
        if comma || space || eol { c |= fieldValueStop }
        if b == UInt8(ascii: "\\") { c |= backslash | stringSpecial }
        if b >= 0x80 { c |= nonASCII | stringSpecial }
        if comma || space { c |= measurementEscapable }
        if comma || space || equals { c |= nameEscapable }
        if b == UInt8(ascii: "\"") { c |= stringSpecial }
        if b == UInt8(ascii: "\n") { c |= lineFeed | stringSpecial }
        return c
    }
}
