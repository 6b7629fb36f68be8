import Glibc

/// One run of `linemaster-load`, and what it printed.
struct LoadRun {
    /// Lines the kernel took (UDP) or the server answered 204 (HTTP).
    var sent = 0
    /// Lines not sent (UDP: refused or no buffer) or not acknowledged (HTTP).
    var notSent = 0
    var achievedRate: Int?
    /// `p50 X ms, p99 Y ms` of an HTTP run.
    var latency: String?
    /// Answers by status of an HTTP run, as printed.
    var answers: String?
    /// CPU seconds (user + system) of the load generator.
    var cpuSeconds = 0.0
    let output: String

    /// Runs `bin/linemaster-load ARGUMENTS` to its end; fails when it exits non-zero.
    init(bin: String, arguments: [String]) throws {
        let before = childrenCPUSeconds()
        let (status, output) = try runCapturing([bin + "/linemaster-load"] + arguments)
        cpuSeconds = childrenCPUSeconds() - before
        self.output = output
        guard status == 0 else { throw BenchmarkFailure("linemaster-load \(arguments.joined(separator: " ")) failed: \(output)") }
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ")
            if line.hasPrefix("sent ") { sent = Int(words[1]) ?? 0 }
            if line.hasPrefix("rate: ") { achievedRate = Int(words[1]) }
            if line.hasPrefix("not sent") || line.hasPrefix("not acknowledged") {
                notSent = words.firstIndex { $0 == "lines" }.flatMap { Int(words[$0 - 1]) } ?? 0
            }
            if line.hasPrefix("latency: ") { latency = line.dropFirst("latency: ".count).split(separator: ", max").first.map(String.init) }
            if line.hasPrefix("answers: ") { answers = String(line.dropFirst("answers: ".count)) }
        }
    }

    /// The arguments that send `bench` with seq numbers from `seqStart` to `destination`
    /// (HOST:PORT for UDP, the `/write` URL for HTTP).
    static func arguments(for bench: BenchCase, destination: String, seqStart: Int, series: Int) -> [String] {
        let common = ["-n", String(bench.lines), "--series", String(series), "--seq-start", String(seqStart)]
            + (bench.newFieldEvery.map { ["--new-field-every", String($0)] } ?? [])
        switch bench.workload {
        case .udp(let rate, let linesPerDatagram, let segmentOffload):
            return [destination] + common + ["--rate", String(rate), "--lines-per-datagram", String(linesPerDatagram)]
                + (segmentOffload ? ["--segment-offload"] : [])
        case .http(let connections, let linesPerRequest):
            return ["--http", destination] + common + ["--connections", String(connections), "--lines-per-request", String(linesPerRequest)]
        }
    }
}

/// CPU seconds of this process's children that have been waited for.
private func childrenCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
