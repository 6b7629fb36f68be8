import LineProtocol
import Testing

@Suite struct RejectedLineRecords {
    @Test func aRecordReadsBackWithItsTimeLineReasonAndSource() throws {
        let line: [UInt8] = Array("cpu usage=\u{FF}".utf8) + [0xFF, 0]
        let record = RejectedLineRecord.encode(time: -5, line: line, reason: "line 1: column 4: bad", source: "udp://[::1]:8089 (l)")
        try record.withUnsafeBytes { bytes in
            let view = try RejectedLineRecordView(bytes)
            #expect(view.time == -5)
            #expect(Array(view.line) == line)
            #expect(String(decoding: view.reason, as: UTF8.self) == "line 1: column 4: bad")
            #expect(String(decoding: view.source, as: UTF8.self) == "udp://[::1]:8089 (l)")
        }
    }

    @Test func eachRecordTellsItsKind() throws {
        let rejected = RejectedLineRecord.encode(time: 0, line: [], reason: "r", source: "s")
        let point = try PointRecord.encode(Point(measurement: "m", tags: [], fields: [.init("v", .int(1))], time: 0))
        #expect(rejected.withUnsafeBytes { RecordKind(of: $0) } == .rejectedLine)
        #expect(point.withUnsafeBytes { RecordKind(of: $0) } == .point)
    }

    @Test func aRecordOfOneKindIsNotReadAsTheOther() throws {
        let rejected = RejectedLineRecord.encode(time: 0, line: Array("m".utf8), reason: "r", source: "s")
        let point = try PointRecord.encode(Point(measurement: "m", tags: [], fields: [.init("v", .int(1))], time: 0))
        #expect(throws: PointRecordError.self) { try rejected.withUnsafeBytes { _ = try PointRecordView($0) } }
        #expect(throws: PointRecordError.self) { try point.withUnsafeBytes { _ = try RejectedLineRecordView($0) } }
    }

    @Test func everyTruncationOfARecordIsRefused() {
        let record = RejectedLineRecord.encode(time: 1, line: Array("garbage".utf8), reason: "why", source: "where")
        for length in 0..<record.count {
            #expect(throws: PointRecordError.self) { try record[..<length].withUnsafeBytes { _ = try RejectedLineRecordView($0) } }
        }
    }

    @Test func aLongLineIsCutAt64KiBAndALongReasonOnACharacterBoundary() throws {
        let line = [UInt8](repeating: UInt8(ascii: "x"), count: 70_000)
        let reason = "x" + String(repeating: "é", count: 3000)
        let record = RejectedLineRecord.encode(time: 0, line: line, reason: reason, source: "s")
        try record.withUnsafeBytes { bytes in
            let view = try RejectedLineRecordView(bytes)
            #expect(view.line.count == RejectedLineRecord.maxLineLength)
            #expect(view.reason.count == RejectedLineRecord.maxTextLength - 1)
            #expect(String(validating: view.reason, as: UTF8.self) != nil)
        }
    }
}

extension RejectedLineRecord {
    /// The record of an owned line.
    static func encode(time: Int64, line: [UInt8], reason: String, source: String) -> [UInt8] {
        line.withUnsafeBytes { line in
            var record = [UInt8](repeating: 0, count: encodedSize(line: line, reason: reason, source: source))
            record.withUnsafeMutableBytes { encode(time: time, line: line, reason: reason, source: source, into: $0.baseAddress!) }
            return record
        }
    }
}
