import LineProtocol

/// Writes the rows of one table as COPY binary tuples for one column list: `_time`, the key
/// columns chosen for this COPY, `_tags`, `_fields`. A key that fills a column leaves the JSON; a
/// key that fills none goes to the JSON, or, when the table has no JSON column for it, is dropped
/// and counted, or rejects its row (``UnplacedKeys``).
struct RowEncoder {
    let shape: TableShape
    /// Indices into `shape.keyColumns`, in COPY order.
    let columns: [Int]
    let unplacedKeys: UnplacedKeys
    /// Whether to look for keys that fill no column and could have one (``sawNewKey``).
    let findsNewKeys: Bool
    /// Keys of the rows encoded so far that went nowhere (``UnplacedKeys/drop``).
    private(set) var keysDropped = 0
    /// Whether a row encoded so far had a key that fills no column and that a column could be
    /// named for (``isStorableName(_:)``).
    private(set) var sawNewKey = false
    /// Where the keys of the row being encoded go.
    private var placing: TableShape.Placing

    /// What becomes of a key that fills no column in a table without a JSON column for it.
    enum UnplacedKeys {
        /// The row is stored without it; it is counted.
        case drop
        /// The row is rejected with this reason: the table has all the columns it may have.
        case reject(String)
    }

    init(shape: TableShape, columns: [Int], unplacedKeys: UnplacedKeys = .drop, findsNewKeys: Bool = false) {
        self.shape = shape
        self.columns = columns
        self.unplacedKeys = unplacedKeys
        self.findsNewKeys = findsNewKeys
        placing = TableShape.Placing(shape)
    }

    /// `COPY "schema"."table" (...) FROM STDIN (FORMAT binary)`: columns left out get their DEFAULT.
    var copyStatement: String {
        var names: [String] = []
        if shape.time != nil { names.append(TableShape.timeColumn) }
        names += columns.map { String(decoding: shape.keyColumns[$0].name, as: UTF8.self) }
        if shape.tags != nil { names.append(TableShape.tagsColumn) }
        if shape.fields != nil { names.append(TableShape.fieldsColumn) }
        return "COPY \(shape.qualifiedName) (\(names.map(quoteIdentifier).joined(separator: ", "))) FROM STDIN (FORMAT binary)"
    }

    private var fieldCount: Int {
        columns.count + (shape.time == nil ? 0 : 1) + (shape.tags == nil ? 0 : 1) + (shape.fields == nil ? 0 : 1)
    }

    /// Appends one tuple. On a value its column cannot take, or a key with no place when the
    /// table rejects such rows, nothing is appended.
    mutating func encode(_ row: PointRecordView, into buffer: ByteBuffer) throws(ConversionError) {
        if !placing.slots.isEmpty { shape.place(row, into: &placing) }
        if findsNewKeys && !sawNewKey { sawNewKey = hasNewKey(row) }
        let unplaced = (shape.tags == nil ? unplacedCount(placing.tagPlaced, of: row.tagCount) : 0)
            + (shape.fields == nil ? unplacedCount(placing.fieldPlaced, of: row.fieldCount) : 0)
        if unplaced > 0 {
            switch unplacedKeys {
            case .drop: keysDropped += unplaced
            case .reject(let reason): throw ConversionError(sqlstate: ColumnAdder.tooManyColumns, message: "\(reason): a key of the row has no column")
            }
        }
        let start = buffer.count
        buffer.beginTuple(fieldCount: fieldCount)
        switch shape.time {
        case .timestamptz?, .timestamp?: buffer.appendTimestampField(nanoseconds: row.time)
        case .nanoseconds?: buffer.appendField(row.time)
        case nil: break
        }
        for column in columns {
            guard let value = placing.slots[column] else { buffer.appendNullField(); continue }
            do {
                try buffer.appendField(value, as: shape.keyColumns[column].type)
            } catch {
                buffer.truncate(to: start)
                let name = String(decoding: shape.keyColumns[column].name, as: UTF8.self)
                throw ConversionError(sqlstate: error.sqlstate, message: "column \(quoteIdentifier(name)): \(error.message)")
            }
        }
        if let tags = shape.tags { appendTags(row, as: tags, into: buffer) }
        if let fields = shape.fields { appendFields(row, as: fields, into: buffer) }
    }

    /// Whether a key of the row fills no column and could name one.
    private func hasNewKey(_ row: PointRecordView) -> Bool {
        if !placing.slots.isEmpty && !placing.tagPlaced.contains(false) && !placing.fieldPlaced.contains(false) { return false }
        var found = false, i = 0
        row.forEachTag { key, _ in
            if !found && (placing.slots.isEmpty || !placing.tagPlaced[i]) && isStorableName(key) { found = true }
            i += 1
        }
        i = 0
        row.forEachField { key, _ in
            if !found && (placing.slots.isEmpty || !placing.fieldPlaced[i]) && isStorableName(key) { found = true }
            i += 1
        }
        return found
    }

    /// How many of a row's `count` tags (or fields) fill no column.
    private func unplacedCount(_ placed: [Bool], of count: Int) -> Int {
        placing.slots.isEmpty ? count : placed.reduce(0) { $1 ? $0 : $0 + 1 }
    }

    /// Tags as a JSON object of strings, less those that fill a column.
    private func appendTags(_ row: PointRecordView, as type: ColumnType, into buffer: ByteBuffer) {
        appendObject(as: type, into: buffer) { first in
            var i = 0
            row.forEachTag { key, value in
                defer { i += 1 }
                if !placing.slots.isEmpty && placing.tagPlaced[i] { return }
                buffer.appendJSONMember(key, first: &first)
                buffer.appendJSONString(value)
            }
        }
    }

    /// Fields as a JSON object of typed values, less those that fill a column.
    private func appendFields(_ row: PointRecordView, as type: ColumnType, into buffer: ByteBuffer) {
        appendObject(as: type, into: buffer) { first in
            var i = 0
            row.forEachField { key, value in
                defer { i += 1 }
                if !placing.slots.isEmpty && placing.fieldPlaced[i] { return }
                buffer.appendJSONMember(key, first: &first)
                buffer.appendJSONValue(value)
            }
        }
    }

    /// One json or jsonb field holding an object: `{`, the members, `}`; `first` tells a member
    /// whether it needs a comma before it.
    @inline(__always)
    private func appendObject(as type: ColumnType, into buffer: ByteBuffer, members: (inout Bool) -> Void) {
        let field = buffer.beginField()
        if type == .jsonb { buffer.append(1) }  // jsonb's binary format: version 1, then the text
        buffer.append(UInt8(ascii: "{"))
        var first = true
        members(&first)
        buffer.append(UInt8(ascii: "}"))
        buffer.endField(field)
    }
}

extension TableShape {
    /// Which key columns with a DEFAULT the row fills, as bits by column index (the first 64).
    func filledDefaultColumns(_ row: PointRecordView, placing: inout Placing) -> UInt64 {
        place(row, into: &placing)
        var filled: UInt64 = 0
        for c in placing.slots.indices.prefix(64) where placing.slots[c] != nil && keyColumns[c].hasDefault { filled |= 1 << c }
        return filled
    }

    /// The key columns a COPY lists for rows that fill exactly the defaulted columns in `filled`:
    /// a column without DEFAULT is always listed (a row without its key gives NULL, as it would
    /// anyway); one with a DEFAULT only when the rows fill it, so that otherwise it gets its DEFAULT.
    func copyColumns(filling filled: UInt64) -> [Int] {
        keyColumns.indices.filter { c in
            !keyColumns[c].hasDefault || c >= 64 || filled & (1 << c) != 0
        }
    }
}
