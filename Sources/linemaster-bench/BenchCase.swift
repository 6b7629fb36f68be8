/// How a case offers its lines to the system measured.
enum Workload {
    /// `rate` lines/s (0: full speed) over UDP; segment offload: up to 64 datagrams per send.
    case udp(rate: Int, linesPerDatagram: Int, segmentOffload: Bool)
    /// Keep-alive HTTP/1.1 POSTs, as InfluxDB clients send them.
    case http(connections: Int, linesPerRequest: Int)

    var isHTTP: Bool { if case .http = self { true } else { false } }
}

/// One case of `e2e`, from its name in `--cases`.
struct BenchCase {
    static let names = ["100k", "200k", "300k", "400k", "full1", "full1mmsg", "full100", "full10", "typed", "typedgrow", "http"]
    /// Lines between two new fields in `typedgrow`: each makes linemaster add a column.
    static let linesPerNewField = 10_000
    /// The most lines of a paced case, whatever its rate and duration.
    static let pacedLinesCap = 2_000_000

    let name: String
    private(set) var label: String
    let workload: Workload
    let lines: Int
    private(set) var table = CaseTable.jsonb
    /// The load generator's `--new-field-every`, when the lines bring new fields.
    private(set) var newFieldEvery: Int?

    /// The cases of `list` in order; a name given more than once runs again, labelled with its run.
    static func parse(_ list: String, secondsPerCase: Int, fullLines: Int, httpLines: Int) throws -> [BenchCase] {
        let names = list.split(separator: " ").map(String.init)
        var runs: [String: Int] = [:]
        return try names.map { name in
            runs[name, default: 0] += 1
            let suffix = names.filter { $0 == name }.count > 1 ? ", run \(runs[name]!)" : ""
            guard var c = BenchCase(name: name, secondsPerCase: secondsPerCase, fullLines: fullLines, httpLines: httpLines) else {
                throw BenchmarkFailure("unknown case \(name) in --cases; the cases are \(Self.names.joined(separator: " "))")
            }
            c.label += suffix
            return c
        }
    }

    private init(name: String, label: String, workload: Workload, lines: Int) {
        (self.name, self.label, self.workload, self.lines) = (name, label, workload, lines)
    }

    private init?(name: String, secondsPerCase: Int, fullLines: Int, httpLines: Int) {
        switch name {
        case "100k", "200k", "300k", "400k":
            let rate = Int(name.dropLast())! * 1000
            self.init(name: name, label: "\(name) lines/s, 10 lines/datagram",
                      workload: .udp(rate: rate, linesPerDatagram: 10, segmentOffload: false),
                      lines: min(rate * secondsPerCase, Self.pacedLinesCap))
        case "full1":
            self.init(name: name, label: "full speed, 1 line/datagram",
                      workload: .udp(rate: 0, linesPerDatagram: 1, segmentOffload: true), lines: fullLines)
        case "full1mmsg":
            self.init(name: name, label: "full speed, 1 line/datagram, plain sendmmsg sender",
                      workload: .udp(rate: 0, linesPerDatagram: 1, segmentOffload: false), lines: fullLines)
        case "full100":
            self.init(name: name, label: "full speed, 100 lines/datagram (diagnostic)",
                      workload: .udp(rate: 0, linesPerDatagram: 100, segmentOffload: false), lines: fullLines)
        case "full10":
            self.init(name: name, label: "full speed, 10 lines/datagram",
                      workload: .udp(rate: 0, linesPerDatagram: 10, segmentOffload: true), lines: fullLines)
        case "typed":
            self.init(name: name, label: "full speed, 10 lines/datagram, typed table",
                      workload: .udp(rate: 0, linesPerDatagram: 10, segmentOffload: true), lines: fullLines)
            table = .typed
        case "typedgrow":
            self.init(name: name, label: "full speed, 10 lines/datagram, typed table, a new field every \(Self.linesPerNewField) lines",
                      workload: .udp(rate: 0, linesPerDatagram: 10, segmentOffload: true), lines: fullLines)
            (table, newFieldEvery) = (.typed, Self.linesPerNewField)
        case "http":
            self.init(name: name, label: "HTTP, 4 connections x 5,000 lines/request",
                      workload: .http(connections: 4, linesPerRequest: 5000), lines: httpLines)
        default:
            return nil
        }
    }

    /// Whether every stored row is checked against the ceiling's formulas (the unpaced cases).
    var checksRows: Bool {
        if case .udp(let rate, _, _) = workload { rate == 0 } else { true }
    }
}
