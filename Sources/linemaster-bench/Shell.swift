import Glibc

/// `s` as one word for /bin/sh.
func shellQuoted(_ s: String) -> String {
    "'" + s.replacingAll("'", with: "'\\''") + "'"
}

/// Runs `argv` (looked up in PATH) to its end; its exit status and output, stderr joined to
/// stdout unless `joiningStderr` is false (stderr then stays this process's).
func runCapturing(_ argv: [String], joiningStderr: Bool = true) throws -> (status: Int32, output: String) {
    guard let pipe = popen("exec " + argv.map(shellQuoted).joined(separator: " ") + (joiningStderr ? " 2>&1" : ""), "r") else {
        throw BenchmarkFailure("cannot run \(argv[0])")
    }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, pipe)
        if n == 0 { break }
        bytes += buffer[0..<n]
    }
    let status = pclose(pipe)
    return ((status >> 8) & 0xff, String(decoding: bytes, as: UTF8.self))
}
