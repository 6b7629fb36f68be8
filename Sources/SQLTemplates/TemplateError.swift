/// A template linemaster cannot render: where (which statement, line and column in it) and why.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which statement: `create_templates[2]` (counted from 1).
    public var statement: String
    /// The statement's text.
    public var source: String
    /// 1-based, within the statement.
    public var line: Int
    /// 1-based byte in that line.
    public var column: Int
    public var reason: String

    init(_ reason: String, at offset: Int, in source: String, statement: String) {
        let before = source.utf8.prefix(offset)
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { before.index(after: $0) } ?? before.startIndex
        self.statement = statement
        self.source = source
        line = before.count { $0 == UInt8(ascii: "\n") } + 1
        column = before[lineStart...].count + 1
        self.reason = reason
    }

    /// `create_templates[1], line 1, column 16: unknown variable .tabel ...: CREATE TABLE {{ .tabel }} (...)`.
    public var description: String {
        let excerpt = source.count > 120 ? source.prefix(117) + "..." : Substring(source)
        return "\(statement), line \(line), column \(column): \(reason), in: \(excerpt)"
    }
}
