import LineProtocol

/// One input of the fuzzer: line protocol, parsed once with every precision. Every
/// accepted point must survive two round trips unchanged, compared byte for byte (floats by bits):
/// into a ring record and back through `PointRecordView` (what the inserters read), and into text
/// with `LineProtocolEncoder` and back through the parser. A difference stops the run (a crash
/// for libFuzzer); so does anything AddressSanitizer sees, such as a read past the input.
/// (Named as libFuzzer names it: see main.swift.)
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzLineProtocol(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    for precision in Precision.allCases {
        LineParser(precision: precision).parse(input, defaultTime: defaultTime) { view in
            checkRecordRoundTrip(view)
            checkTextRoundTrip(Point(view), precision: precision)
        } onError: { _ in }
    }
    return 0
}

/// Not a multiple of any unit, so that truncating it to the precision is exercised.
private let defaultTime: Int64 = 1_700_000_000_123_456_789

/// Encodes `view` into a buffer of exactly its announced size (AddressSanitizer catches a longer
/// write) and reads it back.
private func checkRecordRoundTrip(_ view: PointView) {
    let size = PointRecord.encodedSize(view)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
    defer { buffer.deallocate() }
    let written = PointRecord.encode(view, into: buffer.baseAddress!)
    expect(written == size, "encode wrote \(written) bytes, encodedSize said \(size)")
    let record: PointRecordView
    do { record = try PointRecordView(UnsafeRawBufferPointer(buffer)) } catch {
        fail("the record of line \(view.line) does not decode: \(error)")
    }
    expect(record.recordBytes.count == size, "the record reads as \(record.recordBytes.count) bytes of \(size)")
    expect(record.time == view.time, "time \(record.time) != \(view.time)")
    expect(view.measurement.withUnescapedBytes { $0.elementsEqual(record.measurement) }, "measurement differs")
    expect(record.tagCount == view.tags.count && record.fieldCount == view.fields.count, "tag or field count differs")
    var i = 0
    record.forEachTag { key, value in
        let tag = view.tags[i]
        expect(tag.key.withUnescapedBytes { $0.elementsEqual(key) }, "tag \(i) key differs")
        expect(tag.value.withUnescapedBytes { $0.elementsEqual(value) }, "tag \(i) value differs")
        i += 1
    }
    i = 0
    record.forEachField { key, value in
        let field = view.fields[i]
        expect(field.key.withUnescapedBytes { $0.elementsEqual(key) }, "field \(i) key differs")
        expect(same(field.value, value), "field \(i) value differs: \(field.value.owned) != \(value)")
        i += 1
    }
}

/// Writes `point` as text (when the encoder can: it refuses what line protocol cannot express)
/// and parses it back: exactly that point, and no error.
private func checkTextRoundTrip(_ point: Point, precision: Precision) {
    var text: [UInt8] = []
    do { try LineProtocolEncoder(precision: precision).append(point, to: &text) } catch { return }
    var parsed: [Point] = []
    text.withUnsafeBytes { bytes in
        LineParser(precision: precision).parse(bytes, defaultTime: 0) { parsed.append(Point($0)) } onError: { error in
            fail("the encoder's line \(String(decoding: text, as: UTF8.self).debugDescription) is refused: \(error)")
        }
    }
    expect(parsed.count == 1 && same(parsed[0], point),
           "\(String(decoding: text, as: UTF8.self).debugDescription) reads back as \(parsed), not \(point)")
}

private func same(_ a: FieldValueView, _ b: PointRecordView.Value) -> Bool {
    switch (a, b) {
    case (.float(let x), .float(let y)): return x.bitPattern == y.bitPattern
    case (.int(let x), .int(let y)): return x == y
    case (.uint(let x), .uint(let y)): return x == y
    case (.bool(let x), .bool(let y)): return x == y
    case (.string(let x), .string(let y)): return x.withUnescapedBytes { $0.elementsEqual(y) }
    default: return false
    }
}

/// Equality of bytes and bits: `Point`'s `==` compares strings by Unicode equivalence and floats
/// by value (NaN differs from itself, 0 equals -0).
private func same(_ a: Point, _ b: Point) -> Bool {
    a.time == b.time && a.measurement.utf8.elementsEqual(b.measurement.utf8)
        && a.tags.count == b.tags.count && a.fields.count == b.fields.count
        && zip(a.tags, b.tags).allSatisfy { $0.key.utf8.elementsEqual($1.key.utf8) && $0.value.utf8.elementsEqual($1.value.utf8) }
        && zip(a.fields, b.fields).allSatisfy { $0.key.utf8.elementsEqual($1.key.utf8) && same($0.value, $1.value) }
}

private func same(_ a: FieldValue, _ b: FieldValue) -> Bool {
    switch (a, b) {
    case (.float(let x), .float(let y)): return x.bitPattern == y.bitPattern
    case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
    default: return a == b
    }
}

private func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}

private func fail(_ message: String) -> Never {
    fatalError("round trip broken: \(message)")
}
