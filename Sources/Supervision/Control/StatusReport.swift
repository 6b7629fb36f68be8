/// `linemaster status`: the supervisor and its workers, as a table or as JSON.
public struct StatusReport: Sendable {
    public var supervisor: PidFile.Contents
    public var workers: [WorkerStatus]

    /// Reads the status of the supervisor running on `dataDirectory`.
    public static func read(dataDirectory: String) throws(SupervisorError) -> StatusReport {
        let supervisor = try SupervisorControl.running(dataDirectory: dataDirectory)
        let workers = StatusFile.read(dataDirectory: dataDirectory, wallClockNow: wallClockSeconds()) ?? []
        return StatusReport(supervisor: supervisor, workers: workers)
    }

    /// Whether any worker is marked failed (status then exits non-zero).
    public var hasFailedWorker: Bool { workers.contains { $0.state == .failed } }

    public func text() -> String {
        var lines = ["linemaster (pid \(supervisor.pid)) \(supervisor.status), data directory \(supervisor.dataDirectory)", ""]
        let rows = [["NAME", "PID", "STATE", "UPTIME", "RESTARTS", "LAST EXIT"]] + workers.map { w in
            [w.name, w.pid.map(String.init) ?? "-", w.state.rawValue, w.uptime.map(formatUptime) ?? "-",
             String(w.restarts), w.lastExit ?? "-"]
        }
        let widths = (0..<6).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append(zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }
                .joined(separator: "  ").trimmingSuffix())
        }
        return lines.joined(separator: "\n")
    }

    public func json() -> String {
        let workerObjects = workers.map { w in
            JSONObject([
                ("name", .string(w.name)), ("pid", w.pid.map { .number(Double($0)) } ?? .null),
                ("state", .string(w.state.rawValue)), ("uptime", w.uptime.map { .number(($0 * 1000).rounded() / 1000) } ?? .null),
                ("restarts", .number(Double(w.restarts))), ("last_exit", w.lastExit.map { .string($0) } ?? .null),
                ("flags", .array(w.flags.map { .string($0) })),
            ])
        }
        let root = JSONObject([
            ("supervisor", .object(JSONObject([
                ("pid", .number(Double(supervisor.pid))), ("status", .string(supervisor.status)),
                ("data_directory", .string(supervisor.dataDirectory)), ("config", .string(supervisor.configPath)),
            ]))),
            ("workers", .array(workerObjects.map { .object($0) })),
        ])
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
    func trimmingSuffix() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
