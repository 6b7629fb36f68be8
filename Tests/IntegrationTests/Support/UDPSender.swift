import Glibc
import Synchronization

/// Sends datagrams to a listener on 127.0.0.1, as an InfluxDB client would.
struct UDPSender {
    let port: UInt16

    /// A port for one test: tests run in parallel, each with its own listener, and the supervisor
    /// binds without SO_REUSEPORT, so a port taken twice fails a start. Ports are handed out in
    /// turn from a random start below the kernel's ephemeral range (32768 on), where no client
    /// socket lands, and one something else holds (UDP or TCP) is skipped.
    static func freshPort() -> UInt16 {
        while true {
            let port = 20_000 + UInt16(nextPort.add(1, ordering: .relaxed).oldValue % 12_000)
            if isFree(port, type: SOCK_DGRAM) && isFree(port, type: SOCK_STREAM) { return port }
        }
    }

    private static let nextPort = Atomic<UInt32>(UInt32.random(in: 0..<12_000))

    private static func isFree(_ port: UInt16, type: __socket_type) -> Bool {
        let fd = socket(AF_INET, Int32(type.rawValue), 0)
        defer { close(fd) }
        return withLoopback(port) { bind(fd, $0, $1) } == 0
    }

    /// Calls `body` with 127.0.0.1:`port` as the sockets API takes it.
    static func withLoopback<R>(_ port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    func send(_ datagram: String) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        let bytes = Array(datagram.utf8)
        _ = Self.withLoopback(port) { sendto(fd, bytes, bytes.count, 0, $0, $1) }
    }
}
