#if canImport(Glibc)
import Glibc
#endif

/// What the launcher hands to execve so that every worker's argv[0] is its title, scripts included.
///
/// For a script the kernel starts the `#!` interpreter with argv[0] replaced by the interpreter's
/// path, and ps would show `/bin/bash /path/worker.sh`. So the launcher does the kernel's work:
/// it reads the `#!` line and execs the interpreter itself, with argv = [title, its argument if
/// any, the script's path, the configured arguments], which leaves the script its usual `$0` or
/// `sys.argv`. An interpreter that is a script itself is followed the same way.
///
/// `#!/usr/bin/env NAME` would have env exec NAME with argv[0] = NAME, so NAME is looked up in the
/// worker's `PATH` and run directly. Other uses of env (`-S`, `VAR=value`) still go through env,
/// as the kernel would run them: the program env starts then shows env's command line.
struct ExecTarget {
    /// The file execve runs.
    let path: String
    /// The title first, then what the program is to see as its arguments.
    let argv: [String]
    let environment: [String]

    /// The kernel follows at most this many interpreters (exec.c gives up with ELOOP beyond it).
    private static let nestingLimit = 5

    init(executable: String, title: String, arguments: [String], environment: [String]) {
        var path = executable
        var arguments = arguments
        for _ in 0..<Self.nestingLimit {
            guard let interpreter = Self.readInterpreter(of: path) else { break }
            let script = path
            if let command = interpreter.commandRunByEnv, let found = Self.search(command, environment: environment) {
                path = found
                arguments = [script] + arguments
            } else {
                path = interpreter.path
                arguments = (interpreter.argument.map { [$0] } ?? []) + [script] + arguments
            }
        }
        self.path = path
        argv = [title] + arguments
        self.environment = Self.environment(environment, for: path)
    }

    /// The `#!` line of the file at `path`; nil for a file that is no script, or that this process
    /// cannot read (the kernel then runs it as it always did).
    private static func readInterpreter(of path: String) -> ScriptInterpreter? {
        // Non-blocking, so that an executable FIFO cannot stall the supervisor's loop in open;
        // only a regular file can be executed anyway, and one read returns all it has.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        var head = [UInt8](repeating: 0, count: ScriptInterpreter.headSize)
        let count = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return count > 0 ? ScriptInterpreter(head: Array(head[..<count])) : nil
    }

    /// Where env would find `command`: as execvp does, in `PATH` of the environment the worker gets
    /// (the first entry, the one getenv returns), or in `/bin:/usr/bin` without one.
    private static func search(_ command: String, environment: [String]) -> String? {
        if command.contains("/") { return command }
        let searchPath = environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? "/bin:/usr/bin"
        let directories = searchPath.split(separator: ":", omittingEmptySubsequences: false).map { $0.isEmpty ? "." : String($0) }
        return findExecutable(command, in: directories)
    }

    /// CPython finds its own path, and from it `sys.prefix` and a virtual environment, from
    /// argv[0] (it never reads /proc/self/exe); with a title there it gets `sys.executable == ""`
    /// and misses its venv. PYTHONEXECUTABLE, read on Linux since Python 3.11, tells it the path.
    /// Children of the worker inherit it: another Python they start would take it as its own.
    private static func environment(_ environment: [String], for path: String) -> [String] {
        guard let name = path.split(separator: "/").last, name.hasPrefix("python"),
              name.dropFirst("python".count).allSatisfy({ $0.isNumber || $0 == "." }),
              !environment.contains(where: { $0.hasPrefix("PYTHONEXECUTABLE=") }) else { return environment }
        return environment + ["PYTHONEXECUTABLE=\(path)"]
    }
}
