/// What one case of one system measured.
struct CaseResult {
    /// CPU seconds the parts of linemaster used during a case.
    struct CPUUse {
        var listeners: [Double] = []
        var inserters = 0.0
        var backends = 0.0
    }

    let system: String
    let bench: BenchCase
    let load: LoadRun
    let stored: Int
    let distinct: Int
    /// From the first line sent until everything sent was stored.
    let seconds: Double
    /// Whether everything sent was seen stored (linemaster: the ring drained within its time).
    var drained = false
    /// The mean of the COPY just before and just after the case.
    var ceiling = 0
    /// Rows that differ from the ceiling's formulas, for the cases that check them.
    var differing: Int?
    // linemaster's own counters; nil for a peer.
    var kernelDrops: Int?
    var accepted: Int?
    var ringDrops: Int?
    var rowsPerBatch: Int?
    var cpu: CPUUse?
    /// The columns of the table linemaster made, as ``CaseTable/definition`` spells them (less
    /// the new fields' columns, which `growth` counts).
    var tableDefinition: String?
    var growth: GrowthCheck?

    init(system: String, bench: BenchCase, load: LoadRun, stored: Int, distinct: Int, seconds: Double) {
        (self.system, self.bench, self.load, self.stored, self.distinct, self.seconds) = (system, bench, load, stored, distinct, seconds)
    }

    var storedPerSecond: Double { seconds > 0 ? Double(stored) / seconds : 0 }
    var percentStored: Double { load.sent > 0 ? 100 * Double(stored) / Double(load.sent) : 0 }

    /// One line of progress: what was sent, stored, how fast, and against the ceiling.
    var summary: String {
        "   sent \(load.sent) (achieved \(load.achievedRate.map(String.init) ?? "?") lines/s), stored \(stored) (\(distinct) distinct) = "
            + "\(twoDecimals(percentStored))% in \(twoDecimals(seconds)) s = \(Int(storedPerSecond)) rows/s"
            + (kernelDrops.map { "; kernel drops \($0) datagrams" } ?? "") + (ringDrops.map { ", ring drops \($0)" } ?? "")
            + (load.latency.map { "; latency \($0)" } ?? "")
            + "; \(twoDecimals(storedPerSecond / Double(max(ceiling, 1)))) of the COPY around it (\(ceiling) rows/s)"
    }
}
