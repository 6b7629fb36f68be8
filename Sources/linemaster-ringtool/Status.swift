import ArgumentParser
import SharedRing

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the ring's counters and the used worker slots.")

    @OptionGroup var segment: SegmentOption

    func run() throws {
        let ring = try segment.openRing()
        let c = ring.counters
        print("epoch \(ring.epoch) capacity \(c.capacity) used \(c.bytesUsed) waiting \(c.bytesWaiting)")
        print("rows in \(c.rowsIn) out \(c.rowsOut) dropped \(c.rowsDropped) corrupt \(c.rowsCorrupt)")
        for index in 0 ..< WorkerStatsSlot.slotCount {
            let slot = ring.workerStats(slot: index)
            guard let pid = slot.pid else { continue }
            print("slot \(index) pid \(pid) \(slot.name): \(slot.values.map(String.init).joined(separator: " "))")
        }
    }
}
