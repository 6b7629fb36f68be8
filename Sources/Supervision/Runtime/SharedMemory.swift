import SharedRing
import WorkerRuntime

/// The supervisor's hold on the data directory's ring: it opens (and recovers) or creates it at
/// start, recovers it after a crash restart, gives each worker its statistics slot, and removes
/// it only after a smart shutdown that left it empty.
struct SharedMemory {
    let ring: SharedRing

    static func segmentName(dataDirectory: String) -> String {
        SharedSegment.name(forDataDirectory: dataDirectory)
    }

    /// A ring left by a killed supervisor or a fast shutdown is kept with its rows and recovered.
    init(dataDirectory: String, size: Int) throws(SupervisorError) {
        do {
            let (ring, report) = try SharedRing.openOrCreate(name: Self.segmentName(dataDirectory: dataDirectory), size: size)
            self.ring = ring
            Log.write("shared memory \(ring.segment.name): \(report)")
        } catch {
            throw .sharedMemory(error)
        }
    }

    /// After a crash restart: every process that had the ring attached is gone.
    func recover() {
        Log.write("shared memory \(ring.segment.name): \(ring.recover())")
    }

    /// Names the worker's statistics slot after it, so that `linemaster status` can show its counters.
    func assignStatsSlot(_ slot: Int, pid: Int32, name: String) {
        guard slot < WorkerStatsSlot.slotCount else { return }
        ring.workerStats(slot: slot).assign(pid: pid, name: name)
    }

    /// After a smart shutdown: removes the segment if no row is left in it.
    func removeIfEmpty() {
        let used = ring.counters.bytesUsed
        if used == 0 {
            SharedSegment.unlink(name: ring.segment.name)
        } else {
            Log.write("keeping shared memory \(ring.segment.name) for the next start: \(used) bytes of rows were not written")
        }
    }
}
