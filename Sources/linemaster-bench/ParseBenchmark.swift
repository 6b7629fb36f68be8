import ArgumentParser
import Glibc
import LineProtocol

/// `linemaster-bench parse`: line protocol parser throughput on one core, in memory.
struct ParseBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Line protocol parser throughput.",
        discussion: """
            Parses in-memory corpora in datagram-sized chunks, as the listener does, and prints
            lines/s and MB/s (best and median of the runs). Build with `swift build -c release`.
              pg_influx: cpu,host=h<i%1000>,region=r<i%8> usage=<x.yy>,idle=<i>i,label="x<i%100>" <ns>
              mixed:     escaped names, long strings with escapes, more fields, unsigned and booleans
            """)

    @Option(help: "Lines per corpus.")
    var lines = 1_000_000

    @Option(help: "Timed runs per corpus.")
    var runs = 7

    @Option(help: "Bytes per chunk handed to the parser (cut at line ends); 0 parses each corpus in one call.")
    var datagramSize = 65_000

    @Option(help: "Corpora to run: pg_influx, mixed (default both).")
    var corpus: [String] = ["pg_influx", "mixed"]

    func run() throws {
        print("parse benchmark: \(lines) lines per corpus, \(runs) runs, chunks of \(datagramSize == 0 ? "whole corpus" : "\(datagramSize) bytes")")
        for name in self.corpus {
            let corpus = name == "mixed" ? ParseCorpus.mixed(lines: lines) : ParseCorpus.pgInflux(lines: lines)
            let chunks = ParseCorpus.chunks(corpus, maxBytes: datagramSize == 0 ? corpus.count : datagramSize)
            var seconds: [Double] = []
            var cpuSeconds: [Double] = []
            var checksum: UInt64 = 0
            for _ in 0..<runs {
                let start = clockSeconds(CLOCK_MONOTONIC), cpuStart = clockSeconds(CLOCK_THREAD_CPUTIME_ID)
                checksum &+= parseAll(corpus, chunks: chunks)
                seconds.append(clockSeconds(CLOCK_MONOTONIC) - start)
                cpuSeconds.append(clockSeconds(CLOCK_THREAD_CPUTIME_ID) - cpuStart)
            }
            seconds.sort()
            cpuSeconds.sort()
            let mb = Double(corpus.count) / 1e6
            print(name + String(repeating: " ", count: max(0, 10 - name.count)),
                  "best \(twoDecimals(Double(lines) / seconds[0] / 1e6)) M lines/s \(twoDecimals(mb / seconds[0])) MB/s,",
                  "median \(twoDecimals(Double(lines) / seconds[seconds.count / 2] / 1e6)) M lines/s,",
                  "best per CPU second \(twoDecimals(Double(lines) / cpuSeconds[0] / 1e6)) M lines/s,",
                  "\(twoDecimals(Double(corpus.count) / Double(lines))) bytes/line (checksum \(checksum % 1000))")
        }
    }

    /// Parses every chunk and folds what a consumer would read into a checksum, so nothing is optimized away.
    private func parseAll(_ corpus: [UInt8], chunks: [Range<Int>]) -> UInt64 {
        let parser = LineParser(precision: .nanoseconds)
        var sum: UInt64 = 0
        var errors = 0
        corpus.withUnsafeBytes { all in
            for chunk in chunks {
                parser.parse(UnsafeRawBufferPointer(rebasing: all[chunk]), defaultTime: 0) { point in
                    sum &+= UInt64(truncatingIfNeeded: point.time) &+ UInt64(point.measurement.raw.count)
                    for tag in point.tags { sum &+= UInt64(tag.value.raw.count) }
                    for field in point.fields {
                        switch field.value {
                        case .float(let x): sum &+= x.bitPattern
                        case .int(let x): sum &+= UInt64(bitPattern: x)
                        case .uint(let x): sum &+= x
                        case .bool(let b): sum &+= b ? 1 : 0
                        case .string(let s): sum &+= UInt64(s.raw.count)
                        }
                    }
                } onError: { _ in errors += 1 }
            }
        }
        precondition(errors == 0, "the corpus has \(errors) rejected lines")
        return sum
    }
}

/// The benchmark's inputs, generated deterministically.
enum ParseCorpus {
    /// The line shape of the pg_influx benchmark.
    static func pgInflux(lines: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(lines * 90)
        let t0: Int64 = 1_700_000_000_000_000_000
        for i in 0..<lines {
            let usage = (i &* 7919) % 10_000
            let line = "cpu,host=h\(i % 1000),region=r\(i % 8) usage=\(usage / 100).\(usage % 100 < 10 ? "0" : "")\(usage % 100),idle=\(i)i,label=\"x\(i % 100)\" \(t0 + Int64(i) * 1000)\n"
            out.append(contentsOf: line.utf8)
        }
        return out
    }

    /// Escaped names, long strings with escapes, more fields of every type.
    static func mixed(lines: Int) -> [UInt8] {
        var out: [UInt8] = []
        let t0: Int64 = 1_700_000_000_000_000_000
        let long = String(repeating: "lorem ipsum dolor sit amet, ", count: 6)
        for i in 0..<lines {
            let line: String
            switch i % 4 {
            case 0:
                line = "disk\\ io,host=web\\,\(i % 50),path=/var/lib\\ data,dev=sd\(i % 4) used=\(i * 4096)u,free=0.\(i % 997),ok=t,reads=\(i)i,msg=\"\(long)\\\"quoted\\\" \\\\ \(i)\" \(t0 + Int64(i))\n"
            case 1:
                line = "http_requests,method=GET,status=200,path=/api/v1/items/\(i % 300) duration=\(Double(i % 5000) / 7.0),bytes=\(i % 100_000)i,cached=false \(t0 + Int64(i))\n"
            case 2:
                line = "log,app=linemaster,level=warn message=\"\(long)line \(i)\\nnext\",code=\(i % 600)i \(t0 + Int64(i))\n"
            default:
                line = "sensor\\,temp,room=k\\=\(i % 20) t=\(Double(i % 4000) / 100.0 - 10.0),h=\(i % 100)u \(t0 + Int64(i))\n"
            }
            out.append(contentsOf: line.utf8)
        }
        return out
    }

    /// Cuts `corpus` into chunks of at most `maxBytes`, each ending at a line feed.
    static func chunks(_ corpus: [UInt8], maxBytes: Int) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = 0
        while start < corpus.count {
            var end = min(start + maxBytes, corpus.count)
            if end < corpus.count {
                while end > start && corpus[end - 1] != UInt8(ascii: "\n") { end -= 1 }
                precondition(end > start, "a line is longer than \(maxBytes) bytes")
            }
            result.append(start..<end)
            start = end
        }
        return result
    }
}
