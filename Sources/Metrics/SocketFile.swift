import SystemCalls

/// `DATADIR/linemaster.sockets`: the UDP sockets the supervisor holds, one tab-separated line
/// each, so that `linemaster status` can find their counters in the kernel (`/proc/net/udp`
/// lists a socket by its inode) without holding them.
///
///     worker definition  address as configured  socket inode
public enum SocketFile {
    /// One UDP socket of a definition's `listen`.
    public struct Entry: Equatable, Sendable {
        /// The definition's name (its instances all share the socket).
        public var worker: String
        public var address: String
        public var inode: UInt64

        public init(worker: String, address: String, inode: UInt64) {
            self.worker = worker
            self.address = address
            self.inode = inode
        }
    }

    public static func path(dataDirectory: String) -> String { dataDirectory + "/linemaster.sockets" }

    public static func render(_ entries: [Entry]) -> String {
        entries.map { "\($0.worker)\t\($0.address)\t\($0.inode)\n" }.joined()
    }

    /// The sockets as last written; empty when there is no file.
    public static func read(dataDirectory: String) -> [Entry] {
        guard let text = readTextFile(path(dataDirectory: dataDirectory)) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 3, let inode = UInt64(f[2]) else { return nil }
            return Entry(worker: f[0], address: f[1], inode: inode)
        }
    }
}
