#if canImport(Glibc)
import Glibc
#endif
import CPlatform
import WorkerRuntime
import SystemCalls

/// A bound UDP socket: one the supervisor passed (shared by every instance of the definition,
/// and open across their restarts), or one the listener bound itself from `--udp`, with
/// SO_REUSEPORT so that several listeners can bind the same port.
public final class UDPSocket {
    public let fd: Int32
    /// The address as given, e.g. `127.0.0.1:8089` or `[::1]:8089`.
    public let address: String

    /// A socket the supervisor bound for the definition's `listen`; it must be a datagram socket.
    public init(inherited socket: InheritedSocket) throws(ListenerError) {
        var type: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(socket.fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 else {
            throw .system(SystemCallError("descriptor \(socket.fd) (\(socket.name)) passed by the supervisor"))
        }
        guard type == Int32(SOCK_DGRAM.rawValue) else {
            throw .notDatagram(socket.name)
        }
        fd = socket.fd
        address = socket.name.hasPrefix("udp://") ? String(socket.name.dropFirst("udp://".count)) : socket.name
    }

    /// Binds `address` (`HOST:PORT`, `[IPv6]:PORT`). With `receiveBuffer`, asks the kernel for that
    /// much buffer; ``grantedReceiveBuffer`` tells what it gave (it may cap the request at
    /// net.core.rmem_max).
    public init(binding address: String, receiveBuffer: Int?) throws(ListenerError) {
        self.address = address
        let (host, port) = try Self.split(address)
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, port, &hints, &found)
        guard rc == 0, let info = found else { throw .badAddress(address, String(cString: gai_strerror(rc))) }
        defer { freeaddrinfo(found) }
        fd = socket(info.pointee.ai_family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(SystemCallError("socket for \(address)")) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size))
        if info.pointee.ai_family == AF_INET6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        if let receiveBuffer { ReceiveBuffer.set(receiveBuffer, on: fd) }
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let err = errno
            close(fd)
            throw .system(SystemCallError("bind \(address)", errno: err))
        }
    }

    deinit { close(fd) }

    /// Makes receiving wait, at most `timeout` at a time, so that a lone socket needs one system
    /// call per batch of datagrams instead of poll plus two receives.
    func blockWhileReceiving(timeout: Duration) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let (seconds, attoseconds) = timeout.components
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Spreads the datagrams arriving at the port over `count` sockets bound to it at random,
    /// instead of by the sender's address: a single busy sender then keeps every listener busy.
    /// Order between datagrams is not kept either way once several inserters write them.
    func spreadDatagrams(over count: Int) throws(ListenerError) {
        guard lm_spread_reuseport_group(fd, UInt32(clamping: count)) == 0 else { throw .system(SystemCallError("SO_ATTACH_REUSEPORT_CBPF on \(address)")) }
    }

    /// The receive buffer the kernel actually uses.
    public var grantedReceiveBuffer: Int { ReceiveBuffer.granted(fd) }

    static func split(_ address: String) throws(ListenerError) -> (host: String, port: String) {
        guard let colon = address.lastIndex(of: ":"), !address[address.index(after: colon)...].isEmpty else {
            throw .badAddress(address, "expected HOST:PORT, e.g. 127.0.0.1:8089 or [::1]:8089")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, String(address[address.index(after: colon)...]))
    }
}

/// Why a listener could not start or receive.
public enum ListenerError: Error, CustomStringConvertible {
    case badAddress(String, String)
    case system(SystemCallError)
    /// The definition's `listen` names a stream (tcp or unix) address.
    case notDatagram(String)
    /// Sockets came from the supervisor and from `--udp`.
    case socketsTwice
    /// Neither: `LISTEN_FDS` was set for another process (`LISTEN_PID`), and no `--udp`.
    case noSockets

    public var description: String {
        switch self {
        case .badAddress(let address, let reason): return "bad UDP address \"\(address)\": \(reason)"
        case .system(let error):
            return error.description
        case .notDatagram(let name):
            return "\(name) is not a UDP socket: linemaster-listener receives UDP only; list only udp:// addresses in its listen"
        case .socketsTwice:
            return "the supervisor passed sockets (listen) and --udp names more: use one of the two"
        case .noSockets:
            return "no socket to receive on: the sockets in LISTEN_FDS are another process's (LISTEN_PID), and no --udp was given"
        }
    }
}
