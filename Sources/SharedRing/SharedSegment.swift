#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

/// A POSIX shared-memory segment mapped into this process.
///
/// The supervisor creates the segment (mode 0600) and hands the open descriptor to the workers
/// that have the `shared-memory` flag; a worker attaches with ``attach(fd:)``. Nothing but the
/// descriptor is needed to attach, which is what makes the flag a capability: a worker that was
/// not given the descriptor has nothing to map.
public final class SharedSegment: @unchecked Sendable {
    /// The name under /dev/shm, e.g. `/linemaster.0123456789abcdef`.
    public let name: String
    /// The open descriptor of the segment (close-on-exec; the spawner clears that flag for workers).
    public let fd: Int32
    public let base: UnsafeMutableRawPointer
    public let size: Int

    private init(name: String, fd: Int32, base: UnsafeMutableRawPointer, size: Int) {
        self.name = name
        self.fd = fd
        self.base = base
        self.size = size
    }

    deinit {
        munmap(base, size)
        close(fd)
    }

    /// The segment name of a data directory: stable, so that a restarted supervisor finds it again.
    public static func name(forDataDirectory path: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "/linemaster." + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Creates the segment `name` with `size` bytes, zero-filled, mode 0600, replacing any old one.
    public static func create(name: String, size: Int) throws(SharedSegmentError) -> SharedSegment {
        shm_unlink(name)
        let fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(SystemCallError("shm_open(\(name))")) }
        // Every page is allocated now, not on first touch: a /dev/shm too small for the ring fails
        // the start with a message instead of killing a worker with SIGBUS when the ring first
        // wraps. Mapping it with MAP_POPULATE zeroes the pages here too, so a listener never stops
        // for that while datagrams queue up. The ring's memory is taken from the start.
        let err = ftruncate(fd, off_t(size)) == 0 ? posix_fallocate(fd, 0, off_t(size)) : errno
        guard err == 0 else {
            close(fd)
            shm_unlink(name)
            throw err == ENOSPC ? .noSpace(size) : .system(SystemCallError("allocating \(name) (\(size) bytes)", errno: err))
        }
        return try map(name: name, fd: fd, size: size, flags: MAP_POPULATE)
    }

    /// How a process maps a segment it opens by name.
    public enum Access: Sendable {
        /// The supervisor, which recovers the ring, and tools that publish or claim.
        case readWrite
        /// Readers such as `linemaster status`: they cannot change the ring, so the supervisor
        /// may recover it while they have it mapped. Any write through the mapping faults.
        case readOnly

        var openFlag: Int32 { self == .readOnly ? O_RDONLY : O_RDWR }
        var protection: Int32 { self == .readOnly ? PROT_READ : PROT_READ | PROT_WRITE }
    }

    /// Opens the existing segment `name`, if there is one (a supervisor restarting on the same
    /// data directory, or a reader); never creates it.
    public static func open(name: String, access: Access = .readWrite) throws(SharedSegmentError) -> SharedSegment? {
        let fd = shm_open(name, access.openFlag | O_CLOEXEC, 0)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw .system(SystemCallError("shm_open(\(name))"))
        }
        // The name is predictable: a segment someone else made (or others may open) could be read
        // or filled by them, so only a private segment of our own is used.
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_uid == geteuid(), info.st_mode & 0o077 == 0 else {
            close(fd)
            throw .foreign(name)
        }
        return try map(name: name, fd: fd, size: Int(info.st_size), protection: access.protection)
    }

    /// Attaches to a segment whose descriptor this process inherited: a worker, which publishes
    /// or claims, so its page tables are filled now (MAP_POPULATE) rather than by a page fault
    /// per 4 KiB of ring while it works.
    public static func attach(fd: Int32) throws(SharedSegmentError) -> SharedSegment {
        return try map(name: "fd \(fd)", fd: fd, size: try sizeOf(fd: fd, name: "fd \(fd)"), flags: MAP_POPULATE)
    }

    /// Removes the name; mappings that exist stay valid until unmapped.
    public static func unlink(name: String) {
        shm_unlink(name)
    }

    /// The processes other than this one that have the segment `name` mapped for writing, found
    /// in `/proc/PID/maps` (as PostgreSQL asks the kernel how many processes are attached to its
    /// segment before it reuses it). A read-only mapping does not count: such a reader (a
    /// `linemaster status` run by a monitoring loop) cannot change the ring under a recovery, and
    /// must not keep a supervisor from starting. Processes of other users are not visible, and
    /// cannot map a 0600 segment anyway.
    public static func processesAttached(name: String) -> [pid_t] {
        guard let proc = opendir("/proc") else { return [] }
        defer { closedir(proc) }
        let path = Array(("/dev/shm" + name).utf8)
        let me = getpid()
        var pids: [pid_t] = []
        while let entry = readdir(proc) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = pid_t(entryName), pid != me else { continue }
            if mapsContain(pid: pid, path: path) { pids.append(pid) }
        }
        return pids
    }

    private static func mapsContain(pid: pid_t, path: [UInt8]) -> Bool {
        guard let contents = try? readFile(atPath: "/proc/\(pid)/maps") else { return false }
        // Each line ends with the mapped path; match it whole, up to the newline.
        var start = 0
        while let end = contents[start...].firstIndex(of: UInt8(ascii: "\n")) {
            let line = contents[start ..< end]
            if line.count >= path.count && line.suffix(path.count).elementsEqual(path) && isWritable(line) { return true }
            start = end + 1
        }
        return false
    }

    /// Whether a line of /proc/PID/maps (`START-END PERMS OFFSET DEVICE INODE PATH`, PERMS such
    /// as `rw-s`) maps for writing.
    private static func isWritable(_ line: ArraySlice<UInt8>) -> Bool {
        guard let space = line.firstIndex(of: UInt8(ascii: " ")), space + 2 < line.endIndex else { return false }
        return line[space + 2] == UInt8(ascii: "w")
    }

    private static func sizeOf(fd: Int32, name: String) throws(SharedSegmentError) -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .system(SystemCallError("fstat(\(name))")) }
        return Int(info.st_size)
    }

    private static func map(
        name: String, fd: Int32, size: Int, flags: Int32 = 0, protection: Int32 = PROT_READ | PROT_WRITE
    ) throws(SharedSegmentError) -> SharedSegment {
        let address = mmap(nil, size, protection, MAP_SHARED | flags, fd, 0)
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {
            let err = errno
            close(fd)
            throw .system(SystemCallError("mmap(\(name), \(size) bytes)", errno: err))
        }
        return SharedSegment(name: name, fd: fd, base: address, size: size)
    }
}

/// Why a segment could not be created, opened or mapped.
public enum SharedSegmentError: Error, CustomStringConvertible {
    case system(SystemCallError)
    /// The segment belongs to another user or others may open it.
    case foreign(String)
    /// /dev/shm cannot hold a segment of this many bytes.
    case noSpace(Int)

    public var description: String {
        switch self {
        case .system(let error):
            return error.description
        case .foreign(let name):
            return "/dev/shm\(name) belongs to another user or is not private (mode 0600): remove it after checking who made it"
        case .noSpace(let size):
            return "/dev/shm has no room for a ring of \(size) bytes (see df /dev/shm): make [ring] size smaller or /dev/shm larger"
        }
    }
}
