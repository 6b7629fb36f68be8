/// Why a ring could not be created, opened or attached.
public enum SharedRingError: Error, CustomStringConvertible {
    /// The segment itself could not be created, opened or mapped.
    case segment(SharedSegmentError)
    /// The configured ring size is below the minimum.
    case sizeTooSmall(requested: Int, minimum: Int)
    /// The segment exists but its header is not a ring this build can use.
    case invalidHeader(segment: String, reason: String)
    /// The segment holds a ring of another layout version; recreating it would lose its rows.
    case unsupportedVersion(segment: String, version: UInt32)

    /// Processes of an earlier run still have the segment mapped for writing; recovering it under them would
    /// corrupt it. They exit by themselves when they notice their supervisor is gone.
    case inUse(segment: String, pids: [Int32])

    public var description: String {
        switch self {
        case .segment(let error):
            return "shared memory: \(error)"
        case .sizeTooSmall(let requested, let minimum):
            return "ring size \(requested) bytes is too small: use at least \(minimum) bytes ([ring] size)"
        case .invalidHeader(let segment, let reason):
            return "shared memory segment \(segment) is not a usable ring: \(reason); restart the supervisor to recreate it"
        case .inUse(let segment, let pids):
            return "shared memory segment \(segment) is still in use by process(es) "
                + "\(pids.map(String.init).joined(separator: ", ")) of an earlier run: wait for them to exit, or kill them"
        case .unsupportedVersion(let segment, let version):
            return "shared memory segment \(segment) holds a ring of layout version \(version), this build reads "
                + "version \(SegmentLayout.version): drain it with the linemaster that created it "
                + "(linemaster stop --mode smart), or delete /dev/shm\(segment) to discard its rows"
        }
    }
}
