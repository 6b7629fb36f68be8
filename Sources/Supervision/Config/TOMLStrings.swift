// The four kinds of TOML strings: basic "...", literal '...', and their multi-line forms.
extension TOMLCursor {
    /// Reads any string starting at the cursor (which is at a `"` or `'`).
    mutating func readString() throws(TOMLSyntaxError) -> String {
        if hasPrefix("\"\"\"") { return try readMultiLineString(quote: UInt8(ascii: "\""), escapes: true) }
        if hasPrefix("'''") { return try readMultiLineString(quote: UInt8(ascii: "'"), escapes: false) }
        return try readSingleLineString()
    }

    /// Reads a `"basic"` or `'literal'` string, the kinds that may also be keys.
    mutating func readSingleLineString() throws(TOMLSyntaxError) -> String {
        let quote = current!
        let escapes = quote == UInt8(ascii: "\"")
        advance()
        var text: [UInt8] = []
        while true {
            guard let byte = current, byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else {
                let multi = escapes ? "\"\"\"" : "'''"
                throw error("unterminated string: it must end on its line (use \(multi) for text over several lines)")
            }
            if byte == quote {
                advance()
                return String(decoding: text, as: UTF8.self)
            }
            if escapes && byte == UInt8(ascii: "\\") {
                text += try readEscape()
            } else {
                try appendLiteral(byte, to: &text)
            }
        }
    }

    /// Reads `"""..."""` or `'''...'''`. A line end right after the opening quotes is dropped,
    /// and up to two quotes may directly precede the closing ones, as TOML specifies.
    private mutating func readMultiLineString(quote: UInt8, escapes: Bool) throws(TOMLSyntaxError) -> String {
        let startLine = line
        advance(by: 3)
        _ = try consumeNewline()
        var text: [UInt8] = []
        while true {
            guard let byte = current else {
                throw TOMLSyntaxError(line: startLine, reason: "unterminated multi-line string")
            }
            if byte == quote, peek(1) == quote, peek(2) == quote {
                let quotes = take { $0 == quote }.count
                guard quotes <= 5 else { throw error("too many quotes at the end of a multi-line string") }
                text += Array(repeating: quote, count: quotes - 3)
                return String(decoding: text, as: UTF8.self)
            }
            if try consumeNewline() {
                text.append(UInt8(ascii: "\n"))
            } else if escapes && byte == UInt8(ascii: "\\") {
                if try !skipLineEndingBackslash() { text += try readEscape() }
            } else {
                try appendLiteral(byte, to: &text)
            }
        }
    }

    private mutating func appendLiteral(_ byte: UInt8, to text: inout [UInt8]) throws(TOMLSyntaxError) {
        if isForbiddenControl(byte) {
            throw error("control character \(unicodeName(byte)) in a string: write it as an escape")
        }
        text.append(byte)
        advance()
    }

    /// A `\` at the end of a line joins the next non-blank text to this line.
    private mutating func skipLineEndingBackslash() throws(TOMLSyntaxError) -> Bool {
        var distance = 1
        while peek(distance) == UInt8(ascii: " ") || peek(distance) == UInt8(ascii: "\t") { distance += 1 }
        guard peek(distance) == UInt8(ascii: "\n") || peek(distance) == UInt8(ascii: "\r") else { return false }
        advance(by: distance)
        while true {
            if current == UInt8(ascii: " ") || current == UInt8(ascii: "\t") {
                advance()
            } else if try !consumeNewline() {
                return true
            }
        }
    }

    /// Reads `\n`, `\uXXXX` and the other escapes of basic strings; returns their UTF-8 bytes.
    private mutating func readEscape() throws(TOMLSyntaxError) -> [UInt8] {
        advance()
        guard let letter = current else { throw error("unterminated string") }
        advance()
        switch letter {
        case UInt8(ascii: "b"): return [0x08]
        case UInt8(ascii: "t"): return [0x09]
        case UInt8(ascii: "n"): return [0x0A]
        case UInt8(ascii: "f"): return [0x0C]
        case UInt8(ascii: "r"): return [0x0D]
        case UInt8(ascii: "\""): return [0x22]
        case UInt8(ascii: "\\"): return [0x5C]
        case UInt8(ascii: "u"): return try readUnicodeEscape(digits: 4)
        case UInt8(ascii: "U"): return try readUnicodeEscape(digits: 8)
        default:
            let shown = String(decoding: [letter], as: UTF8.self)
            throw error("invalid escape \\\(shown): use \\\\ for a backslash")
        }
    }

    private mutating func readUnicodeEscape(digits: Int) throws(TOMLSyntaxError) -> [UInt8] {
        var hex = ""
        for _ in 0..<digits {
            guard let byte = current, Character(Unicode.Scalar(byte)).isHexDigit else {
                throw error("a \\\(digits == 4 ? "u" : "U") escape needs \(digits) hexadecimal digits")
            }
            hex.append(Character(Unicode.Scalar(byte)))
            advance()
        }
        guard let scalar = UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init) else {
            throw error("escape \\\(digits == 4 ? "u" : "U")\(hex) is not a Unicode scalar value")
        }
        return Array(String(Character(scalar)).utf8)
    }
}
