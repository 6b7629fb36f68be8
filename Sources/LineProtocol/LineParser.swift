/// Parses InfluxDB line protocol as the reference decoder (influxdata/line-protocol v2) does.
///
/// One parser per thread; it keeps scratch space between calls so that parsing does not allocate.
/// Each line is accepted or rejected on its own: a bad line is reported and skipped, and the next
/// line is parsed normally.
///
/// ```swift
/// let parser = LineParser(precision: .nanoseconds)
/// datagram.withUnsafeBytes { bytes in
///     parser.parse(bytes, defaultTime: now) { point in
///         ring.append(point)              // point borrows `bytes`: copy what you keep
///     } onError: { error in
///         log("\(error)")                 // "line 3, column 17: invalid field value ..."
///     }
/// }
/// ```
public final class LineParser {
    /// The unit of the timestamps in the input.
    public let precision: Precision

    private var tags = ScratchArray<RawTag>(capacity: 16)
    private var fields = ScratchArray<RawField>(capacity: 16)

    /// Creates a parser for timestamps in `precision`.
    public init(precision: Precision = .nanoseconds) {
        self.precision = precision
    }

    deinit {
        tags.deallocate()
        fields.deallocate()
    }

    /// Parses every line in `input`, calling `onPoint` for each accepted line and `onError` for each
    /// rejected one, in input order.
    ///
    /// - Parameters:
    ///   - input: Line protocol bytes; the last line needs no line feed.
    ///   - defaultTime: Nanoseconds since the epoch for lines without a timestamp; it is truncated
    ///     to the precision first, as the reference does.
    ///   - firstLine: The line number of the first line of `input`, for points and errors.
    ///   - onPoint: Receives each accepted line, borrowed: valid only during the call.
    ///   - onError: Receives each rejected line.
    public func parse(
        _ input: UnsafeRawBufferPointer,
        defaultTime: Int64,
        firstLine: Int = 1,
        onPoint: (PointView) throws -> Void,
        onError: (LineProtocolError) throws -> Void
    ) rethrows {
        guard let base = input.baseAddress, input.count > 0 else { return }
        var scanner = Scanner(
            p: base.assumingMemoryBound(to: UInt8.self), end: input.count, table: ByteClass.table,
            tags: tags, fields: fields)
        defer {
            tags = scanner.tags
            fields = scanner.fields
        }
        let defaultTime = precision.truncate(defaultTime)
        var line = firstLine
        while scanner.skipToEntry(line: &line) {
            let entryStart = scanner.pos
            let point: PointView
            do throws(ScanFailure) {
                point = try scanner.scanEntry(precision: precision, defaultTime: defaultTime, line: line)
            } catch {
                let resume = error.resume ?? scanner.lineEnd(after: max(error.offset, scanner.pos))
                try onError(scanner.error(for: error, entryStart: entryStart, resume: resume, line: line))
                line += scanner.countLineFeeds(entryStart..<resume)
                scanner.pos = resume
                continue
            }
            try onPoint(point)
            line += scanner.newlinesInStrings + (scanner.p[scanner.pos - 1] == UInt8(ascii: "\n") ? 1 : 0)
        }
    }
}

extension Scanner {
    /// Reads one line (entry) starting at a measurement name.
    @inline(__always)
    mutating func scanEntry(precision: Precision, defaultTime: Int64, line: Int) throws(ScanFailure) -> PointView {
        newlinesInStrings = 0
        let start = pos
        let measurement = try scanMeasurement()
        try scanTags()
        let time: Int64
        if try scanFields() {
            time = try scanTimestamp(precision: precision, defaultTime: defaultTime)
        } else {
            try scanLineEnd()
            time = defaultTime
        }
        // Only a line longer than the limit can hold an element or a count beyond it.
        if pos - start > PointRecord.maxLength { try checkRecordLimits(measurement) }
        if tags.count > 1, let duplicate = duplicateTagKey() {
            let key = tags.elements[duplicate].key.raw
            let start = key.baseAddress! - p
            throw ScanFailure(.duplicateTagKey(start..<start + key.count), at: start, resume: pos)
        }
        return PointView(
            measurement: measurement,
            tags: PointView.Tags(storage: tags.elements),
            fields: PointView.Fields(storage: fields.elements),
            time: time,
            line: line)
    }

    /// A row's names and its numbers of tags and fields are 16-bit in a ``PointRecord`` (and
    /// InfluxDB refuses series keys over 64 KiB): a line beyond that is refused rather than stored
    /// wrong. Only an HTTP body can hold one; a datagram is shorter.
    func checkRecordLimits(_ measurement: ElementBytes) throws(ScanFailure) {
        let lineStart = measurement.raw.baseAddress! - p
        if tags.count > PointRecord.maxTags { throw ScanFailure(.tooMany(.tagKey, tags.count), at: lineStart, resume: pos) }
        if fields.count > PointRecord.maxLength { throw ScanFailure(.tooMany(.fieldKey, fields.count), at: lineStart, resume: pos) }
        try checkLength(measurement, .measurement)
        for tag in tags.elements { try checkLength(tag.key, .tagKey) }
        for field in fields.elements { try checkLength(field.key, .fieldKey) }
    }

    private func checkLength(_ element: ElementBytes, _ kind: ElementKind) throws(ScanFailure) {
        guard element.raw.count > PointRecord.maxLength, element.unescapedCount > PointRecord.maxLength else { return }
        let start = element.raw.baseAddress! - p
        throw ScanFailure(.tooLong(kind, start..<start + element.raw.count), at: start, resume: pos)
    }

    func countLineFeeds(_ range: Range<Int>) -> Int {
        var n = 0
        for i in range where p[i] == UInt8(ascii: "\n") { n += 1 }
        return n
    }

    /// The user-facing error for `failure`, with the line and column of its offset, and the
    /// entry's bytes up to `resume` (where scanning goes on), without its line ending.
    func error(for failure: ScanFailure, entryStart: Int, resume: Int, line: Int) -> LineProtocolError {
        let offset = min(failure.offset, end)
        var entryEnd = max(resume, entryStart)
        if entryEnd > entryStart && p[entryEnd - 1] == UInt8(ascii: "\n") { entryEnd -= 1 }
        if entryEnd > entryStart && p[entryEnd - 1] == UInt8(ascii: "\r") { entryEnd -= 1 }
        return LineProtocolError(
            line: line + countLineFeeds(entryStart..<offset),
            column: offset - lineStart(of: offset) + 1,
            message: failure.problem.message(in: UnsafeBufferPointer(start: p, count: end)),
            entry: lineStart(of: entryStart)..<entryEnd, entryLine: line)
    }

    /// The offset of the first byte of the line that holds `offset`.
    private func lineStart(of offset: Int) -> Int {
        var start = offset
        while start > 0 && p[start - 1] != UInt8(ascii: "\n") { start -= 1 }
        return start
    }
}
