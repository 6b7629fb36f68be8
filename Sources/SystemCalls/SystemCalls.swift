#if canImport(Glibc)
import Glibc
#endif

/// A system call that failed, with the `errno` it left: the one type for such failures, which
/// each module's error wraps (`.system(SystemCallError)`), so that every one reads the same way.
public struct SystemCallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was being done, e.g. `shm_open(/linemaster.1a2b)` or `bind 127.0.0.1:8089`.
    public let call: String
    public let errno: Int32

    /// `errno` defaults to the calling thread's current one: create the error right after the call.
    public init(_ call: String, errno: Int32 = Glibc.errno) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call) failed: \(String(cString: strerror(errno)))" }
}

/// Everything `fd` yields until end of file, reading on through interruptions by signals. With
/// `limit`, stops once more than `limit` bytes have arrived (the result then holds `limit + 1`),
/// so that a caller can refuse a file too large without reading it all.
public func readToEnd(fd: Int32, limit: Int = .max) throws(SystemCallError) -> [UInt8] {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while bytes.count <= limit {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n == 0 { break }
        if n < 0 {
            if Glibc.errno == EINTR { continue }
            throw SystemCallError("read")
        }
        bytes += chunk[..<n]
    }
    return limit < bytes.count ? Array(bytes[...limit]) : bytes
}

/// The whole file at `path` (see ``readToEnd(fd:limit:)``).
public func readFile(atPath path: String, limit: Int = .max) throws(SystemCallError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw SystemCallError("open \(path)") }
    defer { close(fd) }
    do { return try readToEnd(fd: fd, limit: limit) } catch { throw SystemCallError("reading \(path)", errno: error.errno) }
}

/// The kernel receive buffer of a socket, which bounds how much may queue while nobody reads.
public enum ReceiveBuffer {
    /// Asks for `size` bytes and returns what the kernel granted. As root it uses SO_RCVBUFFORCE,
    /// which `net.core.rmem_max` does not cap; where that is refused (root without
    /// CAP_NET_ADMIN, as in a container) and otherwise, SO_RCVBUF, which it does.
    @discardableResult
    public static func set(_ size: Int, on fd: Int32) -> Int {
        var requested = Int32(clamping: size)
        let length = socklen_t(MemoryLayout<Int32>.size)
        if geteuid() != 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &requested, length) != 0 {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &requested, length)
        }
        return granted(fd)
    }

    /// What the kernel uses for `fd` (Linux reports twice the usable size).
    public static func granted(_ fd: Int32) -> Int {
        var size: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &length)
        return Int(size) / 2
    }

    /// The log line for a buffer the kernel granted less of than asked.
    public static func capped(_ address: String, granted: Int, asked: Int) -> String {
        "receive buffer of \(address) is \(granted) bytes, not the \(asked) asked for: the kernel caps it at "
            + "net.core.rmem_max; raise it with sysctl -w net.core.rmem_max=\(asked), or start linemaster as root"
    }
}

/// The whole file as text, or nil when it cannot be read.
public func readTextFile(_ path: String) -> String? {
    (try? readFile(atPath: path)).map { String(decoding: $0, as: UTF8.self) }
}
