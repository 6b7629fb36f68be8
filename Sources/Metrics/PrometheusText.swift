import SharedRing

/// Renders a ``MetricsSnapshot`` in the Prometheus text exposition format 0.0.4, as
/// node_exporter's textfile collector and a scrape of `/metrics` read it.
///
/// Labels carry bounded values only (worker, protocol, reason, endpoint, code): never a
/// measurement, a tag or a client's address, whose number has no bound. Once the ring is empty,
/// `lines_received = rows_stored + lines_rejected + rows_rejected + rows_dropped + rows_skipped`.
public enum PrometheusText {
    /// The content type of a scrape's answer.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ snapshot: MetricsSnapshot) -> String {
        families(snapshot).map(\.text).joined()
    }

    static func families(_ s: MetricsSnapshot) -> [Family] {
        let receivers = s.workers.compactMap { w -> (String, String, WorkerCounters)? in
            guard case .receiver(let proto) = MetricsSnapshot.role(of: w), let c = s.counters(of: w) else { return nil }
            return (w.name, proto, c)
        }
        let http = receivers.filter { $0.1 == "http" }
        let inserters = s.workers.compactMap { w in MetricsSnapshot.role(of: w) == .inserter ? s.counters(of: w).map { (w, $0) } : nil }
        return [
            Family("lines_received_total", .counter, "Lines that reached a receiving worker, good or bad.", receivers.map { w, p, c in
                Sample(["worker": w, "protocol": p], c[.rowsParsed] + c[.linesRejected]) }),
            Family("lines_rejected_total", .counter, "Lines the parser rejected, kept in the rejects table or not.", receivers.map { w, _, c in
                Sample(["worker": w, "reason": "parse"], c[.linesRejected]) }),
            Family("rejected_lines_not_kept_total", .counter,
                   "Of lines_rejected, lines not kept in the rejects table (over its rate limit, or the ring over half full).",
                   receivers.map { w, _, c in Sample(["worker": w], c[.rejectedLinesNotKept]) }),
            Family("datagrams_dropped_total", .counter, "Datagrams the kernel dropped at a full socket of the worker definition.",
                   socketDrops(s).map { worker, n in Sample(["worker": worker, "reason": "socket_overflow"], n) }),
            Family("rows_dropped_total", .counter, "Parsed rows dropped before the ring.", receivers.map { w, _, c in
                Sample(["worker": w, "reason": "ring_full"], c[.rowsDropped]) }),
            Family("rows_stored_total", .counter, "Rows committed into their tables.", inserters.map { w, c in
                Sample(["worker": w.name], c[.rowsInserted]) }),
            Family("rows_rejected_total", .counter, "Rows PostgreSQL refused, kept in the rejects table.", inserters.flatMap { w, c in
                rejectedRows(w.name, c) }),
            Family("rows_skipped_total", .counter, "Rows of measurements without a table while create_tables is skip.", inserters.map { w, c in
                Sample(["worker": w.name], c[.rowsSkipped]) }),
            Family("keys_dropped_total", .counter,
                   "Tag or field keys of stored rows that found no column (and no _tags or _fields column): stored without them.",
                   inserters.map { w, c in Sample(["worker": w.name], c[.keysDropped]) }),
            Family("bytes_received_total", .counter, "Bytes of line protocol received (request bodies after decompression).", receivers.map { w, p, c in
                Sample(["worker": w, "protocol": p], c[.bytesReceived]) }),
            Family("http_requests_total", .counter, "Requests the HTTP worker answered, by endpoint and status code (0: any other).",
                   http.flatMap { w, _, c in httpRequests(w, c) }),
            Family("batch_write_seconds", .histogram, "Time of one batch's transaction, BEGIN to COMMIT.",
                   inserters.flatMap { w, c in batchWrites(w.name, c) }),
            Family("database_up", .gauge, """
                1 when the last write attempt of every running inserter reached PostgreSQL (a commit, or an error about rows \
                or a table), 0 when one found it unavailable (no connection, SQLSTATE class 08, 53, 57P0x); absent before any attempt.
                """, databaseUp(s, inserters).map { [Sample([:], $0)] } ?? []),
            Family("ring_rows", .gauge, "Records in the ring, published and not yet released.", s.ring.map { [Sample([:], $0.records)] } ?? []),
            Family("ring_used_bytes", .gauge, "Bytes of the ring in use.", s.ring.map { [Sample([:], UInt64($0.counters.bytesUsed))] } ?? []),
            Family("ring_size_bytes", .gauge, "Size of the ring's data area.", s.ring.map { [Sample([:], UInt64($0.counters.capacity))] } ?? []),
            Family("worker_up", .gauge, "1 while the worker instance runs.", s.workers.map { Sample(["worker": $0.name], $0.state == .running ? 1 : 0) }),
            Family("worker_restarts_total", .counter, "Restarts of the worker instance by the supervisor.", s.workers.map {
                Sample(["worker": $0.name], UInt64($0.restarts)) }),
        ]
    }

    /// Kernel drops per definition, summed over its sockets.
    private static func socketDrops(_ s: MetricsSnapshot) -> [(String, UInt64)] {
        var drops: [(String, UInt64)] = []
        for socket in s.sockets {
            if let i = drops.firstIndex(where: { $0.0 == socket.worker }) { drops[i].1 += socket.datagramsDropped } else { drops.append((socket.worker, socket.datagramsDropped)) }
        }
        return drops
    }

    /// By reason, disjoint: no partition is a constraint violation (class 23) counted apart.
    private static func rejectedRows(_ worker: String, _ c: WorkerCounters) -> [Sample] {
        let constraint = c[.rowsRejectedConstraint] - min(c[.rowsRejectedConstraint], c[.rowsRejectedNoPartition])
        let other = c[.rowsRejected] - min(c[.rowsRejected], c[.rowsRejectedConversion] + c[.rowsRejectedConstraint])
        return [Sample(["worker": worker, "reason": "conversion"], c[.rowsRejectedConversion]),
                Sample(["worker": worker, "reason": "constraint"], constraint),
                Sample(["worker": worker, "reason": "no_partition"], c[.rowsRejectedNoPartition]),
                Sample(["worker": worker, "reason": "other"], other)]
    }

    /// The pairs of endpoint and code that were answered at least once (the others would be
    /// a hundred lines of zeros per worker).
    private static func httpRequests(_ worker: String, _ c: WorkerCounters) -> [Sample] {
        HTTPRequestCounters.endpoints.indices.flatMap { e in
            HTTPRequestCounters.codes.indices.compactMap { code in
                let n = c[HTTPRequestCounters.counter(endpoint: e, code: code)]
                return n == 0 ? nil : Sample(["worker": worker, "endpoint": HTTPRequestCounters.endpoints[e],
                                              "code": String(HTTPRequestCounters.codes[code])], n)
            }
        }
    }

    /// Cumulative buckets, `_sum` in seconds and `_count`, from the slot's per-bucket counts.
    private static func batchWrites(_ worker: String, _ c: WorkerCounters) -> [Sample] {
        var cumulative: UInt64 = 0
        var samples = BatchWriteHistogram.bounds.indices.map { i in
            cumulative += c[BatchWriteHistogram.bucket(i)]
            return Sample(["worker": worker, "le": String(BatchWriteHistogram.bounds[i])], cumulative, suffix: "_bucket")
        }
        cumulative += c[BatchWriteHistogram.bucket(BatchWriteHistogram.bounds.count)]
        samples.append(Sample(["worker": worker, "le": "+Inf"], cumulative, suffix: "_bucket"))
        samples.append(Sample(["worker": worker], text: String(Double(c[BatchWriteHistogram.sum]) / 1e9), suffix: "_sum"))
        samples.append(Sample(["worker": worker], cumulative, suffix: "_count"))
        return samples
    }

    private static func databaseUp(_ s: MetricsSnapshot, _ inserters: [(WorkerStatus, WorkerCounters)]) -> UInt64? {
        let states = inserters.filter { $0.0.state == .running }.map { DatabaseState(rawValue: $0.1[.databaseState]) ?? .unknown }
        if states.contains(.unavailable) { return 0 }
        return states.contains(.reached) ? 1 : nil
    }

    enum Kind: String { case counter, gauge, histogram }

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
            "# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n"
                + samples.map { "\(name)\($0.suffix)\($0.labelText) \($0.value)\n" }.joined()
        }
    }

    struct Sample {
        let labels: [(String, String)]
        let value: String
        /// `_bucket`, `_sum`, `_count` for a histogram's samples.
        let suffix: String

        /// Labels in the order given: worker first.
        init(_ labels: KeyValuePairs<String, String>, _ value: UInt64, suffix: String = "") {
            self.init(labels, text: String(value), suffix: suffix)
        }

        init(_ labels: KeyValuePairs<String, String>, text: String, suffix: String = "") {
            self.labels = labels.map { ($0.key, $0.value) }
            value = text
            self.suffix = suffix
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
