extension Scanner {
    /// Reads the optional timestamp and the end of the line. Returns the time in nanoseconds.
    @inline(__always)
    mutating func scanTimestamp(precision: Precision, defaultTime: Int64) throws(ScanFailure) -> Int64 {
        skipSpaces()
        let start = pos
        while pos < end && table[Int(p[pos])] & ByteClass.fieldValueStop == 0 { pos += 1 }
        var time = defaultTime
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
        try scanLineEnd()
        return time
    }

    /// Consumes LF or CRLF, or accepts the end of input.
    @inline(__always)
    mutating func scanLineEnd() throws(ScanFailure) {
        guard pos < end else { return }
        switch p[pos] {
        case UInt8(ascii: "\n"):
            pos += 1
        case UInt8(ascii: "\r"):
            guard pos + 1 < end && p[pos + 1] == UInt8(ascii: "\n") else {
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
