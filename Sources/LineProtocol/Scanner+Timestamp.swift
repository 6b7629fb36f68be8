extension Scanner {
    /// Reads the optional timestamp and the end of the line. Returns the time in nanoseconds.
    @inline(__always)
    mutating func scanTimestamp(precision: Precision, defaultTime: Int64) throws(ScanFailure) -> Int64 {
        skipSpaces()
        let start = pos
        var time = defaultTime
        if let units = scanShortInteger() {
            guard let ns = precision.nanoseconds(fromUnits: units) else {
                throw ScanFailure(.timestampOutOfRange(start..<pos), at: start)
            }
            time = ns
            skipSpaces()
        } else {
            pos = tokenEnd(from: start)
            if pos > start {
                do throws(NumberProblem) {
                    let units = try NumberParsing.int64(p, start, pos)
                    guard let ns = precision.nanoseconds(fromUnits: units) else { throw NumberProblem.outOfRange }
                    time = ns
                } catch .outOfRange {
                    throw ScanFailure(.timestampOutOfRange(start..<pos), at: start)
                } catch {
                    throw ScanFailure(.invalidTimestamp(start..<pos), at: start)
                }
                skipSpaces()
            }
        }
        try scanLineEnd()
        return time
    }

    /// The common timestamp in one pass: an optional `-` and 1 to 19 digits followed by a token end.
    /// Returns `nil` (and leaves `pos`) for anything else, which the general path then handles.
    @inline(__always)
    mutating func scanShortInteger() -> Int64? {
        var i = pos
        let negative = i < end && p[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        let digitsStart = i
        var value: UInt64 = 0
        while i < end {
            let d = p[i] &- UInt8(ascii: "0")
            if d >= 10 { break }
            value = value &* 10 &+ UInt64(d)
            i += 1
        }
        let digits = i - digitsStart
        guard digits > 0 && digits <= 19 && value <= UInt64(Int64.max)
            && (i == end || table[Int(p[i])] & ByteClass.fieldValueStop != 0) else {
            return nil
        }
        pos = i
        return negative ? -Int64(value) : Int64(value)
    }

    /// Consumes LF or CRLF, or accepts the end of input (a CR just before it too, as the reference does).
    @inline(__always)
    mutating func scanLineEnd() throws(ScanFailure) {
        guard pos < end else { return }
        switch p[pos] {
        case UInt8(ascii: "\n"):
            pos += 1
        case UInt8(ascii: "\r"):
            if pos + 1 == end {
                pos += 1
                return
            }
            guard p[pos + 1] == UInt8(ascii: "\n") else {
                throw ScanFailure(.carriageReturnWithoutLineFeed, at: pos)
            }
            pos += 2
        default:
            let start = pos
            while pos < end && p[pos] != UInt8(ascii: "\n") && p[pos] != UInt8(ascii: "\r") { pos += 1 }
            throw ScanFailure(.unexpectedAfterTimestamp(start..<pos), at: start)
        }
    }
}
