#if canImport(Glibc)
import Glibc
#endif
@testable import Metrics
import SharedRing
import Testing

/// A real ring whose statistics slots the tests fill as workers would.
final class CountingRing {
    let name = "/lmmetrics.\(getpid()).\(UInt32.random(in: 0 ... .max))"
    let ring: SharedRing
    private(set) var workers: [WorkerStatus] = []

    init() throws { ring = try SharedRing.create(name: name, size: 1 << 20) }
    deinit { SharedSegment.unlink(name: name) }

    /// A worker running with `flags` on the next slot.
    func worker(_ name: String, flags: [String], state: WorkerState = .running) -> WorkerStatsSlot {
        let slot = ring.workerStats(slot: workers.count)
        slot.assign(pid: 1000 + Int32(workers.count), name: name)
        workers.append(WorkerStatus(name: name, pid: nil, state: state, uptime: nil, restarts: 0, lastExit: nil,
                                    statSlot: slot.index, flags: ["shared-memory"] + flags))
        return slot
    }

    func text(sockets: [SocketDrops] = []) -> String {
        PrometheusText.render(MetricsSnapshot(workers: workers, ring: RingStatus(ring, workers: workers), sockets: sockets))
    }
}

@Suite struct PrometheusTextTests {
    @Test func everyFamilyHasHelpAndTypeBeforeItsSamples() {
        let text = PrometheusText.render(MetricsSnapshot(workers: [], ring: nil, sockets: []))
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2 * PrometheusText.families(MetricsSnapshot(workers: [], ring: nil, sockets: [])).count)
        #expect(lines.first == "# HELP linemaster_lines_received_total Lines that reached a receiving worker, good or bad.")
        #expect(lines.dropFirst().first == "# TYPE linemaster_lines_received_total counter")
    }

    @Test func labelValuesAreEscaped() {
        let worker = WorkerStatus(name: "a\"b\\c\nd", pid: nil, state: .running, uptime: nil, restarts: 2, lastExit: nil, statSlot: 0, flags: [])
        let text = PrometheusText.render(MetricsSnapshot(workers: [worker], ring: nil, sockets: []))
        #expect(text.contains(#"linemaster_worker_restarts_total{worker="a\"b\\c\nd"} 2"#))
    }

    @Test func kernelDropsAreSummedPerDefinitionOverItsSockets() {
        let sockets = [SocketDrops(worker: "listener", address: "udp://127.0.0.1:1", datagramsDropped: 3),
                       SocketDrops(worker: "listener", address: "udp://[::1]:1", datagramsDropped: 4)]
        let text = PrometheusText.render(MetricsSnapshot(workers: [], ring: nil, sockets: sockets))
        #expect(text.contains(#"linemaster_datagrams_dropped_total{worker="listener",reason="socket_overflow"} 7"#))
    }

    @Test func theBatchHistogramHasCumulativeBucketsASumInSecondsAndACount() throws {
        let ring = try CountingRing()
        let inserter = ring.worker("inserter 1", flags: ["database"])
        BatchWriteHistogram.record(.milliseconds(2), in: inserter)
        BatchWriteHistogram.record(.milliseconds(20), in: inserter)
        BatchWriteHistogram.record(.seconds(30), in: inserter)
        let text = ring.text()
        #expect(text.contains("# TYPE linemaster_batch_write_seconds histogram\n"))
        #expect(text.contains(#"linemaster_batch_write_seconds_bucket{worker="inserter 1",le="0.001"} 0"#))
        #expect(text.contains(#"linemaster_batch_write_seconds_bucket{worker="inserter 1",le="0.0025"} 1"#))
        #expect(text.contains(#"linemaster_batch_write_seconds_bucket{worker="inserter 1",le="0.025"} 2"#))
        #expect(text.contains(#"linemaster_batch_write_seconds_bucket{worker="inserter 1",le="10.0"} 2"#))
        #expect(text.contains(#"linemaster_batch_write_seconds_bucket{worker="inserter 1",le="+Inf"} 3"#))
        #expect(text.contains(#"linemaster_batch_write_seconds_sum{worker="inserter 1"} 30.022"#))
        #expect(text.contains(#"linemaster_batch_write_seconds_count{worker="inserter 1"} 3"#))
    }

    @Test func httpAnswersAppearByEndpointAndCodeOnceCounted() throws {
        let ring = try CountingRing()
        let http = ring.worker("http 1", flags: ["http"])
        for _ in 0 ..< 3 { HTTPRequestCounters.count(status: 204, endpoint: "/write", in: http) }
        HTTPRequestCounters.count(status: 503, endpoint: "/write", in: http)
        let text = ring.text()
        #expect(text.contains(#"linemaster_http_requests_total{worker="http 1",endpoint="/write",code="204"} 3"#))
        #expect(text.contains(#"linemaster_http_requests_total{worker="http 1",endpoint="/write",code="503"} 1"#))
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("linemaster_http_requests_total{") }.count == 2)
    }

    @Test func rowsWithoutAPartitionAreTheirOwnReasonNotAlsoConstraintViolations() throws {
        let ring = try CountingRing()
        let inserter = ring.worker("inserter 1", flags: ["database"])
        inserter.add(10, to: .rowsRejected)
        inserter.add(2, to: .rowsRejectedConversion)
        inserter.add(7, to: .rowsRejectedConstraint)
        inserter.add(4, to: .rowsRejectedNoPartition)
        let text = ring.text()
        #expect(text.contains(#"linemaster_rows_rejected_total{worker="inserter 1",reason="conversion"} 2"#))
        #expect(text.contains(#"linemaster_rows_rejected_total{worker="inserter 1",reason="constraint"} 3"#))
        #expect(text.contains(#"linemaster_rows_rejected_total{worker="inserter 1",reason="no_partition"} 4"#))
        #expect(text.contains(#"linemaster_rows_rejected_total{worker="inserter 1",reason="other"} 1"#))
    }

    @Test func theDatabaseIsDownWhenARunningInserterFoundItUnavailableAndUnknownBeforeAnyAttempt() throws {
        let ring = try CountingRing()
        let first = ring.worker("inserter 1", flags: ["database"])
        let second = ring.worker("inserter 2", flags: ["database"])
        #expect(!ring.text().contains("\nlinemaster_database_up "))
        first.set(DatabaseState.reached.rawValue, .databaseState)
        #expect(ring.text().contains("\nlinemaster_database_up 1\n"))
        second.set(DatabaseState.unavailable.rawValue, .databaseState)
        #expect(ring.text().contains("\nlinemaster_database_up 0\n"))
    }

    @Test func keysDroppedAndRejectedLinesNotKeptAreCountedApartFromTheBalance() throws {
        let ring = try CountingRing()
        let listener = ring.worker("listener 1", flags: [])
        let inserter = ring.worker("inserter 1", flags: ["database"])
        listener.add(5, to: .rowsParsed)
        listener.add(3, to: .linesRejected)
        listener.add(2, to: .rejectedLinesNotKept)
        inserter.add(5, to: .rowsInserted)
        inserter.add(9, to: .keysDropped)
        let text = ring.text()
        #expect(text.contains(#"linemaster_keys_dropped_total{worker="inserter 1"} 9"#))
        #expect(text.contains(#"linemaster_rejected_lines_not_kept_total{worker="listener 1"} 2"#))
        let balance = Balance(MetricsSnapshot(workers: ring.workers, ring: RingStatus(ring.ring, workers: ring.workers), sockets: []))
        #expect(balance.received == 8 && balance.stored == 5 && balance.linesRejected == 3 && balance.addsUp)
    }
}
