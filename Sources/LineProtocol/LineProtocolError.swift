/// A rejected line: where it went wrong and what is wrong, in words a user can act on.
public struct LineProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based line number in the parsed input (lines end with LF; a quoted string may span lines).
    public var line: Int
    /// 1-based byte column within that line.
    public var column: Int
    /// What is wrong, e.g. `invalid field value "12x" for field "usage": expected a number, ...`.
    public var message: String
    /// The rejected line's bytes in the parsed input: from the start of the line it begins on to
    /// its end, without the line feed (a quoted string may make it span several lines). What a
    /// receiving worker keeps of it (``entryLine`` numbers its first line).
    public var entry: Range<Int>
    /// The number of the line ``entry`` begins on, counted like ``line``.
    public var entryLine: Int

    /// An error at `line` and `column` (both 1-based), in the line at `entry` that begins on `entryLine`.
    public init(line: Int, column: Int, message: String, entry: Range<Int>, entryLine: Int) {
        self.line = line
        self.column = column
        self.message = message
        self.entry = entry
        self.entryLine = entryLine
    }

    /// `line 1: column 17: invalid field value ...`, with the line counted from ``entry``'s
    /// first: what `linemaster parse` prints when given the rejected line alone.
    public var reasonInEntry: String { "line \(line - entryLine + 1): column \(column): \(message)" }

    /// `line 3, column 17: invalid field value "12x" ...`.
    public var description: String { "line \(line), column \(column): \(message)" }
}
