import ArgumentParser
import Glibc
import LineProtocol
import SystemCalls

extension Precision: ExpressibleByArgument {}

/// `linemaster parse`: line protocol on stdin, one JSON object per accepted point on stdout.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Parse line protocol from stdin and print one JSON object per accepted point.",
        discussion: """
            Output, one line per accepted point, in input order, e.g.
              {"measurement": "cpu", "tags": [["host", "a"]], "fields": [["usage", "float", "0.5"]], "time": 1}
            Each rejected line is reported on stderr as "line N: column C: message".
            Exit status: 0 when every line was accepted, 1 when any line was rejected.
            """)

    @Option(help: "Unit of the timestamps in the input: ns, us, ms or s.")
    var precision: Precision = .nanoseconds

    @Option(name: .customLong("default-time"), help: ArgumentHelp(
        "Time in nanoseconds since the epoch for lines without a timestamp (default: now).",
        valueName: "NS"))
    var defaultTime: Int64?

    func run() throws {
        let input = (try? readToEnd(fd: STDIN_FILENO)) ?? []
        var out: [UInt8] = []
        out.reserveCapacity(1 << 16)
        var rejected = 0
        input.withUnsafeBytes { bytes in
            LineParser(precision: precision).parse(bytes, defaultTime: defaultTime ?? nowNanoseconds()) { point in
                PointJSON.append(point, to: &out)
                out.append(UInt8(ascii: "\n"))
                if out.count >= 1 << 16 { writeAll(fd: STDOUT_FILENO, &out) }
            } onError: { error in
                rejected += 1
                writeAll(fd: STDOUT_FILENO, &out)
                var message = Array("line \(error.line): column \(error.column): \(error.message)\n".utf8)
                writeAll(fd: STDERR_FILENO, &message)
            }
        }
        writeAll(fd: STDOUT_FILENO, &out)
        if rejected > 0 { throw ExitCode(1) }
    }
}

private func nowNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// Writes and empties `buffer`.
private func writeAll(fd: Int32, _ buffer: inout [UInt8]) {
    var offset = 0
    buffer.withUnsafeBytes { bytes in
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 { offset += n } else if n < 0 && errno != EINTR { return }
        }
    }
    buffer.removeAll(keepingCapacity: true)
}
