extension Scanner {
    /// Reads the field set. Returns `true` when a space follows it (a timestamp may come next).
    @inline(__always)
    mutating func scanFields() throws(ScanFailure) -> Bool {
        fields.removeAll()
        while true {
            let keyStart = pos
            let key = scanElement(stop: ByteClass.keyStop, escapable: ByteClass.nameEscapable)
            if pos == keyStart { throw ScanFailure(.expectedFieldKey(found: byte(at: pos)), at: pos) }
            let keyEnd = pos
            guard pos < end && p[pos] == UInt8(ascii: "=") else {
                throw ScanFailure(.expectedEqualsAfterFieldKey(key: keyStart..<keyEnd, found: byte(at: pos)), at: pos)
            }
            if key.nonASCII { try checkUTF8(keyStart, keyEnd, .fieldKey) }
            pos += 1
            let value = try scanFieldValue(key: keyStart..<keyEnd)
            fields.append(RawField(key: element(keyStart, keyEnd, escaped: key.escaped, .name), value: value))
            guard pos < end else { return false }
            switch p[pos] {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: " "): return true
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"): return false
            default: throw ScanFailure(.unexpectedAfterFieldValue(p[pos]), at: pos)
            }
        }
    }

    /// Reads one field value: a quoted string, or a token up to `,`, space or end of line whose
    /// first character decides its type (digit, `-` or `.`: number; t/T/f/F: boolean).
    @inline(__always)
    mutating func scanFieldValue(key: Range<Int>) throws(ScanFailure) -> FieldValueView {
        guard pos < end else { throw ScanFailure(.expectedFieldValue(key: key), at: pos) }
        if p[pos] == UInt8(ascii: "\"") { return try scanString(key: key) }
        let start = pos
        pos = tokenEnd(from: start)
        if pos == start { throw ScanFailure(.expectedFieldValue(key: key), at: start) }
        return try decodeValue(start, pos, key: key)
    }

    @inline(__always)
    func decodeValue(_ start: Int, _ stop: Int, key: Range<Int>) throws(ScanFailure) -> FieldValueView {
        var kind = ValueKind.unrecognized
        do throws(NumberProblem) {
            switch p[start] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."):
                switch p[stop - 1] {
                case UInt8(ascii: "i"):
                    kind = .integer
                    return .int(try NumberParsing.int64(p, start, stop - 1))
                case UInt8(ascii: "u"):
                    kind = .unsigned
                    return .uint(try NumberParsing.uint64(p, start, stop - 1))
                default:
                    kind = .float
                    return .float(try NumberParsing.double(p, start, stop))
                }
            case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"):
                kind = .boolean
                if let b = NumberParsing.bool(p, start, stop) { return .bool(b) }
                throw NumberProblem.syntax
            default:
                throw NumberProblem.syntax
            }
        } catch .outOfRange {
            throw ScanFailure(.fieldValueOutOfRange(key: key, value: start..<stop, kind: kind), at: start)
        } catch {
            throw ScanFailure(.invalidFieldValue(key: key, value: start..<stop, kind: kind), at: start)
        }
    }

    /// Reads a quoted string (which may span lines). Without a closing quote, the line is rejected
    /// and scanning resumes on the line after the opening quote, so one stray quote costs one line.
    @inline(__always)
    mutating func scanString(key: Range<Int>) throws(ScanFailure) -> FieldValueView {
        let quote = pos
        pos += 1
        let start = pos
        var escaped = false
        var seen: UInt16 = 0
        while pos < end {
            let c = table[Int(p[pos])]
            if c & ByteClass.stringSpecial == 0 {
                pos += 1
                continue
            }
            let b = p[pos]
            if b == UInt8(ascii: "\"") { break }
            if b == UInt8(ascii: "\\") && pos + 1 < end && (p[pos + 1] == UInt8(ascii: "\"") || p[pos + 1] == UInt8(ascii: "\\")) {
                escaped = true
                pos += 2
                continue
            }
            if b == UInt8(ascii: "\n") { newlinesInStrings += 1 }
            seen |= c
            pos += 1
        }
        guard pos < end else {
            throw ScanFailure(.unterminatedString(key: key), at: quote, resume: lineEnd(after: quote))
        }
        let text = element(start, pos, escaped: escaped, .string)
        pos += 1
        if seen & ByteClass.nonASCII != 0 { try checkUTF8(start, pos - 1, .stringValue) }
        return .string(text)
    }

    /// The end of an unquoted field value or timestamp starting at `start`: the next `,`, space, CR or LF.
    @inline(__always)
    func tokenEnd(from start: Int) -> Int {
        var i = start
        while i < end && table[Int(p[i])] & ByteClass.fieldValueStop == 0 { i += 1 }
        return i
    }

    /// The offset just after the first LF at or after `offset` (or the end of input).
    func lineEnd(after offset: Int) -> Int {
        var i = offset
        while i < end && p[i] != UInt8(ascii: "\n") { i += 1 }
        return i < end ? i + 1 : end
    }
}
