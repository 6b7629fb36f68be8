@testable import Metrics
import SharedRing
import Testing

@Suite struct PrometheusTextTests {
    @Test func everyFamilyHasHelpAndTypeBeforeItsSamples() {
        let text = PrometheusText.render(MetricsSnapshot(workers: [], ring: nil, sockets: []))
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2 * PrometheusText.families(MetricsSnapshot(workers: [], ring: nil, sockets: [])).count)
        #expect(lines.first == "# HELP linemaster_lines_received_total Lines that reached a receiving worker, good or bad.")
        #expect(lines.dropFirst().first == "# TYPE linemaster_lines_received_total counter")
    }

    @Test func labelValuesAreEscaped() {
        let worker = MetricsSnapshot.Worker(name: "a\"b\\c\nd", up: true, restarts: 2, role: .other, counters: nil)
        let text = PrometheusText.render(MetricsSnapshot(workers: [worker], ring: nil, sockets: []))
        #expect(text.contains(#"linemaster_worker_restarts_total{worker="a\"b\\c\nd"} 2"#))
    }

    @Test func kernelDropsAreSummedPerDefinitionOverItsSockets() {
        let sockets = [MetricsSnapshot.Socket(worker: "listener", datagramsDropped: 3), .init(worker: "listener", datagramsDropped: 4)]
        let text = PrometheusText.render(MetricsSnapshot(workers: [], ring: nil, sockets: sockets))
        #expect(text.contains(#"linemaster_datagrams_dropped_total{worker="listener",reason="socket_overflow"} 7"#))
    }
}
