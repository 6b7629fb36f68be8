import ArgumentParser
import SharedRing

#if canImport(Glibc)
import Glibc
#endif

struct Produce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish test payloads with identifiers FROM ..< FROM+COUNT, retrying while the ring is full.")

    @OptionGroup var segment: SegmentOption

    @Option(help: "The first payload identifier.")
    var from: UInt64

    @Option(help: "How many payloads to publish.")
    var count: UInt64

    @Option(help: "Payload size in bytes (default: 8 to 157 bytes, varying).")
    var size: Int?

    @Option(help: "Append the identifier of every published payload to this file, after publishing it.")
    var report: String?

    func run() throws {
        let ring = try segment.openRing()
        let reportFile = try report.map { try AppendFile(path: $0) }
        for id in from ..< from + count {
            let length = TestPayload.length(id: id, size: size)
            // Written in place, as a listener encodes a point: a kill during the write leaves a
            // torn record, which is what the crash tests are after.
            while true {
                switch ring.tryPublish(byteCount: length, { TestPayload.write(id: id, into: $0) }) {
                case .published:
                    reportFile?.append("\(id)\n")
                case .full:
                    usleep(200)
                    continue
                case .tooLarge:
                    throw ValidationError("payload of \(length) bytes exceeds the ring's \(ring.maxPayloadSize)")
                }
                break
            }
        }
    }
}
