import WorkerRuntime
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// `DATADIR/linemaster.pid`, like postmaster.pid: one fact per line, so that scripts can read it.
///
///     12345                          pid
///     /srv/linemaster                data directory
///     1763830000                     start time (seconds since the Unix epoch)
///     /etc/linemaster.toml           config file
///     /linemaster.0123456789abcdef   shared-memory segment
///     ready                          starting, ready or stopping
public struct PidFile: Sendable {
    public struct Contents: Equatable, Sendable {
        public var pid: Int32
        public var dataDirectory: String
        public var startTime: Int
        public var configPath: String
        public var sharedMemoryName: String
        public var status: String
    }

    public static func path(dataDirectory: String) -> String { dataDirectory + "/linemaster.pid" }

    let path: String
    private(set) var contents: Contents

    /// Creates the pid file with O_EXCL and writes it through that descriptor; a file left by a
    /// dead supervisor (or by a process that is no linemaster, after a reboot reused its pid) is
    /// replaced, a live supervisor's makes this fail.
    static func acquire(_ contents: Contents) throws(SupervisorError) -> PidFile {
        let path = path(dataDirectory: contents.dataDirectory)
        let file = PidFile(path: path, contents: contents)
        for attempt in 0..<3 {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 {
                let bytes = Array(file.text.utf8)
                let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                close(fd)
                guard written == bytes.count else { throw .system(SystemCallError("writing \(path)")) }
                return file
            }
            guard errno == EEXIST else { throw .system(SystemCallError("creating \(path)")) }
            guard let holder = read(dataDirectory: contents.dataDirectory) else {
                // Another start may be writing it right now: look again before calling it stale.
                if attempt == 0 { usleep(200_000); continue }
                Log.write("removing unreadable pid file \(path)")
                unlink(path)
                continue
            }
            if isSupervisor(holder.pid) {
                throw .alreadyRunning(pid: holder.pid, dataDirectory: contents.dataDirectory)
            }
            Log.write("removing stale pid file \(path)")
            unlink(path)
        }
        throw .alreadyRunning(pid: 0, dataDirectory: contents.dataDirectory)
    }

    /// The pid file of `dataDirectory`, if there is a readable one.
    public static func read(dataDirectory: String) -> Contents? {
        guard let text = readTextFile(path(dataDirectory: dataDirectory)) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 6, let pid = Int32(lines[0]), let start = Int(lines[2]) else { return nil }
        return Contents(pid: pid, dataDirectory: lines[1], startTime: start, configPath: lines[3],
                        sharedMemoryName: lines[4], status: lines[5])
    }

    /// Whether a process with this pid exists (a zombie or another user's process counts).
    public static func isAlive(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }

    /// Whether `pid` is a running linemaster other than this process. A process whose executable
    /// cannot be read (another user's) counts as one, to be safe.
    public static func isSupervisor(_ pid: Int32) -> Bool {
        guard isAlive(pid), pid != getpid() else { return false }
        guard let executable = readLink("/proc/\(pid)/exe") else { return true }
        return executable.split(separator: "/").last.map { $0.hasPrefix("linemaster") } ?? false
    }

    mutating func setStatus(_ status: SupervisorStatus) {
        contents.status = status.rawValue
        try? write()
    }

    func remove() {
        unlink(path)
    }

    private var text: String {
        let c = contents
        return [String(c.pid), c.dataDirectory, String(c.startTime), c.configPath, c.sharedMemoryName, c.status]
            .joined(separator: "\n") + "\n"
    }

    private func write() throws(SupervisorError) {
        try writeFileAtomically(path, text)
    }
}

/// Writes through a temporary file and rename, so that readers never see half a file.
func writeFileAtomically(_ path: String, _ text: String) throws(SupervisorError) {
    let temporary = path + ".tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw .system(SystemCallError("creating \(temporary)")) }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    close(fd)
    guard written == bytes.count, rename(temporary, path) == 0 else { throw .system(SystemCallError("writing \(path)")) }
}
