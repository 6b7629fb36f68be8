import Foundation
import Glibc
import Testing

/// `linemaster status --watch [INTERVAL]`: the status again every interval, with rates, until
/// interrupted; without a terminal, plain blocks one after the other.
@Suite struct StatusWatching {
    @Test func withoutATerminalEveryIntervalIsAPlainBlockWithRowsPerSecondInAndStored() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Pipeline.config(port: port, database: database))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter"])
        try supervisor.waitForListeners(["listener"])
        let log = supervisor.dataDirectory + "/watch.log"
        let watch = Binaries.spawn("linemaster", ["status", "-D", supervisor.dataDirectory, "--watch", "0.2"], logPath: log)
        let sender = UDPSender(port: port)
        for i in 0 ..< 200 {
            sender.send("cpu,host=a v=\(i)")
            usleep(10_000)
        }
        kill(watch, SIGINT)
        #expect(waitForChild(watch) == 128 + SIGINT)

        let output = try String(contentsOfFile: log, encoding: .utf8)
        // Each block begins with the status's first line.
        let blocks = output.components(separatedBy: "linemaster (pid \(supervisor.pid)) ").dropFirst()
        #expect(output.hasPrefix("linemaster (pid "))
        #expect(blocks.count >= 4, "\(output)")
        #expect(!output.contains("\u{1B}["))
        #expect(blocks.allSatisfy { $0.hasSuffix("\n\n") })
        #expect(blocks.first?.hasSuffix("rates: from the next block on\n\n") == true)
        func rates(_ worker: String, _ what: String) -> [Int] {
            blocks.flatMap { $0.split(separator: "\n") }.compactMap { line in
                let prefix = "  \(worker): ", suffix = " rows/s \(what)"
                guard line.hasPrefix(prefix), line.hasSuffix(suffix) else { return nil }
                return Int(line.dropFirst(prefix.count).dropLast(suffix.count))
            }
        }
        #expect(rates("listener", "in").count == blocks.count - 1)
        #expect(rates("listener", "in").contains { $0 > 0 })
        #expect(rates("inserter", "stored").contains { $0 > 0 })
    }
}
