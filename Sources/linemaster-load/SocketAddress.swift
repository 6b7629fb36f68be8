import Glibc

/// An IPv4 or IPv6 UDP destination, from `HOST:PORT` where HOST is a literal address or `localhost`.
struct SocketAddress {
    enum ParseError: Error, CustomStringConvertible {
        case noPort(String), badPort(String), badHost(String)
        var description: String {
            switch self {
            case .noPort(let s): return "\"\(s)\": expected HOST:PORT, e.g. 127.0.0.1:8089, [::1]:8089 or localhost:8089"
            case .badPort(let s): return "\"\(s)\": the port must be a number from 1 to 65535"
            case .badHost(let s): return "\"\(s)\": the host must be an IPv4 address, an IPv6 address in brackets, or localhost"
            }
        }
    }

    private(set) var storage = sockaddr_storage()
    let length: socklen_t
    var family: Int32 { Int32(storage.ss_family) }

    init(parsing text: String) throws(ParseError) {
        guard let colon = text.lastIndex(of: ":") else { throw .noPort(text) }
        var host = String(text[..<colon])
        guard let port = UInt16(text[text.index(after: colon)...]), port > 0 else { throw .badPort(text) }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" { host = "127.0.0.1" }
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: v4, as: sockaddr_in.self) }
        } else if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: v6, as: sockaddr_in6.self) }
        } else {
            throw .badHost(text)
        }
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
    }
}
