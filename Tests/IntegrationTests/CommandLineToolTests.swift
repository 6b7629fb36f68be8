import Glibc
import LineProtocol
import Testing

/// `linemaster parse`, run as a user would: line protocol on stdin, JSON on stdout, problems on stderr.
@Suite struct LinemasterParse {
    private func parse(_ input: String, _ options: [String] = []) -> (status: Int32, stdout: String, stderr: String) {
        Binaries.runSeparately("linemaster", ["parse"] + options, stdin: input)
    }

    @Test func printsOneJSONObjectPerPointInInputOrderWithTagsAndFieldsInInputOrder() {
        let input = """
            # a comment, then a blank line: neither is a point nor a problem

            cpu,zone=z,host=a usage=0.5,idle=3i,total=7u,ok=true,note="hi" 1700000000000000000
            mem,host=b free=2i 5
            """
        let result = parse(input)
        #expect(result.stdout == """
            {"measurement": "cpu", "tags": [["zone", "z"], ["host", "a"]], "fields": [["usage", "float", "0.5"], ["idle", "int", "3"], ["total", "uint", "7"], ["ok", "bool", "true"], ["note", "string", "hi"]], "time": 1700000000000000000}
            {"measurement": "mem", "tags": [["host", "b"]], "fields": [["free", "int", "2"]], "time": 5}

            """)
        #expect(result.stderr == "")
        #expect(result.status == 0)
    }

    @Test func aBadLineIsReportedOnStderrByNumberAndItsNeighboursAreStillPrinted() {
        let result = parse("cpu a=1i 1\nthis is not line protocol\ncpu a=3i 3\n")
        #expect(result.stdout.split(separator: "\n") == [
            #"{"measurement": "cpu", "tags": [], "fields": [["a", "int", "1"]], "time": 1}"#,
            #"{"measurement": "cpu", "tags": [], "fields": [["a", "int", "3"]], "time": 3}"#,
        ])
        let problems = result.stderr.split(separator: "\n")
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("line 2: ") == true)
    }

    @Test func exitsOneWhenAnyLineIsRejected() {
        #expect(parse("cpu a=1i 1\ncpu a=\n").status == 1)
        #expect(parse("cpu\n").status == 1)
    }

    @Test func exitsZeroWhenEveryLineIsAccepted() {
        #expect(parse("cpu a=1i 1\ncpu a=2i 2\n").status == 0)
        #expect(parse("").status == 0)
    }

    @Test(arguments: [("ns", "1700000000"), ("us", "1700000000000"), ("ms", "1700000000000000"), ("s", "1700000000000000000")])
    func precisionSetsTheUnitOfTimestamps(precision: String, nanoseconds: String) {
        let result = parse("cpu a=1i 1700000000\n", ["--precision", precision])
        #expect(result.stdout == #"{"measurement": "cpu", "tags": [], "fields": [["a", "int", "1"]], "time": \#(nanoseconds)}"# + "\n")
        #expect(result.status == 0)
    }

    @Test func defaultTimeIsTheTimeOfLinesWithoutATimestamp() {
        let result = parse("cpu a=1i\ncpu a=2i 7\n", ["--default-time", "1700000000123456789"])
        #expect(result.stdout.split(separator: "\n") == [
            #"{"measurement": "cpu", "tags": [], "fields": [["a", "int", "1"]], "time": 1700000000123456789}"#,
            #"{"measurement": "cpu", "tags": [], "fields": [["a", "int", "2"]], "time": 7}"#,
        ])
    }

    @Test func defaultTimeIsInNanosecondsAndTruncatedToThePrecision() {
        let result = parse("cpu a=1i\n", ["--precision", "s", "--default-time", "1700000000123456789"])
        #expect(result.stdout == #"{"measurement": "cpu", "tags": [], "fields": [["a", "int", "1"]], "time": 1700000000000000000}"# + "\n")
    }

    @Test func withoutDefaultTimeALineWithoutTimestampGetsTheCurrentTime() throws {
        let before = wallClockNanoseconds()
        let result = parse("cpu a=1i\n")
        let after = wallClockNanoseconds()
        let time = try #require(result.stdout.split(separator: " ").last.flatMap { Int64($0.dropLast(2)) })
        #expect((before...after).contains(time))
    }
}

/// `linemaster-load`, received with a real UDP socket and read with the line protocol parser.
@Suite struct LinemasterLoad {
    /// Runs `linemaster-load` against a fresh socket on 127.0.0.1 and returns its output and the
    /// datagrams received, read while it sends so that the socket buffer cannot overflow.
    private func sendAndReceive(_ arguments: [String]) throws -> (output: String, datagrams: [[ReceivedLine]]) {
        let receiver = try UDPReceiver()
        var template = Array("/tmp/linemaster-load-XXXXXX".utf8CString)
        close(mkstemp(&template))
        let logPath = String(cString: template)
        defer { unlink(logPath) }
        let pid = Binaries.spawn("linemaster-load", ["127.0.0.1:\(receiver.port)"] + arguments, logPath: logPath)
        var datagrams: [[ReceivedLine]] = []
        var status: Int32 = 0
        var exited = false
        // Reads until the sender has exited and nothing more arrived for 200 ms.
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let datagram = receiver.receive(timeoutMilliseconds: 200) {
                datagrams.append(try receivedLines(datagram))
            } else if exited {
                break
            }
            if !exited && waitpid(pid, &status, WNOHANG) == pid { exited = true }
        }
        if !exited {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        try #require(exited, "linemaster-load still ran after 30 s")
        #expect(status == 0, "linemaster-load exited with wait status \(status)")
        return (readFile(logPath) ?? "", datagrams)
    }

    @Test func sendsExactlyNLinesNumberedFromZeroWithKLinesPerDatagram() throws {
        // Paced, so that this test's receiver, parsing as it goes, cannot fall behind.
        let (output, datagrams) = try sendAndReceive(["-n", "5000", "--lines-per-datagram", "7", "--rate", "20000"])
        let seqs = datagrams.flatMap { $0 }.map(\.seq)
        // 5000 numbers, all different, from 0 to 4999: exactly 0..<5000.
        #expect(seqs.count == 5000)
        #expect(Set(seqs).count == seqs.count)
        #expect(seqs.min() == 0 && seqs.max() == 4999)
        // 5000 = 714 * 7 + 2: every datagram holds 7 lines but the last, which holds the rest.
        #expect(datagrams.count == 715)
        #expect(datagrams.dropLast().allSatisfy { $0.count == 7 })
        #expect(datagrams.last?.count == 2)
        #expect(output.hasPrefix("sent 5000 lines in 715 datagrams,"))
    }

    @Test func seqStartShiftsTheNumbers() throws {
        let (output, datagrams) = try sendAndReceive(["-n", "300", "--lines-per-datagram", "10", "--seq-start", "1000", "--rate", "20000"])
        let seqs = datagrams.flatMap { $0 }.map(\.seq)
        #expect(seqs.count == 300)
        #expect(Set(seqs).count == seqs.count)
        #expect(seqs.min() == 1000 && seqs.max() == 1299)
        #expect(output.hasPrefix("sent 300 lines in 30 datagrams,"))
    }

    @Test func segmentOffloadStillSendsOneDatagramPerLineGroup() throws {
        // The kernel cuts each send into separate datagrams; padding makes them one size per send.
        let (output, datagrams) = try sendAndReceive(["-n", "3000", "--lines-per-datagram", "1", "--segment-offload", "--rate", "20000"])
        let seqs = datagrams.flatMap { $0 }.map(\.seq)
        #expect(datagrams.count == 3000)
        #expect(datagrams.allSatisfy { $0.count == 1 })
        #expect(Set(seqs) == Set(0..<3000))
        #expect(output.hasPrefix("sent 3000 lines in 3000 datagrams,"))
    }

    @Test func newFieldEveryNGivesLineIAnIntegerFieldNamedAfterIOverN() throws {
        let (_, datagrams) = try sendAndReceive(["-n", "250", "--lines-per-datagram", "10", "--seq-start", "1000",
                                                 "--new-field-every", "100", "--rate", "20000"])
        let lines = datagrams.flatMap { $0 }
        #expect(lines.count == 250)
        // Counted from the line (seq - 1000), not from seq: lines 0-99 carry f0, 100-199 f1, 200-249 f2.
        #expect(lines.allSatisfy { $0.otherFields == ["f\(($0.seq - 1000) / 100)=1"] })
        #expect(Set(lines.flatMap(\.otherFields)) == ["f0=1", "f1=1", "f2=1"])
    }

    @Test func withoutNewFieldEveryALineHasOnlyItsUsualFields() throws {
        let (_, datagrams) = try sendAndReceive(["-n", "100", "--lines-per-datagram", "10", "--rate", "20000"])
        #expect(datagrams.flatMap { $0 }.allSatisfy { $0.otherFields.isEmpty })
    }

    /// A line as received: its `seq`, and its integer fields other than idle and seq as `key=value`.
    struct ReceivedLine {
        let seq: Int64
        let otherFields: [String]
    }

    /// The lines of a datagram, which must parse without a problem.
    private func receivedLines(_ datagram: [UInt8]) throws -> [ReceivedLine] {
        var lines: [ReceivedLine] = []
        var problems: [LineProtocolError] = []
        datagram.withUnsafeBytes { bytes in
            LineParser().parse(bytes, defaultTime: 0) { point in
                var seq: Int64 = -1, others: [String] = []
                for field in point.fields {
                    let key = field.key.makeString()
                    guard case .int(let value) = field.value else { continue }
                    if key == "seq" { seq = value } else if key != "idle" { others.append("\(key)=\(value)") }
                }
                lines.append(ReceivedLine(seq: seq, otherFields: others))
            } onError: { problems.append($0) }
        }
        #expect(problems.isEmpty, "\(problems)")
        return lines
    }
}

/// A UDP socket bound to 127.0.0.1 on a port the kernel picks.
private final class UDPReceiver {
    let fd: Int32
    let port: UInt16
    private var buffer = [UInt8](repeating: 0, count: 65_536)

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        self.fd = fd
        // Room for a burst of the sender's datagrams while the test parses (the kernel may cap it).
        var size: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        port = UInt16(bigEndian: address.sin_port)
        try #require(bound, "bind: \(String(cString: strerror(errno)))")
    }

    deinit { close(fd) }

    /// The next datagram, or nil when none arrives within the timeout.
    func receive(timeoutMilliseconds: Int32) -> [UInt8]? {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, timeoutMilliseconds) > 0 else { return nil }
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n >= 0 ? Array(buffer[..<n]) : nil
    }
}

private func wallClockNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// `linemaster stop`, `reload` and `status` when they cannot do what was asked: one line on
/// stderr, no usage text (the command line was right), and the same exit statuses.
@Suite struct ControlCommandFailures {
    @Test(arguments: ["stop", "reload", "status"])
    func withNoSupervisorRunningTheyExitThreeWithOneLineAndNoUsage(command: String) {
        let idle = SupervisorProcess(config: "")
        let result = Binaries.runSeparately("linemaster", [command, "-D", idle.dataDirectory])
        #expect(result.status == 3)
        #expect(result.stderr == "no linemaster is running with data directory \(idle.dataDirectory)\n")
        #expect(!result.stderr.contains("USAGE"))
        #expect(result.stdout == "")
    }

    @Test func stopExitsOneWhenTheSupervisorDoesNotExitInTime() throws {
        let supervisor = SupervisorProcess(config: """
            [supervisor]
            shutdown_timeout = "60s"
            [[worker]]
            name = "stubborn"
            executable = "TESTWORKER"
            args = ["--ignore-term"]
            """)
        try supervisor.startReady()
        let pid = try #require(try supervisor.waitForWorkers(["stubborn"])["stubborn"])
        try waitUntil("the worker ignores SIGTERM") { Self.ignoresSIGTERM(pid) }
        let result = Binaries.runSeparately("linemaster", ["stop", "-D", supervisor.dataDirectory, "--timeout", "1"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("linemaster (pid \(supervisor.pid)) did not stop within"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!result.stderr.contains("USAGE"))
    }

    /// Whether SIGTERM is in the process's ignored signals (`SigIgn` in /proc/PID/status, a hex mask).
    private static func ignoresSIGTERM(_ pid: pid_t) -> Bool {
        let line = (readFile("/proc/\(pid)/status") ?? "").split(separator: "\n").first { $0.hasPrefix("SigIgn:") }
        let mask = line.flatMap { UInt64($0.dropFirst("SigIgn:".count).trimmingPrefix("\t"), radix: 16) } ?? 0
        return mask & (1 << (SIGTERM - 1)) != 0
    }
}
