import LineProtocol

/// A key's value on its way to a column: a tag's string or a field's typed value.
enum KeyValue {
    case tag(UnsafeBufferPointer<UInt8>)
    case field(PointRecordView.Value)
}

/// A value that cannot go into its column, found before COPY so that it never aborts one. The
/// SQLSTATE is the one PostgreSQL would have reported.
struct ConversionError: Error {
    let sqlstate: String
    let message: String
}

/// Converts values into a column's binary format, checking what PostgreSQL would refuse.
extension ByteBuffer {
    func appendField(_ value: KeyValue, as type: ColumnType) throws(ConversionError) {
        switch type {
        case .text(let limit): try appendTextField(value, limit: limit)
        case .int2: appendField(Int16(try integer(value, in: Int64(Int16.min)...Int64(Int16.max), "smallint")))
        case .int4: appendField(Int32(try integer(value, in: Int64(Int32.min)...Int64(Int32.max), "integer")))
        case .int8: appendField(try integer(value, in: Int64.min...Int64.max, "bigint"))
        case .float4:
            let x = try double(value)
            guard Float(x).isFinite || !x.isFinite else { throw ConversionError(sqlstate: "22003", message: "value \(x) is out of range for type real") }
            appendField(Float(x).bitPattern)
        case .float8: appendField(try double(value).bitPattern)
        case .numeric: try appendNumericField(value)
        case .bool: appendField(UInt8(try bool(value) ? 1 : 0))
        case .json, .jsonb:
            let field = beginField()
            if type == .jsonb { append(1) }  // jsonb's binary format: version 1, then JSON text
            switch value {
            case .tag(let s): appendJSONString(s)
            case .field(let v): appendJSONValue(v)
            }
            endField(field)
        case .timestamptz, .timestamp:
            guard case .field(let v) = value, let ns = exactInteger(v) else {
                throw ConversionError(sqlstate: "22007", message: "a timestamp column takes an integer field (nanoseconds since 1970), not \(describe(value))")
            }
            appendTimestampField(nanoseconds: ns)
        }
    }

    private func appendTextField(_ value: KeyValue, limit: Int?) throws(ConversionError) {
        let field = beginField()
        switch value {
        case .tag(let s), .field(.string(let s)):
            guard !s.contains(0) else { throw ConversionError(sqlstate: "22021", message: "text cannot hold a NUL byte") }
            append(s)
        case .field(.float(let x)) where !x.isFinite: append(x.isNaN ? "NaN" : x < 0 ? "-Infinity" : "Infinity")
        case .field(.float(let x)): appendDecimal(x)
        case .field(.int(let x)): appendDecimal(x)
        case .field(.uint(let x)): appendDecimal(x)
        case .field(.bool(let x)): append(x ? "true" : "false")
        }
        // Cheap test first: a value cannot have more characters than bytes.
        if let limit, count - field - 4 > limit, characterCount(bytes(field + 4..<count)) > limit {
            throw ConversionError(sqlstate: "22001", message: "value too long for type character varying(\(limit))")
        }
        endField(field)
    }

    private func appendNumericField(_ value: KeyValue) throws(ConversionError) {
        let written: Bool
        switch value {
        case .tag(let s): written = appendNumericField(decimal: s)
        case .field(.string): throw typeConflict(value, "numeric")
        case .field(.float(let x)): written = appendNumericField(decimal: x.description.utf8)
        case .field(.int(let x)): written = appendNumericField(decimal: String(x).utf8)
        case .field(.uint(let x)): written = appendNumericField(decimal: String(x).utf8)
        case .field(.bool): written = false
        }
        guard written else { throw ConversionError(sqlstate: "22P02", message: "invalid input syntax for type numeric: \(describe(value))") }
    }

    private func integer(_ value: KeyValue, in range: ClosedRange<Int64>, _ typeName: String) throws(ConversionError) -> Int64 {
        let parsed: Int64?
        switch value {
        case .tag(let s): parsed = Int64(String(decoding: s, as: UTF8.self))
        case .field(.string): throw typeConflict(value, typeName)
        case .field(.uint(let x)) where x > UInt64(Int64.max):
            throw ConversionError(sqlstate: "22003", message: "value \(x) is out of range for type \(typeName)")
        case .field(let v): parsed = exactInteger(v)
        }
        guard let parsed else { throw ConversionError(sqlstate: "22P02", message: "invalid input syntax for type \(typeName): \(describe(value))") }
        guard range.contains(parsed) else { throw ConversionError(sqlstate: "22003", message: "value \(parsed) is out of range for type \(typeName)") }
        return parsed
    }

    private func double(_ value: KeyValue) throws(ConversionError) -> Double {
        switch value {
        case .field(.float(let x)): return x
        case .field(.int(let x)):
            if let exact = Double(exactly: x) { return exact }
            throw ConversionError(sqlstate: "22003", message: "integer \(x) has no exact double precision value")
        case .field(.uint(let x)):
            if let exact = Double(exactly: x) { return exact }
            throw ConversionError(sqlstate: "22003", message: "integer \(x) has no exact double precision value")
        case .tag(let s):
            if let x = Double(String(decoding: s, as: UTF8.self)) { return x }
        case .field(.string): throw typeConflict(value, "double precision")
        case .field(.bool): break
        }
        throw ConversionError(sqlstate: "22P02", message: "invalid input syntax for type double precision: \(describe(value))")
    }

    private func bool(_ value: KeyValue) throws(ConversionError) -> Bool {
        switch value {
        case .field(.bool(let x)): return x
        case .field(.string): throw typeConflict(value, "boolean")
        case .tag(let s):
            switch String(decoding: s, as: UTF8.self).lowercased() {
            case "t", "true", "y", "yes", "on", "1": return true
            case "f", "false", "n", "no", "off", "0": return false
            default: break
            }
        case .field: break
        }
        throw ConversionError(sqlstate: "22P02", message: "invalid input syntax for type boolean: \(describe(value))")
    }
}

/// A string field for a column of another type: the field's type conflicts with the column's,
/// as InfluxDB would refuse it; the column is never changed (a tag, which is always a string, is
/// read as a value of the column's type instead).
private func typeConflict(_ value: KeyValue, _ typeName: String) -> ConversionError {
    ConversionError(sqlstate: "22P02", message: "field type conflict: a string field (\(describe(value))) cannot go into a \(typeName) column")
}

/// The integer a field holds exactly (an integral float counts), or nil.
private func exactInteger(_ value: PointRecordView.Value) -> Int64? {
    switch value {
    case .int(let x): return x
    case .uint(let x): return Int64(exactly: x)
    case .float(let x): return Int64(exactly: x)
    case .bool, .string: return nil
    }
}

/// Characters, as PostgreSQL counts them for varchar(n): UTF-8 bytes that start a character.
private func characterCount(_ bytes: some Collection<UInt8>) -> Int {
    bytes.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
}

private func describe(_ value: KeyValue) -> String {
    switch value {
    case .tag(let s), .field(.string(let s)): return "\"" + String(decoding: s, as: UTF8.self) + "\""
    case .field(.float(let x)): return x.description
    case .field(.int(let x)): return String(x)
    case .field(.uint(let x)): return String(x)
    case .field(.bool(let x)): return String(x)
    }
}
