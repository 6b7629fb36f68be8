/// Reads TOML text into tables whose keys and values know their line.
///
/// A small reader of our own rather than a library, because `check-config` must point at the
/// line of every problem, including ones found after reading (see `LinemasterConfig.parse`).
/// It reads the TOML 1.0 subset a configuration uses; dates and times are refused.
public enum TOMLReader {
    /// Reads `text`; throws the problems found, located in the file `path`.
    ///
    /// Reading stops at the first syntax error; duplicate keys and tables are all reported.
    public static func read(text: String, path: String) throws(ConfigError) -> TOMLTable {
        let result = TOMLParser.parse(text)
        guard result.problems.isEmpty else { throw ConfigError(problems: result.problems(in: path)) }
        return result.table
    }
}

/// The statements of a document: blank lines, comments, `[table]`, `[[table]]`, `key = value`.
struct TOMLParser {
    struct Result {
        var table: TOMLTable
        var problems: [TOMLSyntaxError]
        /// False when a syntax error stopped the reading, so `table` holds only what came before.
        var isComplete: Bool

        func problems(in path: String) -> [ConfigProblem] {
            problems.map { ConfigProblem(file: path, line: $0.line, reason: $0.reason) }
        }
    }

    var cursor: TOMLCursor
    /// Problems that do not stop the reading, such as duplicate keys.
    private(set) var problems: [TOMLSyntaxError] = []
    /// How many arrays and inline tables enclose the value being read.
    var nesting = 0

    private init(_ text: String) { cursor = TOMLCursor(text) }

    static func parse(_ text: String) -> Result {
        var parser = TOMLParser(text)
        return parser.parseDocument()
    }

    private mutating func parseDocument() -> Result {
        let root = TOMLTableNode(origin: .header, line: 1)
        var table = root
        do throws(TOMLSyntaxError) {
            while !cursor.isAtEnd { try parseStatement(root: root, table: &table) }
            return Result(table: root.build(), problems: problems, isComplete: true)
        } catch {
            return Result(table: root.build(), problems: problems + [error], isComplete: false)
        }
    }

    private mutating func parseStatement(root: TOMLTableNode, table: inout TOMLTableNode) throws(TOMLSyntaxError) {
        cursor.skipSpaces()
        switch cursor.current {
        case UInt8(ascii: "["):
            table = try parseHeader(root: root)
            try cursor.expectLineEnd(after: "a table header")
        case UInt8(ascii: "#"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), nil:
            try cursor.expectLineEnd(after: "a comment")
        default:
            try parseKeyValue(into: table)
            try cursor.expectLineEnd(after: "a value")
        }
    }

    /// Reads `[a.b]` or `[[a.b]]` and returns the table that the following keys go into.
    private mutating func parseHeader(root: TOMLTableNode) throws(TOMLSyntaxError) -> TOMLTableNode {
        let line = cursor.line
        let isArray = cursor.hasPrefix("[[")
        cursor.advance(by: isArray ? 2 : 1)
        let path = try parseKey()
        let closing = isArray ? "]]" : "]"
        guard cursor.hasPrefix(closing) else {
            throw cursor.error("expected \(closing) to close the table header, found \(cursor.currentDescription)")
        }
        cursor.advance(by: closing.count)
        do throws(TOMLSyntaxError) {
            return try isArray ? root.appendTable(path, line: line) : root.defineTable(path, line: line)
        } catch {
            // Read the section's keys into a table of its own, so they cause no further problems.
            problems.append(error)
            return TOMLTableNode(origin: .header, line: line)
        }
    }

    /// Reads `key = value` (the key may be dotted) and stores it in `table`.
    mutating func parseKeyValue(into table: TOMLTableNode) throws(TOMLSyntaxError) {
        let line = cursor.line
        let path = try parseKey()
        guard cursor.current == UInt8(ascii: "=") else {
            throw cursor.error("expected \"=\" after the key \(displayKey(path)), found \(cursor.currentDescription)")
        }
        cursor.advance()
        cursor.skipSpaces()
        let value = try parseValue()
        do throws(TOMLSyntaxError) {
            try table.assign(path, value, line: line)
        } catch {
            problems.append(error)
        }
    }

    /// Reads a key such as `name`, `"quoted key"` or `a.b.c`, and the spaces around it.
    private mutating func parseKey() throws(TOMLSyntaxError) -> [String] {
        var path: [String] = []
        while true {
            cursor.skipSpaces()
            path.append(try parseSimpleKey())
            cursor.skipSpaces()
            guard cursor.current == UInt8(ascii: ".") else { return path }
            cursor.advance()
        }
    }

    private mutating func parseSimpleKey() throws(TOMLSyntaxError) -> String {
        if cursor.hasPrefix("\"\"\"") || cursor.hasPrefix("'''") {
            throw cursor.error("a key cannot be a multi-line string")
        }
        if cursor.current == UInt8(ascii: "\"") || cursor.current == UInt8(ascii: "'") {
            return try cursor.readSingleLineString()
        }
        let key = cursor.take(while: isBareKeyByte)
        guard !key.isEmpty else { throw cursor.error("expected a key, found \(cursor.currentDescription)") }
        return String(decoding: key, as: UTF8.self)
    }
}
