/// A rejected line as the scanner reports it: cheap to make (offsets only); the message is built
/// only when the error is handed to the caller.
struct ScanFailure: Error {
    /// Offset in the input of the byte the problem is at.
    var offset: Int
    /// Where scanning resumes; `nil` means at the line after the scanner's position.
    var resume: Int?
    var problem: Problem

    init(_ problem: Problem, at offset: Int, resume: Int? = nil) {
        self.offset = offset
        self.resume = resume
        self.problem = problem
    }
}

/// The element of a line a problem is about.
enum ElementKind: String {
    case measurement = "measurement name"
    case tagKey = "tag key"
    case tagValue = "tag value"
    case fieldKey = "field key"
    case stringValue = "string field value"
}

/// The kind of number or word a field value was read as.
enum ValueKind {
    case unrecognized, integer, unsigned, float, boolean
}

/// Everything that can make a line invalid. Ranges are offsets into the input.
enum Problem {
    case invalidMeasurementStart(UInt8)
    case expectedTagKey(found: UInt8?)
    case expectedEqualsAfterTagKey(key: Range<Int>, found: UInt8?)
    case expectedTagValue(key: Range<Int>)
    case missingFieldSet(found: UInt8?)
    case expectedFieldKey(found: UInt8?)
    case expectedEqualsAfterFieldKey(key: Range<Int>, found: UInt8?)
    case expectedFieldValue(key: Range<Int>)
    case unterminatedString(key: Range<Int>)
    case invalidFieldValue(key: Range<Int>, value: Range<Int>, kind: ValueKind)
    case fieldValueOutOfRange(key: Range<Int>, value: Range<Int>, kind: ValueKind)
    case unexpectedAfterFieldValue(UInt8)
    case invalidTimestamp(Range<Int>)
    case timestampOutOfRange(Range<Int>)
    case unexpectedAfterTimestamp(Range<Int>)
    case carriageReturnWithoutLineFeed
    case invalidUTF8(ElementKind, Range<Int>)
    case duplicateTagKey(Range<Int>)
    /// A measurement name, tag key or field key longer than ``PointRecord/maxLength`` unescaped.
    case tooLong(ElementKind, Range<Int>)
    /// More tags (`.tagKey`) than ``PointRecord/maxTags`` or fields (`.fieldKey`) than ``PointRecord/maxLength``.
    case tooMany(ElementKind, Int)
}
