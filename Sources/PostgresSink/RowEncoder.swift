import LineProtocol

/// Writes the rows of one table as COPY binary tuples for one column list: `_time`, the key
/// columns chosen for this COPY, `_tags`, `_fields`. A key that fills a column leaves the JSON.
struct RowEncoder {
    let shape: TableShape
    /// Indices into `shape.keyColumns`, in COPY order.
    let columns: [Int]
    /// Per key column, the value of the row being encoded.
    private var slots: [KeyValue?]

    init(shape: TableShape, columns: [Int]) {
        self.shape = shape
        self.columns = columns
        slots = Array(repeating: nil, count: shape.keyColumns.count)
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

    /// Appends one tuple. On a value its column cannot take, nothing is appended.
    mutating func encode(_ row: PointRecordView, into buffer: ByteBuffer) throws(ConversionError) {
        if !slots.isEmpty { fillSlots(row) }
        let start = buffer.count
        buffer.beginTuple(fieldCount: fieldCount)
        switch shape.time {
        case .timestamptz?, .timestamp?: buffer.appendTimestampField(nanoseconds: row.time)
        case .nanoseconds?: buffer.appendField(row.time)
        case nil: break
        }
        for column in columns {
            guard let value = slots[column] else { buffer.appendNullField(); continue }
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

    /// Tags take a column before a field of the same name does.
    private mutating func fillSlots(_ row: PointRecordView) {
        for i in slots.indices { slots[i] = nil }
        row.forEachTag { key, value in
            if let c = shape.keyColumn(named: key), slots[c] == nil { slots[c] = .tag(value) }
        }
        row.forEachField { key, value in
            if let c = shape.keyColumn(named: key), slots[c] == nil { slots[c] = .field(value) }
        }
    }

    /// Tags as a JSON object of strings, less those that fill a column.
    private func appendTags(_ row: PointRecordView, as type: ColumnType, into buffer: ByteBuffer) {
        appendObject(as: type, into: buffer) { first in
            row.forEachTag { key, value in
                if let c = shape.keyColumn(named: key), case .tag? = slots[c] { return }
                buffer.appendJSONMember(key, first: &first)
                buffer.appendJSONString(value)
            }
        }
    }

    /// Fields as a JSON object of typed values, less those that fill a column.
    private func appendFields(_ row: PointRecordView, as type: ColumnType, into buffer: ByteBuffer) {
        appendObject(as: type, into: buffer) { first in
            row.forEachField { key, value in
                if let c = shape.keyColumn(named: key), case .field? = slots[c] { return }
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
    func filledDefaultColumns(_ row: PointRecordView) -> UInt64 {
        var filled: UInt64 = 0
        func mark(_ key: UnsafeBufferPointer<UInt8>) {
            if let c = keyColumn(named: key), c < 64, keyColumns[c].hasDefault { filled |= 1 << c }
        }
        row.forEachTag { key, _ in mark(key) }
        row.forEachField { key, _ in mark(key) }
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
