import Metrics
import SharedRing
import SystemCalls

/// `linemaster status`: the supervisor and its workers, as a table, as JSON or as Prometheus text.
public struct StatusReport: Sendable {
    public var supervisor: PidFile.Contents
    /// The workers, the counters in shared memory and the socket drops, as `/metrics` reads them.
    public var snapshot: MetricsSnapshot

    var workers: [WorkerStatus] { snapshot.workers }
    var ring: RingStatus? { snapshot.ring }
    var sockets: [SocketDrops] { snapshot.sockets }

    /// Reads the status of the supervisor running on `dataDirectory`. The ring is mapped
    /// read-only, so that a supervisor starting meanwhile may recover it, and never created.
    public static func read(dataDirectory: String) throws(SupervisorError) -> StatusReport {
        let supervisor = try SupervisorControl.running(dataDirectory: dataDirectory)
        let ring = try? SharedRing.open(name: supervisor.sharedMemoryName, access: .readOnly)
        return StatusReport(supervisor: supervisor,
                            snapshot: .read(dataDirectory: dataDirectory, supervisorPid: supervisor.pid, ring: ring))
    }

    /// What the worker's process title says it is doing (`COPY cpu 5000 rows`, `waiting for
    /// database: ...`), read from /proc; nil when it shows nothing beyond its name.
    public func activity(of worker: WorkerStatus) -> String? {
        guard let pid = worker.pid, let cmdline = readTextFile("/proc/\(pid)/cmdline") else { return nil }
        let title = cmdline.split(separator: "\0").joined(separator: " ")
        let prefix = "linemaster: \(worker.name) "
        return title.hasPrefix(prefix) ? String(title.dropFirst(prefix.count)) : nil
    }

    /// Whether any worker is marked failed (status then exits non-zero).
    public var hasFailedWorker: Bool { workers.contains { $0.state == .failed } }

    public func text() -> String {
        var lines = ["linemaster (pid \(supervisor.pid)) \(supervisor.status), data directory \(supervisor.dataDirectory)", ""]
        let rows = [["NAME", "PID", "STATE", "UPTIME", "RESTARTS", "LAST EXIT", "ACTIVITY"]] + workers.map { w in
            [w.name, w.pid.map(String.init) ?? "-", w.state.rawValue, w.uptime.map(formatUptime) ?? "-",
             String(w.restarts), w.lastExit ?? "-", activity(of: w) ?? ""]
        }
        let widths = (0..<7).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append(zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }
                .joined(separator: "  ").trimmingSuffix())
        }
        if let ring {
            let c = ring.counters
            lines += ["", "ring: \(c.capacity) bytes, \(c.bytesUsed) used, rows in \(c.rowsIn), out \(c.rowsOut), dropped \(c.rowsDropped)"]
            for w in workers {
                guard let counters = snapshot.counters(of: w) else { continue }
                let nonzero = counters.named.filter { $0.1 > 0 }.map { "\($0.0.replacingUnderscores) \($0.1)" }
                if !nonzero.isEmpty { lines.append("  \(w.name): " + nonzero.joined(separator: ", ")) }
            }
        }
        if ring != nil { lines.append(Balance(snapshot).text) }
        for socket in sockets {
            lines.append("socket \(socket.address) (\(socket.worker)): \(socket.datagramsDropped) datagrams dropped by the kernel (socket overflow)")
        }
        return lines.joined(separator: "\n")
    }

    /// `status --prometheus`: the text a scrape of `/metrics` answers (``PrometheusText``).
    public func prometheus() -> String { PrometheusText.render(snapshot) }

    public func json() -> String {
        let workerObjects = workers.map { w in
            JSONObject([
                ("name", .string(w.name)), ("pid", w.pid.map { .number(Double($0)) } ?? .null),
                ("state", .string(w.state.rawValue)), ("uptime", w.uptime.map { .number(($0 * 1000).rounded() / 1000) } ?? .null),
                ("restarts", .number(Double(w.restarts))), ("last_exit", w.lastExit.map { .string($0) } ?? .null),
                ("flags", .array(w.flags.map { .string($0) })), ("activity", activity(of: w).map { .string($0) } ?? .null),
            ] + (snapshot.counters(of: w)?.named.map { ($0.0, JSONValue.number(Double($0.1))) } ?? []))
        }
        let root = JSONObject([
            ("supervisor", .object(JSONObject([
                ("pid", .number(Double(supervisor.pid))), ("status", .string(supervisor.status)),
                ("data_directory", .string(supervisor.dataDirectory)), ("config", .string(supervisor.configPath)),
            ]))),
            ("workers", .array(workerObjects.map { .object($0) })),
            ("balance", ring == nil ? .null : Balance(snapshot).json),
            ("sockets", .array(sockets.map { socket in .object(JSONObject([
                ("worker", .string(socket.worker)), ("address", .string(socket.address)),
                ("datagrams_dropped", .object(JSONObject([("socket_overflow", .number(Double(socket.datagramsDropped)))]))),
            ])) })),
        ] + (ring.map { [("ring", .object(JSONObject([
            ("size", .number(Double($0.counters.capacity))), ("used_bytes", .number(Double($0.counters.bytesUsed))),
            ("rows_in", .number(Double($0.counters.rowsIn))), ("rows_out", .number(Double($0.counters.rowsOut))),
            ("dropped", .number(Double($0.counters.rowsDropped))),
        ])))] } ?? []))
        return JSONValue.object(root).rendered
    }
}

func formatUptime(_ seconds: Double) -> String {
    let s = Int(seconds)
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m\(s % 60)s" }
    if s < 86400 { return "\(s / 3600)h\(s % 3600 / 60)m" }
    return "\(s / 86400)d\(s % 86400 / 3600)h"
}

extension String {
    var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }

    func trimmingSuffix() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
