extension SharedRing {
    /// What the supervisor calls at every start: opens the ring of `name` and recovers it, or
    /// creates it with `size` bytes of data area when there is none or it is unusable.
    ///
    /// Rows accepted before a crash or a kill of the supervisor are kept whenever they can be read:
    /// - no segment: a new ring (new epoch).
    /// - a valid ring: recovered (``recover()``), same epoch, rows kept. If `size` differs from its
    ///   size, the ring is replaced only when recovery finds it empty; otherwise it keeps its size
    ///   and the report says so in ``RecoveryReport/deferredCapacity``.
    /// - an unreadable segment (no magic, sizes that do not add up, too small): replaced, with the
    ///   reason in the report. Its contents could not be read by anyone.
    /// - a ring of another layout version: an error, since a different linemaster can still
    ///   drain it; replacing it would throw its rows away.
    ///
    /// Recovery needs that no other process can write to the ring (see ``recover()``): if workers
    /// of an earlier supervisor still have the segment mapped for writing, this throws
    /// ``SharedRingError/inUse(segment:pids:)``; readers that mapped it read-only do not count.
    public static func openOrCreate(name: String, size: Int) throws(SharedRingError) -> (SharedRing, RecoveryReport) {
        let capacity = SegmentLayout.capacity(forRequestedSize: size)
        guard capacity >= SegmentLayout.minimumCapacity else {
            throw .sizeTooSmall(requested: size, minimum: SegmentLayout.minimumCapacity)
        }
        let attached = SharedSegment.processesAttached(name: name)
        guard attached.isEmpty else { throw .inUse(segment: name, pids: attached) }
        let existing: SharedSegment?
        do { existing = try SharedSegment.open(name: name) } catch { throw .segment(error) }
        guard let existing else {
            return (try create(name: name, size: size), RecoveryReport(origin: .created))
        }
        switch SegmentLayout(base: existing.base).validate(segmentSize: existing.size) {
        case nil:
            let ring = wrapping(existing)
            var report = ring.recover()
            guard ring.capacity != capacity else { return (ring, report) }
            guard report.recordsKept == 0 else {
                report.deferredCapacity = capacity
                return (ring, report)
            }
            let reason = "ring size changed from \(ring.capacity) to \(capacity) bytes and the old ring was empty"
            return (try create(name: name, size: size), RecoveryReport(origin: .recreated(reason: reason)))
        case .unsupportedVersion(let version):
            throw .unsupportedVersion(segment: name, version: version)
        case let problem?:
            return (try create(name: name, size: size), RecoveryReport(origin: .recreated(reason: problem.description)))
        }
    }
}
