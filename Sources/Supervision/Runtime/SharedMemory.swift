import SharedRing

/// The supervisor's hold on the data directory's shared-memory segment.
struct SharedMemory {
    let name: String
    let size: Int
    private(set) var segment: SharedSegment

    static func segmentName(dataDirectory: String) -> String {
        SharedSegment.name(forDataDirectory: dataDirectory)
    }

    init(dataDirectory: String, size: Int) throws(SupervisorError) {
        name = Self.segmentName(dataDirectory: dataDirectory)
        self.size = size
        do { segment = try SharedSegment.create(name: name, size: size) } catch { throw .sharedMemory(error) }
    }

    /// After a crash restart: every worker that had the segment attached is gone, so a fresh
    /// segment replaces it; the next workers get the new descriptor.
    mutating func recover() throws(SupervisorError) {
        do { segment = try SharedSegment.create(name: name, size: size) } catch { throw .sharedMemory(error) }
    }

    func remove() {
        SharedSegment.unlink(name: name)
    }
}
