/// A table while the document is being read, and the TOML rules about how tables may grow.
///
/// TOML lets a table be filled from several places (`[a.b]` creates `a` implicitly, dotted keys
/// create tables, `[[a]]` appends), but each table may be *defined* only once. Remembering how
/// every table came to exist is what lets the reader refuse a redefinition instead of merging.
final class TOMLTableNode {
    enum Origin {
        /// Created as the parent of a `[header]`; may still be defined by its own header later.
        case implicit
        /// Defined by its own `[header]` or `[[header]]`.
        case header
        /// Created by a dotted key such as `a.b = 1`.
        case dotted
    }

    enum Child {
        /// Inline tables and arrays are stored as finished values, so that nothing can extend them.
        case value(TOMLValue)
        case table(TOMLTableNode)
        case tableArray([TOMLTableNode])
    }

    private(set) var origin: Origin
    let line: Int
    private var keys: [String] = []
    private var children: [String: (child: Child, line: Int)] = [:]

    init(origin: Origin, line: Int) {
        self.origin = origin
        self.line = line
    }

    /// Handles `[path]`: returns the table that following keys go into.
    func defineTable(_ path: [String], line: Int) throws(TOMLSyntaxError) -> TOMLTableNode {
        let parent = try descendForHeader(path.dropLast(), line: line)
        let key = path.last!
        guard let existing = parent.children[key] else {
            return parent.insertTable(key, origin: .header, line: line)
        }
        guard case .table(let table) = existing.child, table.origin == .implicit else {
            throw redefinition(path, existing, line: line)
        }
        table.origin = .header
        return table
    }

    /// Handles `[[path]]`: appends a new table to the array and returns it.
    func appendTable(_ path: [String], line: Int) throws(TOMLSyntaxError) -> TOMLTableNode {
        let parent = try descendForHeader(path.dropLast(), line: line)
        let key = path.last!
        let table = TOMLTableNode(origin: .header, line: line)
        guard let existing = parent.children[key] else {
            parent.insert(key, .tableArray([table]), line: line)
            return table
        }
        guard case .tableArray(let tables) = existing.child else { throw redefinition(path, existing, line: line) }
        parent.children[key]!.child = .tableArray(tables + [table])
        return table
    }

    /// Handles `a.b.c = value` inside this table.
    func assign(_ path: [String], _ value: TOMLValue, line: Int) throws(TOMLSyntaxError) {
        var table = self
        for (index, key) in path.dropLast().enumerated() {
            guard let existing = table.children[key] else {
                table = table.insertTable(key, origin: .dotted, line: line)
                continue
            }
            // Dotted keys may extend only tables that dotted keys created, never a [header] table.
            guard case .table(let next) = existing.child, next.origin == .dotted else {
                throw redefinition(Array(path[...index]), existing, line: line)
            }
            table = next
        }
        let key = path.last!
        if let existing = table.children[key] { throw redefinition(path, existing, line: line) }
        table.insert(key, .value(value), line: line)
    }

    /// The finished table, in the order its keys were written.
    func build() -> TOMLTable {
        TOMLTable(entries: keys.map { key in
            let (child, line) = children[key]!
            return TOMLTable.Entry(key: key, line: line, value: child.build())
        })
    }

    /// Walks the parents of a header, creating missing ones; `[[a]]` parents lead to the last table.
    private func descendForHeader(_ path: ArraySlice<String>, line: Int) throws(TOMLSyntaxError) -> TOMLTableNode {
        var table = self
        for (index, key) in path.enumerated() {
            switch table.children[key]?.child {
            case nil: table = table.insertTable(key, origin: .implicit, line: line)
            case .table(let next): table = next
            case .tableArray(let tables): table = tables.last!
            default: throw redefinition(Array(path.prefix(index + 1)), table.children[key]!, line: line)
            }
        }
        return table
    }

    private func insertTable(_ key: String, origin: Origin, line: Int) -> TOMLTableNode {
        let table = TOMLTableNode(origin: origin, line: line)
        insert(key, .table(table), line: line)
        return table
    }

    private func insert(_ key: String, _ child: Child, line: Int) {
        keys.append(key)
        children[key] = (child, line)
    }

    private func redefinition(_ path: [String], _ existing: (child: Child, line: Int), line: Int) -> TOMLSyntaxError {
        let what = switch existing.child {
        case .value(let value): value.typeDescription
        case .table: "a table"
        case .tableArray: "an array of tables"
        }
        let reason = "duplicate key \(displayKey(path)): already defined as \(what) on line \(existing.line)"
        return TOMLSyntaxError(line: line, reason: reason)
    }
}

extension TOMLTableNode.Child {
    func build() -> TOMLValue {
        switch self {
        case .value(let value): value
        case .table(let table): TOMLValue(.table(table.build()), line: table.line)
        case .tableArray(let tables):
            TOMLValue(.array(tables.map { TOMLValue(.table($0.build()), line: $0.line) }), line: tables[0].line)
        }
    }
}

/// A key path as written in TOML: bare where possible, quoted otherwise.
func displayKey(_ path: [String]) -> String {
    path.map { key in
        if !key.isEmpty && key.utf8.allSatisfy(isBareKeyByte) { return key }
        return "\"" + key.map { $0 == "\"" || $0 == "\\" ? "\\\($0)" : String($0) }.joined() + "\""
    }.joined(separator: ".")
}

/// Bare keys are ASCII letters, digits, `_` and `-`.
func isBareKeyByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
        true
    default:
        false
    }
}
