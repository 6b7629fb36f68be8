/// A rejected line: where it went wrong and what is wrong, in words a user can act on.
public struct LineProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based line number in the parsed input (lines end with LF; a quoted string may span lines).
    public var line: Int
    /// 1-based byte column within that line.
    public var column: Int
    /// What is wrong, e.g. `invalid field value "12x" for field "usage": expected a number, ...`.
    public var message: String

    /// An error at `line` and `column` (both 1-based).
    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    /// `line 3, column 17: invalid field value "12x" ...`.
    public var description: String { "line \(line), column \(column): \(message)" }
}
