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
            let payload = TestPayload.make(id: id, size: size)
            while true {
                switch ring.tryPublish(payload) {
                case .published:
                    reportFile?.append("\(id)\n")
                case .full:
                    usleep(200)
                    continue
                case .tooLarge:
                    throw ValidationError("payload of \(payload.count) bytes exceeds the ring's \(ring.maxPayloadSize)")
                }
                break
            }
        }
    }
}
