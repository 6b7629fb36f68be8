/// A syntax error of a TOML document: where it is and what is wrong.
struct TOMLSyntaxError: Error {
    var line: Int
    var reason: String
}

/// Walks the UTF-8 bytes of a TOML document and counts lines.
///
/// Every piece of the reader consumes input through `advance()`, so the line count is right
/// wherever an error is raised, also inside multi-line strings and arrays.
struct TOMLCursor {
    private let bytes: [UInt8]
    private(set) var offset = 0
    private(set) var line = 1

    init(_ text: String) {
        // A byte order mark, which some editors write, is skipped rather than read as a key.
        let utf8 = Array(text.utf8)
        bytes = utf8.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(utf8.dropFirst(3)) : utf8
    }

    var isAtEnd: Bool { offset >= bytes.count }
    var current: UInt8? { peek(0) }

    func peek(_ distance: Int) -> UInt8? {
        offset + distance < bytes.count ? bytes[offset + distance] : nil
    }

    func hasPrefix(_ prefix: String) -> Bool {
        prefix.utf8.enumerated().allSatisfy { peek($0.offset) == $0.element }
    }

    mutating func advance(by count: Int = 1) {
        for _ in 0..<count where !isAtEnd {
            if bytes[offset] == UInt8(ascii: "\n") { line += 1 }
            offset += 1
        }
    }

    /// Consumes bytes while `predicate` holds and returns them.
    mutating func take(while predicate: (UInt8) -> Bool) -> [UInt8] {
        let start = offset
        while let byte = current, predicate(byte) { advance() }
        return Array(bytes[start..<offset])
    }

    func error(_ reason: String) -> TOMLSyntaxError { TOMLSyntaxError(line: line, reason: reason) }

    /// The next character in words, for messages: `"x"`, `end of line`, `end of file`.
    var currentDescription: String {
        guard let byte = current else { return "end of file" }
        if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { return "end of line" }
        let scalarEnd = bytes[offset...].dropFirst().firstIndex { $0 & 0xC0 != 0x80 } ?? bytes.count
        return "\"" + String(decoding: bytes[offset..<scalarEnd], as: UTF8.self) + "\""
    }
}

// Whitespace, comments and line ends, which TOML allows in different places.
extension TOMLCursor {
    mutating func skipSpaces() {
        _ = take { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    }

    /// Consumes `\n` or `\r\n`; returns false when the cursor is not at a line end.
    mutating func consumeNewline() throws(TOMLSyntaxError) -> Bool {
        if current == UInt8(ascii: "\n") {
            advance()
            return true
        }
        guard current == UInt8(ascii: "\r") else { return false }
        guard peek(1) == UInt8(ascii: "\n") else { throw error("carriage return without a line feed") }
        advance(by: 2)
        return true
    }

    /// Consumes a `#` comment up to (not including) the line end, if there is one.
    mutating func skipComment() throws(TOMLSyntaxError) {
        guard current == UInt8(ascii: "#") else { return }
        while let byte = current, byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") {
            if isForbiddenControl(byte) { throw error("control character \(unicodeName(byte)) in a comment") }
            advance()
        }
    }

    /// Spaces, comments and line ends, as allowed between the elements of an array.
    mutating func skipBlankLines() throws(TOMLSyntaxError) {
        while true {
            skipSpaces()
            try skipComment()
            guard try consumeNewline() else { return }
        }
    }

    /// After a statement only spaces and a comment may follow on its line.
    mutating func expectLineEnd(after what: String) throws(TOMLSyntaxError) {
        skipSpaces()
        try skipComment()
        guard !isAtEnd, try !consumeNewline() else { return }
        throw error("unexpected \(currentDescription) after \(what): expected the end of the line")
    }
}

/// TOML forbids raw control characters other than tab in strings and comments.
func isForbiddenControl(_ byte: UInt8) -> Bool {
    (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F
}

func unicodeName(_ byte: UInt8) -> String {
    let hex = String(byte, radix: 16, uppercase: true)
    return "U+" + String(repeating: "0", count: 4 - hex.count) + hex
}
