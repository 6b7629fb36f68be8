/// Turns the TOML tables of a configuration file into a `LinemasterConfig`, collecting every
/// problem on the way instead of stopping at the first, so that one run of `check-config`
/// shows everything to fix.
struct ConfigDecoder {
    let path: String
    private(set) var problems: [ConfigProblem] = []
    /// Where each `listen` address was written, to point at the second of two workers naming it.
    var listenLines: [ListenAddress: Int] = [:]

    init(path: String) { self.path = path }

    mutating func report(line: Int, _ reason: String) {
        problems.append(ConfigProblem(file: path, line: line, reason: reason))
    }

    mutating func decode(_ root: TOMLTable) -> LinemasterConfig {
        var config = LinemasterConfig(path: path, workers: [])
        if root.entries.isEmpty {
            report(line: 0, "the file has no settings: add a [supervisor] section or [[worker]] sections")
        }
        for entry in root.entries {
            switch entry.key {
            case "supervisor": if let table = section(entry) { config.supervisor = decodeSupervisor(table) }
            case "ring": if let table = section(entry) { config.ring = decodeRing(table) }
            case "database": if let table = section(entry) { config.database = decodeDatabase(table) }
            case "http": if let table = section(entry) { config.http = decodeHTTP(table) }
            case "worker": config.workers = decodeWorkers(entry)
            default: reportUnknown(entry, in: nil, known: ["supervisor", "ring", "database", "http", "worker"])
            }
        }
        return config
    }

    /// The table of a `[name]` section, or nil (reported) when the key holds something else.
    private mutating func section(_ entry: TOMLTable.Entry) -> TOMLTable? {
        guard case .table(let table) = entry.value.kind else {
            report(line: entry.line, "\(entry.key) must be a section: write [\(entry.key)] on a line of its own")
            return nil
        }
        return table
    }

    /// Reports a key that the section does not know, with a hint when it looks like a typo.
    mutating func reportUnknown(_ entry: TOMLTable.Entry, in section: String?, known: [String]) {
        let hint = closestWord(to: entry.key, among: known).map { "; did you mean \($0)?" } ?? ""
        let name = displayKey([entry.key])
        let what = switch entry.value.kind {
        case .table where section == nil: "unknown section [\(name)]"
        case .array(let items) where section == nil && !items.isEmpty && items.allSatisfy(\.isTable):
            "unknown section [[\(name)]]"
        default: section.map { "unknown key \(name) in \($0)" } ?? "unknown key \(name)"
        }
        report(line: entry.line, what + hint)
    }
}

extension TOMLValue {
    var isTable: Bool {
        if case .table = kind { true } else { false }
    }
}
