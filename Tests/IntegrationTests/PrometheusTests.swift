import Foundation
import Testing

/// `linemaster status --prometheus`, read with a real Prometheus parser (python
/// `prometheus_client`, installed by `scripts/install-deps --test`).
@Suite struct PrometheusExposition {
    /// Every sample as `NAME{"label":"value",...}` (labels sorted) to its value, and every
    /// family's type as `type:NAME` (the parser names a counter's family without `_total`).
    static func parse(_ exposition: String) throws -> [String: Any] {
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                out["type:" + family.name] = family.type
                for s in family.samples:
                    out[s.name + json.dumps(dict(sorted(s.labels.items())), separators=(",", ":"))] = s.value
            print(json.dumps(out))
            """
        let run = Binaries.runProgram("/usr/bin/env", ["python3", "-c", script], stdin: exposition)
        guard run.status == 0, let parsed = try? JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any] else {
            throw ParseFailed(output: run.output)
        }
        return parsed
    }

    struct ParseFailed: Error { let output: String }

    @Test func theCountersOfAPipelineParseAndAddUpOnceTheRingIsEmpty() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Pipeline.config(port: port, database: database))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter"])
        try supervisor.waitForListeners(["listener"])
        let datagram = "cpu,host=a usage=1 1\ncpu usage=12x 2\ncpu,host=b usage=2 3\n"
        UDPSender(port: port).send(datagram)
        try waitUntil("the rows are stored and the ring is empty") {
            let ring = supervisor.ring()
            return supervisor.status()["inserter"]?["rows_inserted"] == "2" && ring["rows_out"] == "3" && ring["used_bytes"] == "0"
        }
        let output = supervisor.control(["status", "-D", supervisor.dataDirectory, "--prometheus"])
        #expect(output.status == 0)
        let m = try Self.parse(output.output)
        func value(_ sample: String) -> Double? { m[sample] as? Double }

        #expect(value(#"linemaster_lines_received_total{"protocol":"udp","worker":"listener"}"#) == 3)
        #expect(value(#"linemaster_lines_rejected_total{"reason":"parse","worker":"listener"}"#) == 1)
        #expect(value(#"linemaster_rows_dropped_total{"reason":"ring_full","worker":"listener"}"#) == 0)
        #expect(value(#"linemaster_bytes_received_total{"protocol":"udp","worker":"listener"}"#) == Double(datagram.utf8.count))
        #expect(value(#"linemaster_datagrams_dropped_total{"reason":"socket_overflow","worker":"listener"}"#) == 0)
        #expect(value(#"linemaster_rows_stored_total{"worker":"inserter"}"#) == 2)
        #expect(value(#"linemaster_rows_skipped_total{"worker":"inserter"}"#) == 0)
        #expect(value(#"linemaster_ring_rows{}"#) == 0)
        #expect(value(#"linemaster_ring_size_bytes{}"#) == Double(supervisor.ring()["size"]!))
        #expect(value(#"linemaster_worker_up{"worker":"inserter"}"#) == 1)
        #expect(value(#"linemaster_worker_restarts_total{"worker":"listener"}"#) == 0)
        #expect(m["type:linemaster_rows_stored"] as? String == "counter")
        #expect(m["type:linemaster_ring_used_bytes"] as? String == "gauge")

        let rejected = ["conversion", "constraint", "other"].compactMap { value(#"linemaster_rows_rejected_total{"reason":"\#($0)","worker":"inserter"}"#) }
        #expect(rejected == [0, 0, 0])
        let accounted = value(#"linemaster_rows_stored_total{"worker":"inserter"}"#)! + value(#"linemaster_lines_rejected_total{"reason":"parse","worker":"listener"}"#)!
            + rejected.reduce(0, +) + value(#"linemaster_rows_dropped_total{"reason":"ring_full","worker":"listener"}"#)!
            + value(#"linemaster_rows_skipped_total{"worker":"inserter"}"#)!
        #expect(accounted == value(#"linemaster_lines_received_total{"protocol":"udp","worker":"listener"}"#))

        let text = supervisor.control(["status", "-D", supervisor.dataDirectory]).output
        #expect(text.contains("balance: received 3 = stored 2 + lines rejected 1 + rows rejected 0 + dropped 0 + skipped 0 + parked 0 + in the ring 0: adds up"), "\(text)")
        let json = supervisor.control(["status", "-D", supervisor.dataDirectory, "--json"]).output
        let root = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let balance = try #require(root?["balance"] as? [String: Any])
        #expect(balance["received"] as? Int == 3 && balance["stored"] as? Int == 2 && balance["lines_rejected"] as? Int == 1)
        #expect(balance["in_ring"] as? Int == 0 && balance["adds_up"] as? Bool == true)
    }
}
