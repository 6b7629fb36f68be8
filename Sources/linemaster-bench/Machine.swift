import Glibc

/// What the kernel shows of the processes and sockets a case uses.
enum Machine {
    /// CPU seconds (user + system) of a process, 0 when it is gone.
    static func cpuSeconds(pid: Int) -> Double {
        guard let stat = readText("/proc/\(pid)/stat"), let end = stat.lastIndex(of: ")") else { return 0 }
        // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The UDP sockets bound to `port`: bytes in their receive queues and datagrams they dropped
    /// because a queue was full (per socket, so other programs' traffic does not count).
    static func udpSockets(port: Int) -> (queued: Int, drops: Int) {
        let hexPort = ":" + hex4(port)
        var queued = 0, drops = 0
        for table in ["/proc/net/udp", "/proc/net/udp6"] {
            for line in (readText(table) ?? "").split(separator: "\n").dropFirst() {
                let f = line.split(separator: " ")
                guard f.count > 5, f[1].hasSuffix(hexPort) else { continue }
                queued += Int(f[4].split(separator: ":").last ?? "", radix: 16) ?? 0
                drops += Int(f.last!) ?? 0
            }
        }
        return (queued, drops)
    }

    /// Udp RcvbufErrors of /proc/net/snmp: datagrams any socket of the machine dropped.
    static func udpReceiveBufferErrors() -> Int {
        let udp = (readText("/proc/net/snmp") ?? "").split(separator: "\n").filter { $0.hasPrefix("Udp: ") }
        guard udp.count == 2, let column = udp[0].split(separator: " ").firstIndex(of: "RcvbufErrors") else { return 0 }
        return Int(udp[1].split(separator: " ")[column]) ?? 0
    }

    /// The 1, 5 and 15 minute load averages.
    static var loadAverage: String { (readText("/proc/loadavg") ?? "").split(separator: " ").prefix(3).joined(separator: " ") }

    /// Cores, processor model, memory and kernel, in one line.
    static var summary: String {
        let model = (readText("/proc/cpuinfo") ?? "").split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last!.drop { $0 == " " } } ?? "?"
        let kilobytes = (readText("/proc/meminfo") ?? "").split(separator: "\n").first { $0.hasPrefix("MemTotal") }
            .flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Double($0) } } ?? 0
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "\(sysconf(Int32(_SC_NPROCESSORS_ONLN))) cores (\(model)), \(Int((kilobytes / 1_048_576).rounded())) GiB, Linux \(release)"
    }

    /// Seconds on the monotonic clock.
    static var now: Double { clockSeconds(CLOCK_MONOTONIC) }

    /// A UDP port nobody has bound on this machine, from a random start.
    static func freeUDPPort() -> Int {
        let start = Int.random(in: 20000..<40000)
        return (start..<65000).first { port in
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
        } ?? start
    }

    private static func hex4(_ n: Int) -> String {
        let digits = String(n, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// The whole text of a (small) file, nil when it cannot be read.
func readText(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n == 0 { break }
        bytes += buffer[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
