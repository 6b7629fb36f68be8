import Glibc

/// A connected UDP socket that sends whole datagrams.
struct UDPSender {
    /// The largest UDP payload over IPv4 (65535 - 8 - 20): below 64 KiB, and never split by us.
    static let maxPayload = 65_507

    struct SocketError: Error, CustomStringConvertible {
        let description: String
    }

    private let fd: Int32

    init(to address: SocketAddress) throws {
        fd = socket(address.family, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError(description: "socket: \(String(cString: strerror(errno)))") }
        var size: Int32 = 4 << 20
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        let rc = address.withSockaddr { connect(fd, $0, $1) }
        guard rc == 0 else { throw SocketError(description: "connect: \(String(cString: strerror(errno)))") }
    }

    /// Sends `datagram`; returns whether the kernel took it. A refused port (an ICMP error from an
    /// earlier datagram) or a full buffer counts as not sent; the caller carries on.
    func send(_ datagram: [UInt8]) -> Bool {
        while true {
            let n = datagram.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            if n == datagram.count { return true }
            if n < 0 && errno == EINTR { continue }
            return false
        }
    }
}
