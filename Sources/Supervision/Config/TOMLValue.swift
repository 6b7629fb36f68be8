/// A value read from a TOML document, with the line it starts on.
///
/// Lines travel with the values so that a check made long after reading (a bad duration,
/// a duplicate worker name) can still tell the user where to look.
public struct TOMLValue: Equatable, Sendable {
    public indirect enum Kind: Equatable, Sendable {
        case string(String)
        case integer(Int)
        case float(Double)
        case boolean(Bool)
        /// An array; `[[name]]` sections are read as an array of tables.
        case array([TOMLValue])
        /// A `[table]`, an inline table, or a table created by dotted keys.
        case table(TOMLTable)
    }

    public var kind: Kind
    /// 1-based line where the value starts (for a table: its `[header]` line).
    public var line: Int

    /// A value of `kind` that starts on `line`.
    public init(_ kind: Kind, line: Int) {
        self.kind = kind
        self.line = line
    }

    /// The type in words, for messages such as "count must be an integer, not a string".
    public var typeDescription: String {
        switch kind {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .boolean: "a boolean"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

/// A TOML table: its keys in the order they appear in the file.
public struct TOMLTable: Equatable, Sendable {
    /// One `key = value` (or sub-table) of a table.
    public struct Entry: Equatable, Sendable {
        public var key: String
        /// Line of the key, which is where a user looks for "unknown key" problems.
        public var line: Int
        public var value: TOMLValue

        /// `key = value`, with the key on `line`.
        public init(key: String, line: Int, value: TOMLValue) {
            self.key = key
            self.line = line
            self.value = value
        }
    }

    /// The keys in the order they appear; TOML forbids duplicates, so each key is here once.
    public var entries: [Entry]

    /// A table with these entries, in this order.
    public init(entries: [Entry] = []) { self.entries = entries }

    /// The value of `key`, or nil when the table does not have it.
    public subscript(key: String) -> TOMLValue? {
        entries.first { $0.key == key }?.value
    }
}
