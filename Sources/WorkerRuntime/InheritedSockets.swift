#if canImport(Glibc)
import Glibc
#endif

/// A socket the supervisor bound for the worker's definition (`listen`) and passed to it.
public struct InheritedSocket: Sendable {
    public let fd: Int32
    /// The address as the configuration writes it, e.g. `udp://127.0.0.1:8089`.
    public let name: String
}

/// systemd's socket-activation convention, which the supervisor follows so that any program
/// that supports it can be a worker: the sockets are descriptors 3, 4, ...; `LISTEN_FDS` says
/// how many, `LISTEN_PID` whose they are (a child of the worker must not take them for its own),
/// `LISTEN_FDNAMES` their names, separated by `:`.
public enum SocketActivation {
    public static let countVariable = "LISTEN_FDS"
    public static let pidVariable = "LISTEN_PID"
    public static let namesVariable = "LISTEN_FDNAMES"
    /// The first descriptor passed.
    public static let firstDescriptor: Int32 = 3

    /// Names may not contain `:` (the separator), which every address does: `%` and `:` are
    /// written `%25` and `%3A`, as in a URL.
    public static func encode(_ names: [String]) -> String {
        names.map { name in
            name.map { $0 == "%" ? "%25" : $0 == ":" ? "%3A" : String($0) }.joined()
        }.joined(separator: ":")
    }

    public static func decode(_ text: String) -> [String] {
        text.split(separator: ":", omittingEmptySubsequences: false).map { name in
            String(name.replacing("%3A", with: ":").replacing("%25", with: "%"))
        }
    }

    /// The sockets passed to this process, close-on-exec from now on, with the variables removed
    /// so that nothing the worker starts believes they are its own (as sd_listen_fds does).
    static func takeSockets() -> [InheritedSocket] {
        defer { for name in [countVariable, pidVariable, namesVariable] { unsetenv(name) } }
        guard let pid = variable(pidVariable).flatMap({ pid_t($0) }), pid == getpid(),
              let count = variable(countVariable).flatMap({ Int32($0) }), count > 0 else { return [] }
        let names = variable(namesVariable).map(decode) ?? []
        return (0..<count).map { i in
            let fd = firstDescriptor + i
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            return InheritedSocket(fd: fd, name: Int(i) < names.count ? names[Int(i)] : "fd \(fd)")
        }
    }

    private static func variable(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
