import Ingest
import LineProtocol
import SharedRing
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a receiving worker does with a line it could not parse: into the ring, within the limit,
/// counted either way.
@Suite struct RejectKeeperTests {
    private static let counter = Atomic<Int>(0)
    let name = "/lmtest.keeper.\(getpid()).\(RejectKeeperTests.counter.add(1, ordering: .relaxed).newValue)"
    let ring: SharedRing
    let stats: WorkerStatsSlot
    let start = ContinuousClock.now
    let source = RejectSource(transport: "udp", local: "127.0.0.1:8089", peer: "10.0.0.7:41234")

    init() throws {
        ring = try SharedRing.create(name: name, size: 16 << 20)
        stats = ring.workerStats(slot: 0)
        stats.assign(pid: getpid(), name: "listener 1")
    }

    /// Parses `text`, keeping every rejected line at `now`; returns how many were kept.
    @discardableResult
    private func keepRejects(of text: String, by keeper: RejectKeeper, now: ContinuousClock.Instant) -> Int {
        var kept = 0
        Array(text.utf8).withUnsafeBytes { input in
            LineParser().parse(input, defaultTime: 0) { _ in } onError: { error in
                if keeper.keep(error, in: input, receivedAt: 1_700_000_000_123_456_789, from: source, now: now) { kept += 1 }
            }
        }
        return kept
    }

    private func claimedLines() throws -> [(time: Int64, line: String, reason: String, source: String)] {
        guard let batch = ring.claim(maxRecords: 10_000) else { return [] }
        let views = batch.records.map { try? RejectedLineRecordView($0.payload) }
        let lines = views.compactMap { $0 }.map { view in
            (view.time, String(decoding: view.line, as: UTF8.self), String(decoding: view.reason, as: UTF8.self),
             String(decoding: view.source, as: UTF8.self))
        }
        ring.release(batch)
        #expect(lines.count == views.count, "every record in the ring is a rejected line")
        return lines
    }

    @Test func aRejectedLineGoesIntoTheRingWithItsTextReasonAndSource() throws {
        defer { SharedSegment.unlink(name: name) }
        let keeper = RejectKeeper(ring: ring, stats: stats, worker: "listener 1") { _ in }
        keepRejects(of: "cpu v=1\n  cpu,host=a usage=12x 5\r\nmem v=2", by: keeper, now: start)
        let lines = try claimedLines()
        #expect(lines.count == 1)
        #expect(lines.first?.time == 1_700_000_000_123_456_789)
        #expect(lines.first?.line == "  cpu,host=a usage=12x 5")
        #expect(lines.first?.reason.hasPrefix("line 1: column 20: ") == true)
        #expect(lines.first?.source == "udp://127.0.0.1:8089 from 10.0.0.7:41234 (listener 1)")
        #expect(stats.value(of: .rejectedLinesKept) == 1 && stats.value(of: .rejectedLinesNotKept) == 0)
    }

    @Test func theReasonIsWhatParseSaysOfTheLineAlone() throws {
        defer { SharedSegment.unlink(name: name) }
        let keeper = RejectKeeper(ring: ring, stats: stats, worker: "listener 1") { _ in }
        let text = "a v=1\nb v=2\nc s=\"one\ntwo\",v=x 1\nd v=3"
        keepRejects(of: text, by: keeper, now: start)
        let kept = try claimedLines()
        var alone: [String] = []
        Array(kept[0].line.utf8).withUnsafeBytes { input in
            LineParser().parse(input, defaultTime: 0) { _ in } onError: { alone.append("line \($0.line): column \($0.column): \($0.message)") }
        }
        #expect(kept.map(\.line) == ["c s=\"one\ntwo\",v=x 1"])
        #expect(kept.map(\.reason) == alone)
    }

    @Test func aFloodKeepsTheBurstAndCountsTheRest() throws {
        defer { SharedSegment.unlink(name: name) }
        let keeper = RejectKeeper(ring: ring, stats: stats, worker: "listener 1") { _ in }
        let garbage = (0..<1500).map { "bad line \($0)" }.joined(separator: "\n")
        #expect(keepRejects(of: garbage, by: keeper, now: start) == 1000)
        #expect(keepRejects(of: garbage, by: keeper, now: start + .seconds(1)) == 100)
        #expect(stats.value(of: .rejectedLinesKept) == 1100)
        #expect(stats.value(of: .rejectedLinesNotKept) == 1900)
    }

    @Test func aLongLineCostsATokenPerStarted4KiBAndIsCutAt64KiB() throws {
        defer { SharedSegment.unlink(name: name) }
        let keeper = RejectKeeper(ring: ring, stats: stats, worker: "listener 1") { _ in }
        let long = "m " + String(repeating: "x", count: 100_000)
        let kept = (0..<100).filter { _ in keepRejects(of: long, by: keeper, now: start) == 1 }.count
        #expect(kept == 1000 / 16)
        let lines = try claimedLines()
        #expect(lines.first?.line.utf8.count == RejectedLineRecord.maxLineLength)
    }

    @Test func aRingMoreThanHalfFullKeepsNoRejectedLine() throws {
        defer { SharedSegment.unlink(name: name) }
        let keeper = RejectKeeper(ring: ring, stats: stats, worker: "listener 1") { _ in }
        let filler = [UInt8](repeating: 1, count: 60_000)
        while ring.counters.bytesUsed <= ring.capacity / 2 { _ = ring.tryPublish(filler) }
        #expect(keepRejects(of: "bad", by: keeper, now: start) == 0)
        #expect(stats.value(of: .rejectedLinesNotKept) == 1)
    }

    @Test func theLogSaysTheFirstRejectionAtOnceThenSummarizes() throws {
        defer { SharedSegment.unlink(name: name) }
        let said = Mutex<[String]>([])
        let keeper = RejectKeeper(ring: ring, stats: stats, worker: "listener 1") { line in said.withLock { $0.append(line) } }
        keepRejects(of: "one\ntwo\nthree", by: keeper, now: start)
        keeper.flushLog(now: start + .seconds(11))
        let lines = said.withLock { $0 }
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("rejected line 1: column 4: ") == true)
        #expect(lines.last?.hasPrefix("rejected 2 lines in the last 10.0 seconds, 2 kept in linemaster_rejects, 0 not kept") == true)
    }
}
