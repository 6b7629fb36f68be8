import SharedRing

/// Renders a ``MetricsSnapshot`` in the Prometheus text exposition format 0.0.4, as
/// node_exporter's textfile collector and a scrape of `/metrics` read it.
///
/// Labels carry bounded values only (worker, protocol, reason): never a measurement, a tag or a
/// client's address, whose number has no bound. Once the ring is empty,
/// `lines_received = rows_stored + lines_rejected + rows_rejected + rows_dropped + rows_skipped`.
public enum PrometheusText {
    /// The content type of a scrape's answer.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ snapshot: MetricsSnapshot) -> String {
        families(snapshot).map(\.text).joined()
    }

    static func families(_ s: MetricsSnapshot) -> [Family] {
        let receivers = s.workers.compactMap { w -> (MetricsSnapshot.Worker, String, [UInt64])? in
            guard case .receiver(let proto) = w.role, let c = w.counters else { return nil }
            return (w, proto, c)
        }
        let inserters = s.workers.compactMap { w in w.role == .inserter ? w.counters.map { (w, $0) } : nil }
        var drops: [(String, UInt64)] = []
        for socket in s.sockets {
            if let i = drops.firstIndex(where: { $0.0 == socket.worker }) { drops[i].1 += socket.datagramsDropped } else { drops.append((socket.worker, socket.datagramsDropped)) }
        }
        return [
            Family("lines_received_total", .counter, "Lines that reached a receiving worker, good or bad.", receivers.map { w, p, c in
                Sample(["worker": w.name, "protocol": p], c[.rowsParsed] + c[.linesRejected]) }),
            Family("lines_rejected_total", .counter, "Lines the parser rejected, kept in the rejects table or not.", receivers.map { w, _, c in
                Sample(["worker": w.name, "reason": "parse"], c[.linesRejected]) }),
            Family("datagrams_dropped_total", .counter, "Datagrams the kernel dropped at a full socket of the worker definition.", drops.map { worker, n in
                Sample(["worker": worker, "reason": "socket_overflow"], n) }),
            Family("rows_dropped_total", .counter, "Parsed rows dropped before the ring.", receivers.map { w, _, c in
                Sample(["worker": w.name, "reason": "ring_full"], c[.rowsDropped]) }),
            Family("rows_stored_total", .counter, "Rows committed into their tables.", inserters.map { w, c in
                Sample(["worker": w.name], c[.rowsInserted]) }),
            Family("rows_rejected_total", .counter, "Rows PostgreSQL refused, kept in the rejects table.", inserters.flatMap { w, c in
                let other = c[.rowsRejected] - min(c[.rowsRejected], c[.rowsRejectedConversion] + c[.rowsRejectedConstraint])
                return [Sample(["worker": w.name, "reason": "conversion"], c[.rowsRejectedConversion]),
                        Sample(["worker": w.name, "reason": "constraint"], c[.rowsRejectedConstraint]),
                        Sample(["worker": w.name, "reason": "other"], other)] }),
            Family("rows_skipped_total", .counter, "Rows of measurements without a table while create_tables is skip.", inserters.map { w, c in
                Sample(["worker": w.name], c[.rowsSkipped]) }),
            Family("bytes_received_total", .counter, "Bytes of line protocol received (request bodies after decompression).", receivers.map { w, p, c in
                Sample(["worker": w.name, "protocol": p], c[.bytesReceived]) }),
            Family("ring_rows", .gauge, "Records in the ring, published and not yet released.", s.ring.map { [Sample([:], $0.rows)] } ?? []),
            Family("ring_used_bytes", .gauge, "Bytes of the ring in use.", s.ring.map { [Sample([:], UInt64($0.usedBytes))] } ?? []),
            Family("ring_size_bytes", .gauge, "Size of the ring's data area.", s.ring.map { [Sample([:], UInt64($0.sizeBytes))] } ?? []),
            Family("worker_up", .gauge, "1 while the worker instance runs.", s.workers.map { Sample(["worker": $0.name], $0.up ? 1 : 0) }),
            Family("worker_restarts_total", .counter, "Restarts of the worker instance by the supervisor.", s.workers.map {
                Sample(["worker": $0.name], UInt64($0.restarts)) }),
        ]
    }

    enum Kind: String { case counter, gauge }

    /// One metric family: `# HELP`, `# TYPE` and its samples. Names get the `linemaster_` prefix.
    struct Family {
        let name: String, kind: Kind, help: String, samples: [Sample]

        init(_ name: String, _ kind: Kind, _ help: String, _ samples: [Sample]) {
            self.name = "linemaster_" + name
            self.kind = kind
            self.help = help
            self.samples = samples
        }

        var text: String {
            "# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n" + samples.map { "\(name)\($0.labelText) \($0.value)\n" }.joined()
        }
    }

    struct Sample {
        let labels: [(String, String)]
        let value: UInt64

        /// Labels in the order given: worker first.
        init(_ labels: KeyValuePairs<String, String>, _ value: UInt64) {
            self.labels = labels.map { ($0.key, $0.value) }
            self.value = value
        }

        var labelText: String {
            labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(escaped($0.1))\"" }.joined(separator: ",") + "}"
        }
    }

    /// A label value as the format wants it: backslash, double quote and line feed escaped.
    static func escaped(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }
}

extension [UInt64] {
    subscript(counter: WorkerCounter) -> UInt64 { counter.index < count ? self[counter.index] : 0 }
}
