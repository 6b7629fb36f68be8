import Metrics
#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

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
        /// The receive buffer asked for last (UDP only), and whether the kernel granted it: a
        /// reload applies it again if it changed or fell short (rmem_max may have been raised).
        var receiveBuffer: (asked: Int, granted: Bool)?
    }

    private var bound: [ListenAddress: Bound] = [:]

    /// The descriptors of `spec`'s addresses, in its order; nil if one is not bound.
    func descriptors(for spec: WorkerSpec) -> [Int32]? {
        let fds = spec.listen.compactMap { bound[$0]?.fd }
        return fds.count == spec.listen.count ? fds : nil
    }

    /// Binds every address of `config` that is not bound yet, then applies the receive buffers.
    /// All or nothing: after a failure the sockets this call bound are closed again and nothing
    /// else has changed, so that a reload that cannot bind keeps exactly the old state. Returns
    /// warnings for the log.
    mutating func bind(for config: LinemasterConfig) throws(SupervisorError) -> [String] {
        var added: [ListenAddress] = []
        do throws(SupervisorError) {
            for address in config.workers.flatMap(\.listen) where bound[address] == nil {
                bound[address] = Bound(fd: try open(address))
                added.append(address)
            }
        } catch {
            added.forEach { close($0) }
            throw error
        }
        return config.workers.flatMap { spec in
            spec.listen.filter { $0.transport == .udp }.compactMap { applyReceiveBuffer(spec.receiveBuffer, to: $0) }
        }
    }

    /// The UDP sockets of `config`'s definitions, by their inodes (what `/proc/net/udp` shows).
    func udpSockets(of config: LinemasterConfig) -> [SocketFile.Entry] {
        config.workers.flatMap { spec in
            spec.listen.filter { $0.transport == .udp }.compactMap { address in
                var info = stat()
                guard let fd = bound[address]?.fd, fstat(fd, &info) == 0 else { return nil }
                return SocketFile.Entry(worker: spec.name, address: address.text, inode: UInt64(info.st_ino))
            }
        }
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

    /// An address this supervisor holds already with the same transport and port, spelled
    /// otherwise (`localhost` for `127.0.0.1`, `0.0.0.0` for `127.0.0.1`): binding that port
    /// again fails, and the message had better say who holds it.
    private func heldOnSamePort(as address: ListenAddress) -> ListenAddress? {
        guard case .inet(_, let port) = address.endpoint else { return nil }
        return bound.keys.first { held in
            guard held.transport == address.transport, case .inet(_, let heldPort) = held.endpoint else { return false }
            return heldPort == port
        }
    }

    private mutating func close(_ address: ListenAddress) {
        guard let socket = bound.removeValue(forKey: address) else { return }
        Glibc.close(socket.fd)
        if case .unix(let path) = address.endpoint { unlink(path) }
    }

    /// Applies `size` unless it is what was asked for and granted already; a warning when the
    /// kernel grants less.
    private mutating func applyReceiveBuffer(_ size: Int, to address: ListenAddress) -> String? {
        guard let socket = bound[address], socket.receiveBuffer.map({ $0 != (size, true) }) ?? true else { return nil }
        let granted = ReceiveBuffer.set(size, on: socket.fd)
        bound[address]?.receiveBuffer = (size, granted >= size)
        return granted >= size ? nil : ReceiveBuffer.capped(address.text, granted: granted, asked: size)
    }

    /// A bound socket for `address`, close-on-exec, listening if it is a stream.
    private func open(_ address: ListenAddress) throws(SupervisorError) -> Int32 {
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
            try socketAddress.bind(fd, address, alsoHeld: heldOnSamePort(as: address))
            if type == SOCK_STREAM, listen(fd, SOMAXCONN) != 0 { throw .listen(address.text, errno) }
        } catch {
            Glibc.close(fd)
            if case .unix(let path) = address.endpoint, case .listen(_, let err) = error, err != EADDRINUSE { unlink(path) }
            throw error
        }
        return fd
    }
}
