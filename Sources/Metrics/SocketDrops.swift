import SystemCalls

/// Datagrams the kernel dropped at a UDP socket the supervisor holds (its receive buffer was
/// full: `socket_overflow`), read from `/proc/PID/net/udp` and `udp6`, the `drops` column.
///
/// Counted per socket, not per listener: every instance of a definition reads the same socket,
/// and the count keeps growing while no listener runs (restarts), since the supervisor keeps
/// the socket. It starts from zero with each supervisor, which binds new sockets.
public struct SocketDrops: Equatable, Sendable {
    /// The definition whose `listen` names the socket.
    public var worker: String
    public var address: String
    public var datagramsDropped: UInt64

    public init(worker: String, address: String, datagramsDropped: UInt64) {
        self.worker = worker
        self.address = address
        self.datagramsDropped = datagramsDropped
    }

    /// The drops of every socket in the socket file, as the supervisor's network namespace sees them.
    public static func read(dataDirectory: String, supervisorPid: Int32) -> [SocketDrops] {
        let drops = ["udp", "udp6"].reduce(into: [UInt64: UInt64]()) { result, table in
            result.merge(dropsByInode(readTextFile("/proc/\(supervisorPid)/net/\(table)") ?? "")) { $0 + $1 }
        }
        return SocketFile.read(dataDirectory: dataDirectory).map { socket in
            SocketDrops(worker: socket.worker, address: socket.address, datagramsDropped: drops[socket.inode] ?? 0)
        }
    }

    /// `drops` by `inode`, from a table in the format of /proc/net/udp (a heading line, then
    /// `sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ref pointer drops`).
    static func dropsByInode(_ table: String) -> [UInt64: UInt64] {
        var result: [UInt64: UInt64] = [:]
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count >= 13, let inode = UInt64(fields[9]), let drops = UInt64(fields[12]) else { continue }
            result[inode, default: 0] += drops
        }
        return result
    }
}
