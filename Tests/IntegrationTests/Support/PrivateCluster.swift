import Glibc

/// A PostgreSQL cluster of one test's own, for tests that crash, stop or reconfigure the server,
/// which the server `scripts/with-postgres` shares between concurrent tests must never see:
/// initdb into a temporary directory, the Unix socket (and its lock file) in that directory and no
/// TCP listener, run as postgres when the tests run as root (the server refuses root). Stopped with
/// `-m immediate` and removed on deinit, unless LINEMASTER_KEEP_TEST_DIRS is set.
final class PrivateCluster {
    let directory: String
    /// Only names the socket file: there is no TCP listener, and the directory is the test's own.
    let port = UInt16.random(in: 40_001...60_000)
    private let binaries: String
    private var dataDirectory: String { directory + "/data" }

    /// The libpq connection string of the `postgres` database.
    var url: String { "host=\(directory) port=\(port) dbname=postgres user=\(Self.user)" }

    /// Runs initdb, then appends `settings` (e.g. `synchronous_commit = off`) to postgresql.conf.
    /// Not started yet: see ``start()``.
    init(settings: [String] = []) throws {
        binaries = try Self.findBinaries()
        var template = Array("/tmp/linemaster-cluster-XXXXXX".utf8CString)
        directory = String(cString: mkdtemp(&template)!)
        if let owner = Self.serverOwner { chown(directory, owner.pw_uid, owner.pw_gid) }
        // --no-sync: initdb's closing fsync only protects against a crash of the machine.
        try runAsOwner("initdb", ["-D", dataDirectory, "-U", Self.user, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"])
        let lines = ["listen_addresses = ''", "unix_socket_directories = '\(directory)'", "port = \(port)"] + settings
        guard let file = fopen(dataDirectory + "/postgresql.conf", "a") else { throw ClusterFailed(step: "postgresql.conf", output: "cannot append") }
        fputs(lines.joined(separator: "\n") + "\n", file)
        fclose(file)
    }

    deinit {
        _ = try? runAsOwner("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
        if getenv("LINEMASTER_KEEP_TEST_DIRS") == nil {
            _ = Binaries.runProgram("/bin/rm", ["-rf", directory])
        }
    }

    /// Starts the server and waits until it accepts connections (after crash recovery, if any).
    func start() throws {
        try runAsOwner("pg_ctl", ["-D", dataDirectory, "-l", directory + "/server.log", "-w", "-t", "60", "start"])
    }

    /// Stops the server as a crash would: `pg_ctl stop -m immediate` (SIGQUIT), no shutdown
    /// checkpoint, and whatever is only in shared memory (WAL not yet written) is gone.
    func crash() throws {
        try runAsOwner("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
    }

    /// Runs SQL with psql and returns its unaligned, tuples-only output (`a|b` per row).
    @discardableResult
    func psql(_ sql: String) throws -> String {
        let result = Binaries.runProgram("/usr/bin/psql", [url, "-X", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
        guard result.status == 0 else { throw PsqlFailed(sql: sql, output: result.output) }
        return result.output.trimmingCharacters(in: "\n")
    }

    /// The server's log so far, for failure messages.
    func log() -> String { readFile(directory + "/server.log") ?? "" }

    @discardableResult
    private func runAsOwner(_ program: String, _ arguments: [String]) throws -> String {
        let path = binaries + "/" + program
        let result = Self.serverOwner == nil
            ? Binaries.runProgram(path, arguments)
            : Binaries.runProgram("/usr/sbin/runuser", ["-u", Self.user, "--", path] + arguments)
        guard result.status == 0 else { throw ClusterFailed(step: ([program] + arguments).joined(separator: " "), output: result.output + log()) }
        return result.output
    }

    /// The postgres account when the tests run as root; nil otherwise (the server runs as us).
    private static var serverOwner: passwd? { getuid() == 0 ? getpwnam("postgres")?.pointee : nil }

    /// The database superuser: postgres under root, else the user running the tests (initdb's default).
    private static var user: String {
        if let owner = serverOwner { return String(cString: owner.pw_name) }
        return getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "postgres"
    }

    /// PG_BINDIR, else the newest /usr/lib/postgresql/VERSION/bin, as scripts/with-postgres finds it.
    private static func findBinaries() throws -> String {
        if let set = getenv("PG_BINDIR") { return String(cString: set) }
        let versions = Binaries.runProgram("/bin/ls", ["/usr/lib/postgresql"]).output.split(separator: "\n").compactMap { Int($0) }
        guard let newest = versions.max(), access("/usr/lib/postgresql/\(newest)/bin/initdb", X_OK) == 0 else {
            throw ClusterFailed(step: "find initdb", output: "no PostgreSQL server in /usr/lib/postgresql (install postgresql or set PG_BINDIR)")
        }
        return "/usr/lib/postgresql/\(newest)/bin"
    }
}

struct ClusterFailed: Error, CustomStringConvertible {
    let step: String
    let output: String
    var description: String { "private PostgreSQL cluster: \(step) failed: \(output)" }
}
