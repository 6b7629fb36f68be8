import Glibc

/// What the kernel says about sockets: which a process holds (/proc/PID/fd), and how a UDP
/// port is doing (/proc/net/udp): the count of losses that starts at the sender's side.
enum KernelSockets {
    /// What process `pid` has open, by descriptor number: `socket:[INODE]`, `pipe:[INODE]`, a path.
    static func openFiles(of pid: pid_t) -> [Int32: String] {
        var result: [Int32: String] = [:]
        guard let dir = opendir("/proc/\(pid)/fd") else { return [:] }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard let fd = Int32(name) else { continue }
            var buffer = [CChar](repeating: 0, count: 256)
            let n = readlink("/proc/\(pid)/fd/\(fd)", &buffer, buffer.count - 1)
            result[fd] = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        }
        return result
    }

    /// The socket inodes process `pid` holds, by descriptor number.
    static func held(by pid: pid_t) -> [Int32: String] {
        openFiles(of: pid).filter { $0.value.hasPrefix("socket:") }
    }

    /// Datagrams the kernel dropped at the sockets on 127.0.0.1:`port` (a full receive buffer).
    static func udpDrops(port: UInt16) -> Int {
        udp(port: port).map(\.drops).reduce(0, +)
    }

    /// The bound UDP sockets on 127.0.0.1:`port` (or any IPv4 address), each with its receive
    /// queue in bytes and the datagrams the kernel dropped at it (a full buffer, mostly).
    static func udp(port: UInt16) -> [(queuedBytes: Int, drops: Int)] {
        let hexPort = ":" + String(port, radix: 16, uppercase: true).leftPadded(to: 4)
        return (readFile("/proc/net/udp") ?? "").split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 13, fields[1].hasSuffix(hexPort) else { return nil }
            let queues = fields[4].split(separator: ":")
            return (Int(queues[1], radix: 16) ?? 0, Int(fields[12]) ?? 0)
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}

/// `N` from linemaster-load's summary `sent N lines in M datagrams, ...`: the lines in datagrams
/// the sender's kernel took, where counting what was accepted starts.
func linesSent(_ output: String) -> Int? {
    output.split(separator: "\n").first { $0.hasPrefix("sent ") }.flatMap { Int($0.split(separator: " ")[1]) }
}
