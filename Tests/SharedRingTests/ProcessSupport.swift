import Testing

#if canImport(Glibc)
import Glibc
#endif

/// linemaster-ringtool, run as a real process so that it can be SIGKILLed.
enum RingToolProcess {
    /// The tool is built next to the test bundle: `/proc/self/exe` is in the build products directory.
    static let path: String = {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        precondition(length > 0, "cannot read /proc/self/exe")
        let executable = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return executable[..<executable.lastIndex(of: "/")!] + "/linemaster-ringtool"
    }()

    /// Starts the tool with `arguments`, its output going to /dev/null.
    static func spawn(_ arguments: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Test threads may run with signals blocked; the child must start with none blocked.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard result == 0 else { throw SpawnError(path: path, errno: result) }
        return pid
    }

    static func kill9(_ pid: pid_t) { kill(pid, SIGKILL) }

    /// Waits for `pid` to end and returns its raw wait status.
    @discardableResult
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }
}

struct SpawnError: Error, CustomStringConvertible {
    let path: String
    let errno: Int32
    var description: String { "posix_spawn(\(path)) failed: \(String(cString: strerror(errno))); build it with `swift build`" }
}

/// A fresh directory for a test's files.
func makeTemporaryDirectory() -> String {
    var template = Array("/tmp/lmringtest.XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
}

/// Removes a directory made by `makeTemporaryDirectory` with the files in it.
func removeTemporaryDirectory(_ path: String) {
    if let directory = opendir(path) {
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { unlink(path + "/" + name) }
        }
        closedir(directory)
    }
    rmdir(path)
}

func readFile(_ path: String) -> String {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &chunk, chunk.count)
        if n <= 0 { break }
        bytes += chunk[..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The complete lines of a file; a last line without its newline was cut short by a kill.
func completeLines(_ path: String) -> [Substring] {
    let text = readFile(path)
    guard let lastNewline = text.lastIndex(of: "\n") else { return [] }
    return text[..<lastNewline].split(separator: "\n", omittingEmptySubsequences: false)
}

/// Polls `condition` every millisecond for up to `seconds`.
func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    for _ in 0 ..< Int(seconds * 1000) {
        if condition() { return true }
        usleep(1000)
    }
    return condition()
}
