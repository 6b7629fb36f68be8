import Glibc

/// Sends datagrams to a listener on 127.0.0.1, as an InfluxDB client would.
struct UDPSender {
    let port: UInt16

    /// A port for one test: tests run in parallel, each with its own listener.
    static func freshPort() -> UInt16 { UInt16.random(in: 20_000...40_000) }

    func send(_ datagram: String) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bytes = Array(datagram.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
}
