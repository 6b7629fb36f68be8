#if canImport(Glibc)
import Glibc
#endif

/// The sockets of every `listen` address, bound by the supervisor and held for as long as a
/// definition names them, as postmaster holds its listen sockets: a worker's exit or a crash
/// restart never closes a port, so datagrams and connections queue in the kernel until the next
/// instance reads them. Workers inherit them by systemd's socket-activation convention.
///
/// Closing the supervisor's copy (a reload that removed the address) leaves the socket open in
/// the workers that inherited it, until they have stopped.
struct ListenSockets {
    private struct Bound {
        let fd: Int32
        /// The receive buffer last applied (UDP only), so that a reload re-applies only a change.
        var receiveBuffer: Int?
    }

    private var bound: [ListenAddress: Bound] = [:]

    /// The descriptors of `spec`'s addresses, in its order; nil if one is not bound.
    func descriptors(for spec: WorkerSpec) -> [Int32]? {
        let fds = spec.listen.compactMap { bound[$0]?.fd }
        return fds.count == spec.listen.count ? fds : nil
    }

    /// Binds every address of `config` that is not bound yet and applies the receive buffers.
    /// All or nothing: after a failure the sockets this call bound are closed again, so that a
    /// reload that cannot bind keeps exactly the old state. Returns warnings for the log.
    mutating func bind(for config: LinemasterConfig) throws(SupervisorError) -> [String] {
        var added: [ListenAddress] = []
        var warnings: [String] = []
        do throws(SupervisorError) {
            for spec in config.workers {
                for address in spec.listen {
                    if bound[address] == nil {
                        bound[address] = Bound(fd: try Self.open(address))
                        added.append(address)
                    }
                    if address.transport == .udp, bound[address]?.receiveBuffer != spec.receiveBuffer {
                        warnings += applyReceiveBuffer(spec.receiveBuffer, to: address)
                    }
                }
            }
        } catch {
            added.forEach { close($0) }
            throw error
        }
        return warnings
    }

    /// Closes the supervisor's copy of every socket no definition of `config` names.
    mutating func close(unusedBy config: LinemasterConfig) {
        let named = Set(config.workers.flatMap(\.listen))
        bound.keys.filter { !named.contains($0) }.forEach { close($0) }
    }

    /// At exit: closes everything and removes the Unix sockets' files.
    mutating func closeAll() {
        bound.keys.forEach { close($0) }
    }

    private mutating func close(_ address: ListenAddress) {
        guard let socket = bound.removeValue(forKey: address) else { return }
        Glibc.close(socket.fd)
        if case .unix(let path) = address.endpoint { unlink(path) }
    }

    /// As root, SO_RCVBUFFORCE, which `net.core.rmem_max` does not cap; otherwise SO_RCVBUF,
    /// with a warning when the kernel gave less than asked.
    private mutating func applyReceiveBuffer(_ size: Int, to address: ListenAddress) -> [String] {
        guard let fd = bound[address]?.fd else { return [] }
        bound[address]?.receiveBuffer = size
        var requested = Int32(clamping: size)
        let option = geteuid() == 0 ? SO_RCVBUFFORCE : SO_RCVBUF
        setsockopt(fd, SOL_SOCKET, option, &requested, socklen_t(MemoryLayout<Int32>.size))
        let granted = SocketAddress.receiveBuffer(of: fd)
        guard granted < size else { return [] }
        return ["receive buffer of \(address) is \(granted) bytes, not the \(size) asked for: the kernel caps it at "
            + "net.core.rmem_max; raise it with sysctl -w net.core.rmem_max=\(size), or start linemaster as root"]
    }

    /// A bound socket for `address`, close-on-exec, listening if it is a stream.
    private static func open(_ address: ListenAddress) throws(SupervisorError) -> Int32 {
        let type = address.transport == .udp ? SOCK_DGRAM : SOCK_STREAM
        let socketAddress = try SocketAddress(address)
        let fd = socket(socketAddress.family, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .listen(address.text, errno) }
        var on: Int32 = 1
        if address.transport == .tcp {
            // A restarted linemaster binds again while connections of the last one are in TIME_WAIT.
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        if socketAddress.family == AF_INET6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        do throws(SupervisorError) {
            try socketAddress.bind(fd, address)
            if type == SOCK_STREAM, listen(fd, SOMAXCONN) != 0 { throw .listen(address.text, errno) }
        } catch {
            Glibc.close(fd)
            throw error
        }
        return fd
    }
}
