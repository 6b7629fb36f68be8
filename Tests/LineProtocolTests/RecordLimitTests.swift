import LineProtocol
import Testing

/// A ring record holds names and counts in 16 bits: a line beyond that is refused with a reason,
/// never accepted and stored wrong. Only an HTTP body can carry such a line.
@Suite struct RecordLimits {
    /// The line with `NAME` replaced by a name one byte too long (the test log shows the template).
    @Test(arguments: ["NAME f=1", "m,NAME=v f=1", "m NAME=1"])
    func aNameLongerThan64KiBRejectsItsLineOnly(_ template: String) {
        let line = template.split(separator: "NAME", omittingEmptySubsequences: false)
            .joined(separator: String(repeating: "x", count: PointRecord.maxLength + 1))
        let result = parse(line + " 5\nok f=2 6\n")
        #expect(result.points == [Point(measurement: "ok", fields: [.init("f", .float(2))], time: 6)])
        #expect(result.errors.count == 1)
        #expect(result.errors.first?.line == 1)
        #expect(result.errors.first?.message.hasSuffix("is longer than 65535 bytes") == true)
    }

    @Test func aNameOf64KiBOnceUnescapedIsARecordThatReadsBack() throws {
        let name = String(repeating: "a b", count: PointRecord.maxLength / 3)
        let escaped = String(repeating: #"a\ b"#, count: PointRecord.maxLength / 3)
        let parsed = try #require(point("m,k=v \(escaped)=1i 5"))
        #expect(parsed.fields.first?.key == name)
        let record = try PointRecord.encode(parsed)
        #expect(try record.withUnsafeBytes { try PointRecordView($0).makePoint() } == parsed)
    }

    @Test func tooManyFieldsOrTagsRejectTheLine() {
        let fields = (0...PointRecord.maxLength).map { "f\($0)=1" }.joined(separator: ",")
        let tags = (0...PointRecord.maxTags).map { ",t\($0)=v" }.joined()
        let result = parse("m \(fields)\nm\(tags) f=1\nok f=2 6\n")
        #expect(result.errors.map(\.line) == [1, 2])
        #expect(result.errors.map(\.message) == ["65536 fields in one line: at most 65535", "65535 tags in one line: at most 65534"])
        #expect(result.points.map(\.measurement) == ["ok"])
    }
}
