/// A socket the supervisor binds for a worker definition: `listen = ["udp://127.0.0.1:8089"]`.
///
/// The supervisor, not the worker, binds it and holds it open for as long as a definition names
/// it, so that a worker exit or a crash restart never closes the port.
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    public enum Transport: String, Sendable {
        case udp, tcp, unix
    }

    /// Where the socket is bound.
    public enum Endpoint: Hashable, Sendable {
        /// A numeric or named host (`127.0.0.1`, `::1` without brackets, `localhost`) and a port.
        case inet(host: String, port: UInt16)
        /// An absolute path in the file system (`unix:///run/linemaster/http.sock`).
        case unix(path: String)
    }

    /// The address as written in the configuration; what logs and `LISTEN_FDNAMES` show.
    public let text: String
    public let transport: Transport
    public let endpoint: Endpoint

    public var description: String { text }

    /// Longest path a Unix socket address holds (`sun_path` is 108 bytes with its NUL).
    static let maximumPathLength = 107

    /// Reads `udp://HOST:PORT`, `tcp://HOST:PORT` (IPv6 as `[::1]:PORT`) or `unix:///PATH`;
    /// on failure the error says what a valid address looks like.
    public init(parsing text: String) throws(ListenAddressError) {
        self.text = text
        guard let schemeEnd = text.firstRange(of: "://"), let transport = Transport(rawValue: String(text[..<schemeEnd.lowerBound])) else {
            throw ListenAddressError("bad listen address \"\(text)\": expected udp://HOST:PORT, tcp://HOST:PORT or unix:///PATH")
        }
        self.transport = transport
        let rest = String(text[schemeEnd.upperBound...])
        endpoint = transport == .unix ? try Self.unixEndpoint(rest, text: text) : try Self.inetEndpoint(rest, text: text)
    }

    private static func unixEndpoint(_ path: String, text: String) throws(ListenAddressError) -> Endpoint {
        guard path.hasPrefix("/") else {
            throw ListenAddressError("bad listen address \"\(text)\": a unix socket needs an absolute path, e.g. unix:///run/linemaster/http.sock")
        }
        guard path.utf8.count <= maximumPathLength else {
            throw ListenAddressError("bad listen address \"\(text)\": the path is longer than \(maximumPathLength) bytes, the most a unix socket address holds")
        }
        return .unix(path: path)
    }

    private static func inetEndpoint(_ rest: String, text: String) throws(ListenAddressError) -> Endpoint {
        let example = "e.g. \(text.prefix { $0 != ":" })://127.0.0.1:8089 or \(text.prefix { $0 != ":" })://[::1]:8089"
        guard let colon = rest.lastIndex(of: ":") else {
            throw ListenAddressError("bad listen address \"\(text)\": expected HOST:PORT, \(example)")
        }
        var host = String(rest[..<colon])
        let portText = rest[rest.index(after: colon)...]
        guard let port = UInt16(portText), port > 0 else {
            throw ListenAddressError("bad listen address \"\(text)\": the port must be a number from 1 to 65535, \(example)")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            throw ListenAddressError("bad listen address \"\(text)\": write an IPv6 host in brackets, \(example)")
        }
        guard !host.isEmpty else {
            throw ListenAddressError("bad listen address \"\(text)\": the host is missing (0.0.0.0 or [::] for every interface), \(example)")
        }
        return .inet(host: host, port: port)
    }
}

/// Why a `listen` entry is not an address.
public struct ListenAddressError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
