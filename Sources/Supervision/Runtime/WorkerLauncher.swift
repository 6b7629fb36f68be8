#if canImport(Glibc)
import Glibc
#endif
import CPlatform
import SystemCalls
import SharedRing
import WorkerRuntime
import WorkerGrants

/// The sections a worker may be granted, each handed over only when its flag is set.
struct Grants {
    var database: DatabaseGrant
    var http: HTTPGrant
}

/// Starts worker processes: finds the executable, builds argv and the environment that carries
/// the worker's capabilities, and spawns it with the death pipe and, when granted, the segment.
struct WorkerLauncher {
    /// Read end of the death pipe: every worker inherits it and sees EOF when the supervisor is gone.
    let deathPipe: Int32
    /// Where relative executable paths start: the config file's directory.
    let configDirectory: String
    /// The directory of the linemaster binary, searched for bare executable names before `PATH`.
    let binaryDirectory: String
    let baseEnvironment: [String]
    let dataDirectory: String

    init(deathPipe: Int32, configPath: String, dataDirectory: String) {
        self.deathPipe = deathPipe
        self.dataDirectory = dataDirectory
        configDirectory = directoryName(configPath)
        binaryDirectory = directoryName(readLink("/proc/self/exe") ?? CommandLine.arguments[0])
        baseEnvironment = Self.inheritedEnvironment()
    }

    /// Spawns one instance. The title `linemaster: NAME` is its argv[0], which is what ps shows.
    /// `grants` are handed over only as the worker's flags say; `sockets` are the
    /// definition's `listen` sockets, passed as systemd passes them: descriptors from 3, with
    /// `LISTEN_FDS`, `LISTEN_PID` and `LISTEN_FDNAMES`.
    func launch(
        instance: String, spec: WorkerSpec, statSlot: Int, sharedMemory: Int32?, grants: Grants, sockets: [Int32]
    ) -> Result<pid_t, LaunchError> {
        guard let path = resolve(spec.executable) else {
            return .failure(.notFound(spec.executable, searched: binaryDirectory))
        }
        var descriptors = Descriptors(sockets: sockets)
        var environment = environment(instance: instance, spec: spec, statSlot: statSlot)
        environment.append(descriptors.pass(deathPipe, as: WorkerEnvironment.deathPipe))
        if spec.flags.contains(.sharedMemory), let sharedMemory {
            environment.append(descriptors.pass(sharedMemory, as: WorkerEnvironment.sharedMemory))
        }
        var grantPipes: [Int32] = []
        defer { grantPipes.forEach { _ = close($0) } }
        for (flag, text, variable) in [(WorkerFlag.database, grants.database.encoded, WorkerEnvironment.database),
                                       (.http, grants.http.encoded, WorkerEnvironment.http)] where spec.flags.contains(flag) {
            guard let fd = Self.pipe(holding: text) else { return .failure(.system(SystemCallError("pipe"))) }
            environment.append(descriptors.pass(fd, as: variable))
            grantPipes.append(fd)
        }
        var listenPIDEntry: Int32 = -1
        if !sockets.isEmpty {
            environment += [
                "\(SocketActivation.countVariable)=\(sockets.count)",
                "\(SocketActivation.namesVariable)=\(SocketActivation.encode(spec.listen.map(\.text)))",
            ]
            // The child writes its own pid into this entry between fork and exec (ExecTarget
            // only appends to the environment, so the index holds).
            listenPIDEntry = Int32(environment.count)
            environment.append("\(SocketActivation.pidVariable)=" + String(repeating: " ", count: 20))
        }
        let target = ExecTarget(executable: path, title: "linemaster: \(instance)", arguments: spec.args, environment: environment)
        let pid = withCStrings(target.argv) { argv in
            withCStrings(target.environment) { envp in
                lm_spawn(target.path, argv, envp, descriptors.fds, Int32(descriptors.fds.count), listenPIDEntry, SIGKILL)
            }
        }
        guard pid > 0 else { return .failure(.system(SystemCallError("execve \(target.path)"))) }
        return .success(pid)
    }

    /// The descriptors a worker inherits, in the order they get their numbers in it: the
    /// sockets from 3 (as socket activation requires), then the others.
    private struct Descriptors {
        private(set) var fds: [Int32]

        init(sockets: [Int32]) { fds = sockets }

        /// Adds `fd`; returns the variable that tells the worker its number there.
        mutating func pass(_ fd: Int32, as variable: String) -> String {
            fds.append(fd)
            return "\(variable)=\(2 + fds.count)"
        }
    }

    /// The supervisor's environment, less what the worker may not have, plus who it is.
    private func environment(instance: String, spec: WorkerSpec, statSlot: Int) -> [String] {
        // libpq reads PG* variables (PGPASSWORD among them): only database workers keep them.
        var environment = spec.flags.contains(.database) ? baseEnvironment : baseEnvironment.filter { !$0.hasPrefix("PG") }
        environment += [
            "\(WorkerEnvironment.name)=\(instance)", "\(WorkerEnvironment.count)=\(spec.count)",
            "\(WorkerEnvironment.dataDirectory)=\(dataDirectory)",
        ]
        // Beyond the segment's table of slots a worker simply keeps no statistics.
        if statSlot < WorkerStatsSlot.slotCount {
            environment.append("\(WorkerEnvironment.statsSlot)=\(statSlot)")
        }
        return environment
    }

    /// A path with a slash is used as is (relative to the config file's directory); a bare
    /// name is looked up next to the linemaster binary, then in `PATH`.
    func resolve(_ executable: String) -> String? {
        if executable.contains("/") {
            let path = executable.hasPrefix("/") ? executable : configDirectory + "/" + executable
            return access(path, X_OK) == 0 ? path : nil
        }
        let searchPath = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        // Empty entries (the current directory, to execvp) are skipped: the supervisor's working
        // directory is not a place to find programs in.
        return findExecutable(executable, in: [binaryDirectory] + searchPath.split(separator: ":").map(String.init))
    }

    /// The read end of a close-on-exec pipe that already holds `text` and whose write end is closed.
    private static func pipe(holding text: String) -> Int32? {
        var ends: [Int32] = [0, 0]
        guard Glibc.pipe(&ends) == 0 else { return nil }
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(ends[1], $0.baseAddress, $0.count) }
        close(ends[1])
        guard written == bytes.count else {
            close(ends[0])
            return nil
        }
        return ends[0]
    }

    private static func inheritedEnvironment() -> [String] {
        var result: [String] = []
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            // Sockets passed to linemaster itself are not its workers' (their LISTEN_* are set per worker).
            if !text.hasPrefix("LINEMASTER_") && !text.hasPrefix("LISTEN_") { result.append(text) }
            entry += 1
        }
        return result
    }
}

/// Why a worker process could not be started.
enum LaunchError: Error, CustomStringConvertible {
    case notFound(String, searched: String)
    case system(SystemCallError)

    var description: String {
        switch self {
        case .notFound(let name, let directory):
            return "executable \"\(name)\" not found (looked next to linemaster in \(directory), then in PATH)"
        case .system(let error):
            return error.description
        }
    }
}

/// The first `directory/name` that is a regular file this process may execute.
func findExecutable(_ name: String, in directories: [String]) -> String? {
    directories.lazy.map { $0 + "/" + name }.first { candidate in
        var info = stat()
        return stat(candidate, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && access(candidate, X_OK) == 0
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

func directoryName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

func readLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink(path, &buffer, buffer.count - 1)
    guard n > 0 else { return nil }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
