import Ingest
import LineProtocol
import SharedRing

/// What became of the lines of one write request's body.
struct BodyOutcome: Equatable {
    enum Publication: Equatable {
        /// The accepted rows are in the ring at these sequence numbers (empty: none accepted).
        case published(Range<UInt64>)
        /// The ring had no room for them all: nothing was published.
        case ringFull
        /// They can never fit in the ring at once: nothing was published.
        case tooLargeForRing
    }

    var publication: Publication
    var accepted: Int
    var rejected: Int
    /// The first line the parser refused, with its text, for the 400 answer.
    var firstRejection: String?
    /// The first ``BodyPublisher/keptRejections`` rejected lines, for the rejects table.
    var rejections: [LineProtocolError] = []
}

/// Parses a request body and publishes its rows into the ring as one group, so that a request is
/// stored whole or not at all (see ``SharedRing/tryPublishAll(_:)``).
///
/// The records are encoded into a private buffer first, then copied: the ring's reservation then
/// lasts only for the copy, and a body that does not fit costs no reservation at all. A row
/// larger than a ring record (``SharedRing/maxPayloadSize``) is refused like a line that does not
/// parse (the parser refuses names and counts a record cannot hold), so that no 204 is sent for a
/// row no inserter can read.
final class BodyPublisher {
    private let ring: SharedRing
    private let databaseTag: [UInt8]?
    private var records: [UInt8] = []
    private var sizes: [Int] = []

    init(ring: SharedRing, databaseTag: String?) {
        self.ring = ring
        self.databaseTag = databaseTag.map { Array($0.utf8) }
    }

    /// Parses `body` with `precision` (lines without a timestamp get `receivedAt`) and publishes
    /// every accepted row; `database` becomes the value of the database tag when one is configured.
    func publish(_ body: UnsafeRawBufferPointer, precision: Precision, receivedAt: Int64, database: String?) -> BodyOutcome {
        // Capacity is kept for the usual body; a rare huge one gives its memory back.
        records.removeAll(keepingCapacity: records.capacity <= Self.keptCapacity)
        sizes.removeAll(keepingCapacity: true)
        var rejected = 0
        var firstRejection: String?
        var rejections: [LineProtocolError] = []
        let tag = databaseTag.flatMap { key in database.flatMap { $0.isEmpty ? nil : (key: key, value: Array($0.utf8)) } }
        LineParser(precision: precision).parse(body, defaultTime: receivedAt) { point in
            let size = PointRecord.encodedSize(point, extraTag: tag)
            guard size <= ring.maxPayloadSize else {
                rejected += 1
                if firstRejection == nil {
                    firstRejection = "line \(point.line): a row of \(size) bytes, more than a ring record holds (\(ring.maxPayloadSize))"
                }
                return
            }
            let start = records.count
            records.append(contentsOf: repeatElement(0, count: size))
            records.withUnsafeMutableBytes { _ = PointRecord.encode(point, extraTag: tag, into: $0.baseAddress! + start) }
            sizes.append(size)
        } onError: { error in
            rejected += 1
            if firstRejection == nil { firstRejection = Self.describe(error, in: body) }
            if rejections.count < Self.keptRejections { rejections.append(error) }
        }
        var outcome = BodyOutcome(publication: .published(0..<0), accepted: sizes.count, rejected: rejected,
                                  firstRejection: firstRejection, rejections: rejections)
        guard !sizes.isEmpty else { return outcome }
        let result = records.withUnsafeBytes { buffer in
            var offset = 0
            return ring.tryPublishAll(sizes.map { size in
                defer { offset += size }
                return UnsafeRawBufferPointer(rebasing: buffer[offset ..< offset + size])
            })
        }
        switch result {
        case .published(let sequences): outcome.publication = .published(sequences)
        case .full: outcome.publication = .ringFull
        case .tooLarge: outcome.publication = .tooLargeForRing
        }
        return outcome
    }

    static let keptCapacity = 4 << 20

    /// Rejected lines a request may hand to the rejects table: as many as the reject limit's
    /// burst (``RejectKeeper/burstLines``), which would refuse more anyway.
    static let keptRejections = Int(RejectKeeper.burstLines)

    /// `unable to parse 'LINE': REASON`, as InfluxDB words it; the line cut at 200 bytes.
    static func describe(_ error: LineProtocolError, in body: UnsafeRawBufferPointer) -> String {
        let text = UnsafeRawBufferPointer(rebasing: body[error.entry.clamped(to: 0 ..< body.count)]).prefix(200)
        return "unable to parse '\(String(decoding: text, as: UTF8.self))': \(error.message) (line \(error.line), column \(error.column))"
    }
}
