import ArgumentParser
import SharedRing

#if canImport(Glibc)
import Glibc
#endif

struct Consume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Claim batches, append their payload identifiers to a file, then release them.",
        discussion: """
            Each batch becomes one line, written with one write(2) before the batch is released \
            (as an inserter commits before it releases): the identifiers separated by spaces, or \
            BAD for a payload that is not a whole test payload. A line without its newline was \
            cut short by a kill and does not count.
            """)

    @OptionGroup var segment: SegmentOption

    @Option(help: "The file to append batch lines to.")
    var out: String

    @Option(help: "The most records per batch.")
    var maxBatch: Int = 64

    @Option(help: "Milliseconds to hold each batch between writing and releasing it.")
    var holdMs: Int = 0

    @Option(help: "Exit after this many milliseconds without records (default: never).")
    var exitWhenIdleMs: Int?

    func run() throws {
        let ring = try segment.openRing()
        let outFile = try AppendFile(path: out)
        var idleMs = 0
        while true {
            guard let batch = ring.claim(maxRecords: maxBatch, timeout: .milliseconds(100)) else {
                idleMs += 100
                if let exitWhenIdleMs, idleMs >= exitWhenIdleMs { return }
                continue
            }
            idleMs = 0
            let ids = batch.records.map { record in TestPayload.identify(record.payload).map { String($0) } ?? "BAD" }
            outFile.append(ids.joined(separator: " ") + "\n")
            if holdMs > 0 { usleep(UInt32(holdMs) * 1000) }
            ring.release(batch)
        }
    }
}
