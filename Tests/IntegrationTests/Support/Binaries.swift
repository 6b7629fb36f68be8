import Glibc

/// The package's executables, found next to the test bundle (the build products directory).
enum Binaries {
    static let directory: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let path = String(decoding: buffer[0..<max(n, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(path[..<path.lastIndex(of: "/")!])
    }()

    static func path(_ name: String) -> String { directory + "/" + name }

    /// Starts an executable with stdout and stderr appended to `logPath`, all signals default and unblocked.
    static func spawn(_ name: String, _ arguments: [String], logPath: String, environment extra: [String] = []) -> pid_t {
        spawnProgram(path(name), arguments, logPath: logPath, environment: extra)
    }

    /// Starts any program as ``spawn(_:_:logPath:environment:)`` does.
    static func spawnProgram(_ program: String, _ arguments: [String], logPath: String, environment extra: [String] = []) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        return spawn(program, arguments, actions: &actions, environment: extra)
    }

    /// Runs one of the package's executables to completion; returns its exit code and combined output.
    static func run(_ name: String, _ arguments: [String], stdin: String = "") -> (status: Int32, output: String) {
        let result = execute(path(name), arguments, stdin: stdin, separateStderr: false)
        return (result.status, result.stdout)
    }

    /// Runs one of the package's executables to completion; returns its exit code, stdout and stderr apart.
    static func runSeparately(_ name: String, _ arguments: [String], stdin: String = "") -> (status: Int32, stdout: String, stderr: String) {
        execute(path(name), arguments, stdin: stdin, separateStderr: true)
    }

    /// Runs any program to completion; returns its exit code and combined output.
    static func runProgram(_ program: String, _ arguments: [String], stdin: String = "") -> (status: Int32, output: String) {
        let result = execute(program, arguments, stdin: stdin, separateStderr: false)
        return (result.status, result.stdout)
    }

    private static func execute(_ program: String, _ arguments: [String], stdin: String, separateStderr: Bool) -> (status: Int32, stdout: String, stderr: String) {
        var template = Array("/tmp/linemaster-run-XXXXXX".utf8CString)
        close(mkstemp(&template))
        let outputPath = String(cString: template)
        let inputPath = outputPath + ".in"
        let errorPath = outputPath + ".err"
        writeFile(inputPath, stdin)
        defer {
            unlink(outputPath)
            unlink(inputPath)
            unlink(errorPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_TRUNC, 0o644)
        if separateStderr {
            posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        posix_spawn_file_actions_addopen(&actions, 0, inputPath, O_RDONLY, 0)
        let pid = spawn(program, arguments, actions: &actions, environment: [])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, readFile(outputPath) ?? "", separateStderr ? readFile(errorPath) ?? "" : "")
    }

    private static func spawn(_ path: String, _ arguments: [String], actions: inout posix_spawn_file_actions_t, environment extra: [String]) -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var environment: [UnsafeMutablePointer<CChar>?] = extra.map { strdup($0) }
        var entry = environ
        while let pointer = entry.pointee {
            environment.append(strdup(pointer))
            entry += 1
        }
        environment.append(nil)
        defer { environment.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, environment)
        precondition(rc == 0, "posix_spawn \(path): \(String(cString: strerror(rc)))")
        return pid
    }
}
