import Metrics

extension StatusReport {
    /// `status --prometheus`: the counters in the text exposition format (``PrometheusText``).
    public func prometheus() -> String {
        PrometheusText.render(metrics)
    }

    var metrics: MetricsSnapshot {
        let workers = self.workers.map { w in
            MetricsSnapshot.Worker(name: w.name, up: w.state == .running, restarts: w.restarts,
                                   role: Self.role(flags: w.flags), counters: self.ring?.workerCounters[w.statSlot]?.values)
        }
        let ring = self.ring.map { r in
            MetricsSnapshot.Ring(rows: r.counters.rowsIn > r.counters.rowsOut ? r.counters.rowsIn - r.counters.rowsOut : 0, usedBytes: r.counters.bytesUsed, sizeBytes: r.counters.capacity)
        }
        return MetricsSnapshot(workers: workers, ring: ring,
                               sockets: sockets.map { .init(worker: $0.worker, datagramsDropped: $0.datagramsDropped) })
    }

    /// What a worker counts, by the flags it was given: `database` workers store rows, `http`
    /// ones receive over HTTP, other shared-memory workers are taken for UDP listeners.
    static func role(flags: [String]) -> MetricsSnapshot.Role {
        if flags.contains(WorkerFlag.database.rawValue) { return .inserter }
        if flags.contains(WorkerFlag.http.rawValue) { return .receiver(protocol: "http") }
        if flags.contains(WorkerFlag.sharedMemory.rawValue) { return .receiver(protocol: "udp") }
        return .other
    }
}
