/// The single pass over one buffer of line protocol. It records the current line's tags and fields
/// in scratch arrays it owns for the duration of a parse (no allocation unless a line has more tags
/// or fields than any line before it).
struct Scanner {
    let p: UnsafePointer<UInt8>
    let end: Int
    let table: UnsafePointer<UInt16>
    var pos = 0

    var tags: ScratchArray<RawTag>
    var fields: ScratchArray<RawField>
    /// Line feeds inside quoted strings of the current line (for line numbers).
    var newlinesInStrings = 0

    @inline(__always)
    func byte(at i: Int) -> UInt8? { i < end ? p[i] : nil }

    @inline(__always)
    func element(_ start: Int, _ stop: Int, escaped: Bool, _ rule: EscapeRule) -> ElementBytes {
        ElementBytes(raw: UnsafeBufferPointer(start: p + start, count: stop - start), needsUnescaping: escaped, rule: rule)
    }

    /// Skips spaces, blank lines (LF or CRLF) and `#` comment lines. Returns `false` at end of input.
    mutating func skipToEntry(line: inout Int) -> Bool {
        while pos < end {
            switch p[pos] {
            case UInt8(ascii: " "):
                pos += 1
            case UInt8(ascii: "\n"):
                pos += 1
                line += 1
            case UInt8(ascii: "\r") where pos + 1 < end && p[pos + 1] == UInt8(ascii: "\n"):
                pos += 2
                line += 1
            case UInt8(ascii: "#"):
                while pos < end && p[pos] != UInt8(ascii: "\n") { pos += 1 }
            default:
                return true
            }
        }
        return false
    }

    @inline(__always)
    mutating func skipSpaces() {
        var i = pos
        while i < end && p[i] == UInt8(ascii: " ") { i += 1 }
        pos = i
    }

    /// Advances over an element that ends at a byte of class `stop`; a backslash followed by a byte
    /// of class `escapable` escapes it. Returns whether an escape was seen and whether any byte was
    /// non-ASCII.
    @inline(__always)
    mutating func scanElement(stop: UInt16, escapable: UInt16) -> (escaped: Bool, nonASCII: Bool) {
        var i = pos
        var seen: UInt16 = 0
        var escaped = false
        while i < end {
            let c = table[Int(p[i])]
            if c & (stop | ByteClass.backslash) == 0 {
                seen |= c
                i += 1
            } else if c & ByteClass.backslash == 0 {
                break
            } else if i + 1 < end && table[Int(p[i + 1])] & escapable != 0 {
                escaped = true
                i += 2
            } else {
                i += 1
            }
        }
        pos = i
        return (escaped, seen & ByteClass.nonASCII != 0)
    }

    @inline(__always)
    func checkUTF8(_ start: Int, _ stop: Int, _ kind: ElementKind) throws(ScanFailure) {
        guard isValidUTF8(UnsafeBufferPointer(start: p + start, count: stop - start)) else {
            throw ScanFailure(.invalidUTF8(kind, start..<stop), at: start)
        }
    }

    /// Reads the measurement name at the start of a line.
    @inline(__always)
    mutating func scanMeasurement() throws(ScanFailure) -> ElementBytes {
        let start = pos
        let (escaped, nonASCII) = scanElement(stop: ByteClass.measurementStop, escapable: ByteClass.measurementEscapable)
        if pos == start { throw ScanFailure(.invalidMeasurementStart(p[start]), at: start) }
        if nonASCII { try checkUTF8(start, pos, .measurement) }
        return element(start, pos, escaped: escaped, .measurement)
    }
}
