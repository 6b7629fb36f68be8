#if canImport(Glibc)
import Glibc
#endif
import CSystem
import SharedRing
import WorkerRuntime

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
    /// `database` is handed over only when the worker has the `database` flag.
    func launch(
        instance: String, spec: WorkerSpec, statSlot: Int, sharedMemory: Int32?, database: DatabaseGrant
    ) -> Result<pid_t, LaunchError> {
        guard let path = resolve(spec.executable) else {
            return .failure(.notFound(spec.executable, searched: binaryDirectory))
        }
        var environment = environment(instance: instance, spec: spec, statSlot: statSlot)
        var inherited = [deathPipe]
        if spec.flags.contains(.sharedMemory), let sharedMemory {
            environment.append("\(WorkerEnvironment.sharedMemory)=\(sharedMemory)")
            inherited.append(sharedMemory)
        }
        var grantPipe: Int32?
        if spec.flags.contains(.database) {
            guard let fd = Self.pipe(holding: database.encoded) else { return .failure(.exec("pipe", errno)) }
            environment.append("\(WorkerEnvironment.database)=\(fd)")
            inherited.append(fd)
            grantPipe = fd
        }
        defer { grantPipe.map { _ = close($0) } }
        let target = ExecTarget(executable: path, title: "linemaster: \(instance)", arguments: spec.args, environment: environment)
        let pid = withCStrings(target.argv) { argv in
            withCStrings(target.environment) { envp in
                lm_spawn(target.path, argv, envp, inherited, Int32(inherited.count), SIGKILL)
            }
        }
        guard pid > 0 else { return .failure(.exec(target.path, errno)) }
        return .success(pid)
    }

    /// The supervisor's environment, less what the worker may not have, plus who it is.
    private func environment(instance: String, spec: WorkerSpec, statSlot: Int) -> [String] {
        // libpq reads PG* variables (PGPASSWORD among them): only database workers keep them.
        var environment = spec.flags.contains(.database) ? baseEnvironment : baseEnvironment.filter { !$0.hasPrefix("PG") }
        environment += [
            "\(WorkerEnvironment.name)=\(instance)", "\(WorkerEnvironment.count)=\(spec.count)",
            "\(WorkerEnvironment.deathPipe)=\(deathPipe)", "\(WorkerEnvironment.dataDirectory)=\(dataDirectory)",
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
        let directories = [binaryDirectory] + searchPath.split(separator: ":").map(String.init)
        return directories.map { $0 + "/" + executable }.first { access($0, X_OK) == 0 }
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
            if !text.hasPrefix("LINEMASTER_") { result.append(text) }
            entry += 1
        }
        return result
    }
}

/// Why a worker process could not be started.
enum LaunchError: Error, CustomStringConvertible {
    case notFound(String, searched: String)
    case exec(String, Int32)

    var description: String {
        switch self {
        case .notFound(let name, let directory):
            return "executable \"\(name)\" not found (looked next to linemaster in \(directory), then in PATH)"
        case .exec(let path, let err):
            return "cannot execute \(path): \(String(cString: strerror(err)))"
        }
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
