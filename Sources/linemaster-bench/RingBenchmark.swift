import ArgumentParser
import SharedRing

#if canImport(Glibc)
import Glibc
#endif

/// Hands rows from this process to a consumer process through a ring and prints the rate.
///
/// The consumer is this executable again (`--role consumer`), started with posix_spawn: a Swift
/// process must not fork. It takes a worker statistics slot to say that it is attached, so that
/// the clock starts only when both sides run.
struct RingBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ring",
        abstract: "Shared-memory ring handoff between processes.",
        discussion: "Build with `swift build -c release` first; debug builds are about 20 times slower.")

    enum Role: String, ExpressibleByArgument {
        case producer, consumer
    }

    @Option(help: "Rows to hand over.")
    var rows = 20_000_000

    @Option(help: "Smallest payload in bytes; payloads vary from this to this + 40 (a parsed row is ~80-120).")
    var recordSize = 80

    @Option(help: "Ring data size in bytes.")
    var size = 64 << 20

    @Option(help: "Most records per claimed batch.")
    var batch = 1024

    @Option(help: .hidden)
    var role: Role = .producer

    @Option(help: .hidden)
    var segment: String?

    func run() throws {
        switch role {
        case .producer: try produce()
        case .consumer: try consume(segment: segment ?? "")
        }
    }

    private func produce() throws {
        let name = "/linemaster.bench.\(getpid())"
        let ring = try SharedRing.create(name: name, size: size)
        defer { SharedSegment.unlink(name: name) }
        let payloads = (0 ..< 64).map { i in [UInt8](repeating: UInt8(i), count: recordSize + i * 41 / 64) }

        let consumer = try spawnSelf(["ring", "--role", "consumer", "--segment", name, "--rows", "\(rows)", "--batch", "\(batch)"])
        let ready = ring.workerStats(slot: 0)
        while ready.pid == nil { usleep(100) }

        let start = clockSeconds(CLOCK_MONOTONIC)
        var bytes = 0, fullRetries = 0
        for i in 0 ..< rows {
            payloads[i & 63].withUnsafeBytes { payload in
                bytes += payload.count
                // The benchmark must not lose rows, so it retries where a listener would drop.
                while case .full = ring.tryPublish(payload) {
                    fullRetries += 1
                    sched_yield()
                }
            }
        }
        var status: Int32 = 0
        waitpid(consumer, &status, 0)
        let seconds = clockSeconds(CLOCK_MONOTONIC) - start
        guard status == 0 else { throw ValidationError("the consumer failed (wait status \(status))") }

        let rate = Double(rows) / seconds
        print("ring handoff, 2 processes: \(rows) rows of \(recordSize)-\(recordSize + 40) bytes, batches of up to \(batch)")
        let megabytes = Double(bytes) / seconds / 1e6
        print("  \(twoDecimals(seconds)) s, \(twoDecimals(rate / 1e6)) M rows/s, \(twoDecimals(megabytes)) MB/s of payload, "
            + "\(fullRetries) full-ring retries")
    }

    private func consume(segment: String) throws {
        guard let ring = try SharedRing.open(name: segment) else { throw ValidationError("no segment \(segment)") }
        ring.workerStats(slot: 0).assign(pid: getpid(), name: "bench consumer")
        var received = 0, checksum: UInt64 = 0
        while received < rows {
            guard let claimed = ring.claim(maxRecords: batch, timeout: .seconds(10)) else {
                throw ValidationError("no rows for 10 s after \(received)")
            }
            for record in claimed.records { checksum &+= UInt64(record.payload[record.payload.count - 1]) }
            received += claimed.count
            ring.release(claimed)
        }
        ring.workerStats(slot: 0).add(checksum, to: WorkerCounter(index: 0))
    }

    private func spawnSelf(_ arguments: [String]) throws -> pid_t {
        let path = "/proc/self/exe"
        let argv = (["linemaster-bench"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, nil, nil, argv, environ)
        guard result == 0 else { throw ValidationError("posix_spawn: \(String(cString: strerror(result)))") }
        return pid
    }
}
