#if canImport(Glibc)
import Glibc
#endif
import WorkerRuntime
import WorkerGrants
import SystemCalls

/// A PostgreSQL server that linemaster runs as one of its own workers, for users without one.
///
/// The cluster lives in `DATADIR/postgres`, is created with initdb on first start, listens on a
/// Unix socket in that directory only (no TCP port, so it cannot clash with another server), and
/// runs as the `postgres` user when linemaster runs as root (PostgreSQL refuses to run as root).
/// Inserters reach it at ``DatabaseGrant/embeddedConnectionString(dataDirectory:)``.
public struct EmbeddedPostgres {
    /// The cluster directory, which also holds the socket.
    public let directory: String
    let binaries: String
    /// The user the server runs as, when it must not be the current one.
    let runAs: String?

    public init(dataDirectory: String) throws(EmbeddedPostgresError) {
        directory = dataDirectory + "/postgres"
        guard let binaries = Self.findBinaries() else { throw .notInstalled }
        self.binaries = binaries
        runAs = getuid() == 0 ? "postgres" : nil
    }

    /// Creates the cluster when the directory does not hold one yet.
    public func initializeIfNeeded(log: (String) -> Void) throws(EmbeddedPostgresError) {
        guard access(directory + "/PG_VERSION", F_OK) != 0 else { return }
        try prepareDirectory()
        log("creating a PostgreSQL cluster in \(directory)")
        let status = try wait(spawn(binaries + "/initdb", ["-D", directory, "-U", "postgres", "-A", "trust",
                                                           "-E", "UTF8", "--no-instructions"]))
        guard status == 0 else { throw .initdbFailed(status) }
    }

    /// Starts the server; it gets SIGQUIT (an immediate shutdown) if this process dies.
    public func start() throws(EmbeddedPostgresError) -> pid_t {
        try spawn(binaries + "/postgres", ["-D", directory, "-k", directory, "-p", String(DatabaseGrant.embeddedPort), "-c", "listen_addresses=",
                                           "-c", "unix_socket_permissions=0700"])
    }

    /// The directory must belong to the server's user; linemaster's data directory (0700) must
    /// let that user through to it.
    private func prepareDirectory() throws(EmbeddedPostgresError) {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST { throw .system(SystemCallError("mkdir \(directory)")) }
        guard let runAs, let user = getpwnam(runAs) else { return }
        let parent = String(directory.dropLast("/postgres".count))
        chmod(parent, 0o711)
        guard chown(directory, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else { throw .system(SystemCallError("chown \(directory)")) }
    }

    /// Runs `program` through setpriv, which drops to `runAs` and sets the parent-death signal
    /// after the change of user (a change of user clears one set before).
    private func spawn(_ program: String, _ arguments: [String]) throws(EmbeddedPostgresError) -> pid_t {
        var argv = ["/usr/bin/setpriv", "--pdeathsig", "SIGQUIT"]
        if let runAs { argv += ["--reuid", runAs, "--regid", runAs, "--init-groups"] }
        argv += [program] + arguments
        var pid: pid_t = 0
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        // Its own process group: the supervisor signals this worker's group, and the server must
        // get the signals this worker translates, not those (nor a SIGKILL in mid-checkpoint).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        let rc = posix_spawn(&pid, argv[0], nil, &attributes, cArguments, environ)
        guard rc == 0 else { throw .system(SystemCallError("posix_spawn \(program)", errno: rc)) }
        return pid
    }

    private func wait(_ pid: pid_t) throws(EmbeddedPostgresError) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw .system(SystemCallError("waitpid")) }
        }
        return status
    }

    /// The newest `/usr/lib/postgresql/N/bin` (Debian's layout), or the directory of `postgres` in PATH.
    static func findBinaries() -> String? {
        let versions = (9...30).reversed().map { "/usr/lib/postgresql/\($0)/bin" }
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        return (versions + path.split(separator: ":").map(String.init)).first { access($0 + "/postgres", X_OK) == 0 }
    }
}

/// Why the embedded server could not be set up or started.
public enum EmbeddedPostgresError: Error, CustomStringConvertible {
    case notInstalled
    case initdbFailed(Int32)
    case system(SystemCallError)

    public var description: String {
        switch self {
        case .notInstalled: return "PostgreSQL is not installed (apt-get install postgresql), or set [database] url"
        case .initdbFailed(let status):
            return "initdb failed (wait status \(status)); see its output above. When linemaster runs as root, "
                + "the server runs as postgres, which needs search permission (x) on every directory above the data directory"
        case .system(let error):
            return error.description
        }
    }
}
