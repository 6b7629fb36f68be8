// Values: strings and scalars come from the cursor; arrays and inline tables nest values.
extension TOMLParser {
    mutating func parseValue() throws(TOMLSyntaxError) -> TOMLValue {
        let line = cursor.line
        switch cursor.current {
        case UInt8(ascii: "\""), UInt8(ascii: "'"): return TOMLValue(.string(try cursor.readString()), line: line)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            // Bounded so that a malformed file cannot exhaust the stack.
            guard nesting < 64 else { throw cursor.error("arrays and inline tables are nested too deeply") }
            nesting += 1
            defer { nesting -= 1 }
            return try cursor.current == UInt8(ascii: "[") ? parseArray() : parseInlineTable()
        default: return TOMLValue(try cursor.readBareValue(), line: line)
        }
    }

    /// `[ value, value, ]` over any number of lines, with comments between the values.
    private mutating func parseArray() throws(TOMLSyntaxError) -> TOMLValue {
        let line = cursor.line
        cursor.advance()
        var elements: [TOMLValue] = []
        while true {
            try cursor.skipBlankLines()
            if cursor.current == UInt8(ascii: "]") { break }
            guard !cursor.isAtEnd else { throw TOMLSyntaxError(line: line, reason: "unterminated array: expected \"]\"") }
            elements.append(try parseValue())
            try cursor.skipBlankLines()
            if cursor.current == UInt8(ascii: "]") { break }
            guard cursor.current == UInt8(ascii: ",") else {
                let found = cursor.currentDescription
                throw cursor.error("expected \",\" or \"]\" in the array that starts on line \(line), found \(found)")
            }
            cursor.advance()
        }
        cursor.advance()
        return TOMLValue(.array(elements), line: line)
    }

    /// `{ key = value, ... }` on one line, without a trailing comma (TOML 1.0).
    private mutating func parseInlineTable() throws(TOMLSyntaxError) -> TOMLValue {
        let line = cursor.line
        cursor.advance()
        let table = TOMLTableNode(origin: .header, line: line)
        cursor.skipSpaces()
        while cursor.current != UInt8(ascii: "}") {
            try parseKeyValue(into: table)
            cursor.skipSpaces()
            if cursor.current == UInt8(ascii: "}") { break }
            guard cursor.current == UInt8(ascii: ",") else {
                let found = cursor.currentDescription
                throw cursor.error("expected \",\" or \"}\" in the inline table, found \(found) (an inline table must be on one line)")
            }
            cursor.advance()
            cursor.skipSpaces()
            if cursor.current == UInt8(ascii: "}") { throw cursor.error("an inline table must not end with a comma") }
        }
        cursor.advance()
        return TOMLValue(.table(table.build()), line: line)
    }
}
