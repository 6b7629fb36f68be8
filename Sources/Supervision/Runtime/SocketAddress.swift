#if canImport(Glibc)
import Glibc
#endif

/// A `listen` address resolved into what `bind` takes.
struct SocketAddress {
    let family: Int32
    private var storage = sockaddr_storage()
    private var length: socklen_t = 0

    init(_ address: ListenAddress) throws(SupervisorError) {
        switch address.endpoint {
        case .inet(let host, let port):
            var hints = addrinfo()
            hints.ai_socktype = Int32((address.transport == .udp ? SOCK_DGRAM : SOCK_STREAM).rawValue)
            hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
            var found: UnsafeMutablePointer<addrinfo>?
            let rc = getaddrinfo(host, String(port), &hints, &found)
            guard rc == 0, let info = found else {
                throw .listenAddress(address.text, String(cString: gai_strerror(rc)))
            }
            defer { freeaddrinfo(found) }
            family = info.pointee.ai_family
            length = info.pointee.ai_addrlen
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: info.pointee.ai_addr, count: Int(length))) }
        case .unix(let path):
            family = AF_UNIX
            var unixAddress = sockaddr_un()
            unixAddress.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &unixAddress.sun_path) { raw in
                raw.copyBytes(from: path.utf8.prefix(ListenAddress.maximumPathLength))
            }
            length = socklen_t(MemoryLayout<sockaddr_un>.size)
            withUnsafeBytes(of: unixAddress) { source in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) }
            }
        }
    }

    /// Binds `fd`. A Unix socket gets mode 0600, and a file left at its path by a linemaster that
    /// was killed is replaced, but only when nobody accepts connections on it any more.
    /// `alsoHeld` is an address of this supervisor on the same port, named if the port is taken.
    func bind(_ fd: Int32, _ address: ListenAddress, alsoHeld: ListenAddress?) throws(SupervisorError) {
        if case .unix(let path) = address.endpoint, isStale(path) { unlink(path) }
        // The supervisor is single-threaded: the umask matters for this bind only.
        let previous = family == AF_UNIX ? umask(0o177) : nil
        defer { previous.map { _ = umask($0) } }
        let rc = withUnsafePointer(to: storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        guard rc == 0 else {
            if errno == EADDRINUSE, let alsoHeld { throw .portHeld(address.text, by: alsoHeld.text) }
            throw .listen(address.text, errno)
        }
    }

    /// Whether `path` is a socket file nobody listens on. The probe does not wait: a server whose
    /// backlog is full (EAGAIN) is alive, and must not hold the supervisor's loop.
    private func isStale(_ path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK else { return false }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        defer { close(probe) }
        let rc = withUnsafePointer(to: storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, length) }
        }
        return rc != 0 && errno == ECONNREFUSED
    }
}
