import Foundation
@testable import Metrics
import SharedRing
import Testing

/// etc/grafana-dashboard.json: loadable as is, and asking only for metrics linemaster exposes.
@Suite struct GrafanaDashboard {
    static let path: String = {
        let tests = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        return "/" + tests + "/etc/grafana-dashboard.json"
    }()

    static func dashboard() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func panels() throws -> [[String: Any]] { try #require(try dashboard()["panels"] as? [[String: Any]]) }

    /// The sample names of an exposition where every family has samples.
    static func exposedNames() throws -> Set<String> {
        let ring = try CountingRing()
        let http = ring.worker("http 1", flags: ["http"])
        let inserter = ring.worker("inserter 1", flags: ["database"])
        _ = ring.worker("listener 1", flags: [])
        HTTPRequestCounters.count(status: 204, endpoint: "/write", in: http)
        inserter.set(DatabaseState.reached.rawValue, .databaseState)
        let text = ring.text(sockets: [SocketDrops(worker: "listener", address: "udp://127.0.0.1:1", datagramsDropped: 0)])
        return Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.prefix { $0 != "{" && $0 != " " }) })
    }

    @Test func everyExpressionNamesOnlyMetricsTheExpositionHas() throws {
        let exposed = try Self.exposedNames()
        let expressions = try Self.panels().flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(expressions.count >= 10)
        let pattern = try NSRegularExpression(pattern: "linemaster_[a-z_]+")
        for expression in expressions {
            let names = pattern.matches(in: expression, range: NSRange(expression.startIndex..., in: expression))
                .map { String(expression[Range($0.range, in: expression)!]) }
            #expect(!names.isEmpty, "\(expression)")
            for name in names { #expect(exposed.contains(name), "\(name) in \(expression) is not exposed") }
        }
    }

    @Test func thePanelsTheIssueAsksForAreThereWithThePrometheusDatasourceAsAVariable() throws {
        let dashboard = try Self.dashboard()
        let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        #expect(variables.contains { $0["name"] as? String == "DS_PROMETHEUS" && $0["type"] as? String == "datasource" && $0["query"] as? String == "prometheus" })
        let panels = try Self.panels()
        #expect(Set(panels.compactMap { $0["id"] as? Int }).count == panels.count)
        for panel in panels {
            #expect((panel["datasource"] as? [String: String])?["uid"] == "${DS_PROMETHEUS}")
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                #expect((target["datasource"] as? [String: String])?["uid"] == "${DS_PROMETHEUS}")
            }
        }
        let exprs = panels.map { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String }.joined(separator: " ") }
        for wanted in ["linemaster_rows_stored_total", "linemaster_rows_rejected_total", "linemaster_ring_used_bytes",
                       "linemaster_batch_write_seconds_bucket", "linemaster_worker_restarts_total"] {
            #expect(exprs.contains { $0.contains(wanted) }, "no panel shows \(wanted)")
        }
    }
}
