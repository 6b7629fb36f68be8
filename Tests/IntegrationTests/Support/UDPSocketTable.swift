/// The kernel's table of IPv4 UDP sockets, /proc/net/udp, as a test reads it to tell the datagrams
/// the pipeline lost from those the kernel dropped before any listener could read them.
enum UDPSocketTable {
    /// Datagrams dropped at the sockets bound to `port` (all SO_REUSEPORT members): the `drops`
    /// column, what the kernel discarded at a socket, such as datagrams that arrived while its
    /// receive buffer was full. A socket's count goes with it when it closes, so read it while the
    /// listeners still run.
    static func drops(port: UInt16) -> Int {
        let rows = (readFile("/proc/net/udp") ?? "").split(separator: "\n").dropFirst()
        return rows.reduce(0) { total, row in
            let fields = row.split(separator: " ")
            // local_address is HEXADDR:HEXPORT; drops is the last column.
            guard fields.count > 2, let local = fields[1].split(separator: ":").last,
                  UInt16(local, radix: 16) == port, let drops = fields.last.flatMap({ Int($0) }) else { return total }
            return total + drops
        }
    }
}
