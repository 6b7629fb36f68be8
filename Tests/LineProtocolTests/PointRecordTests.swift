import LineProtocol
import Testing

@Suite struct PointRecords {
    let point = Point(
        measurement: "cpu load", tags: [.init("host", "a,b"), .init("région", "eu=1")],
        fields: [.init("usage", .float(0.5)), .init("n", .int(-3)), .init("u", .uint(.max)),
                 .init("s", .string("x \"quoted\"\n")), .init("ok", .bool(true))],
        time: 1_700_000_000_123_456_789)

    @Test func aRecordReadsBackAsTheSamePoint() throws {
        let record = try PointRecord.encode(point)
        let view = try record.withUnsafeBytes { try PointRecordView($0).makePoint() }
        #expect(view == point)
    }

    @Test func theRecordSizeIsExactlyWhatEncodingWrites() throws {
        let text = Array("m,k\\ 1=v\\,1 f\\=1=\"a\\\"b\",g=1i 5\n".utf8)
        try text.withUnsafeBytes { buffer in
            var checked = 0
            LineParser().parse(buffer, defaultTime: 0) { view in
                let size = PointRecord.encodedSize(view)
                var bytes = [UInt8](repeating: 0xEE, count: size + 8)
                let written = bytes.withUnsafeMutableBytes { PointRecord.encode(view, into: $0.baseAddress!) }
                #expect(written == size)
                #expect(bytes[size...].allSatisfy { $0 == 0xEE })
                let copy = try? bytes[..<size].withUnsafeBytes { try PointRecordView($0).makePoint() }
                #expect(copy == Point(measurement: "m", tags: [.init("k 1", "v,1")],
                                      fields: [.init("f=1", .string("a\"b")), .init("g", .int(1))], time: 5))
                checked += 1
            } onError: { _ in }
            #expect(checked == 1)
        }
    }

    @Test func anExtraTagIsAddedUnlessThePointHasThatKeyAlready() throws {
        let text = Array("m,host=a v=1 5\nm,db=own v=2 6\n".utf8)
        var points: [Point] = []
        text.withUnsafeBytes { buffer in
            LineParser().parse(buffer, defaultTime: 0) { view in
                let tag: PointRecord.ExtraTag = (Array("db".utf8), Array("telegraf".utf8))
                var bytes = [UInt8](repeating: 0, count: PointRecord.encodedSize(view, extraTag: tag))
                let written = bytes.withUnsafeMutableBytes { PointRecord.encode(view, extraTag: tag, into: $0.baseAddress!) }
                #expect(written == bytes.count)
                if let point = try? bytes.withUnsafeBytes({ try PointRecordView($0).makePoint() }) { points.append(point) }
            } onError: { _ in }
        }
        #expect(points.map(\.tags) == [[.init("host", "a"), .init("db", "telegraf")], [.init("db", "own")]])
    }

    @Test func everyTruncationOfARecordIsRefused() throws {
        let record = try PointRecord.encode(point)
        for length in 0..<record.count {
            #expect(throws: PointRecordError.self) {
                try record[..<length].withUnsafeBytes { _ = try PointRecordView($0) }
            }
        }
    }
}
