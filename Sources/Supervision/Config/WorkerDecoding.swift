// The [[worker]] sections and the rules that tie their keys together.
extension ConfigDecoder {
    /// Most workers come in ones; a thousand instances is a typo, not a deployment.
    static let maximumCount = 1000

    /// Far more than any socket needs, and below the kernel's own limit (half of INT_MAX); a typo
    /// guard (`net.core.rmem_max` caps it unless root).
    static let receiveBufferSizes = 4096...(512 << 20)

    mutating func decodeWorkers(_ entry: TOMLTable.Entry) -> [WorkerSpec] {
        guard case .array(let items) = entry.value.kind else {
            report(line: entry.line, "worker must be written [[worker]] (one section per worker), not [worker]")
            return []
        }
        var workers: [WorkerSpec] = []
        var nameLines: [String: Int] = [:]
        var listeners: [ListenAddress: String] = [:]
        for item in items {
            guard case .table(let table) = item.kind else {
                report(line: item.line, "each worker must be a table, not \(item.typeDescription)")
                continue
            }
            guard let (worker, nameLine) = decodeWorker(table, line: item.line) else { continue }
            if let firstLine = nameLines[worker.name] {
                report(line: nameLine, "duplicate worker name \"\(worker.name)\": already used on line \(firstLine)")
            }
            nameLines[worker.name] = nameLines[worker.name] ?? nameLine
            for address in worker.listen {
                // One socket, one definition: its instances share it, two definitions could not.
                if let owner = listeners[address] {
                    report(line: listenLines[address] ?? nameLine, "\(address) is in listen of worker \"\(owner)\" already")
                }
                listeners[address] = listeners[address] ?? worker.name
            }
            workers.append(worker)
        }
        return workers
    }

    /// One worker, or nil when it has no valid name (reported). A worker without an executable
    /// is returned all the same, so that its name is still checked against the others.
    private mutating func decodeWorker(_ table: TOMLTable, line: Int) -> (WorkerSpec, nameLine: Int)? {
        var worker = WorkerSpec(name: "", executable: "")
        var name: (text: String, line: Int)?
        var executable: String?
        var flagsLine = line
        var startLine: Int?
        var startIsValid = true
        for entry in table.entries {
            switch entry.key {
            case "name": name = workerName(entry).map { ($0, entry.value.line) }
            case "executable": executable = workerExecutable(entry)
            case "args": worker.args = strings(entry)?.map(\.text) ?? []
            case "flags": (worker.flags, flagsLine) = (workerFlags(entry), entry.value.line)
            case "start":
                startLine = entry.value.line
                if let start = startCondition(entry) { worker.start = start } else { startIsValid = false }
            case "restart": worker.restart = restartPolicy(entry) ?? worker.restart
            case "count": worker.count = integer(entry, in: 1...Self.maximumCount) ?? worker.count
            case "listen": worker.listen = listenAddresses(entry)
            case "receive_buffer": worker.receiveBuffer = byteSize(entry, in: Self.receiveBufferSizes) ?? worker.receiveBuffer
            default:
                reportUnknown(entry, in: "[[worker]]", known: [
                    "name", "executable", "args", "flags", "start", "restart", "count", "listen", "receive_buffer",
                ])
            }
        }
        if startIsValid { checkDatabaseFlag(worker, flagsLine: flagsLine, startLine: startLine) }
        if name == nil && table["name"] == nil { report(line: line, "worker has no name: add name = \"...\"") }
        if executable == nil && table["executable"] == nil {
            report(line: line, "worker has no executable: add executable = \"/path/to/program\"")
        }
        guard let name else { return nil }
        (worker.name, worker.executable) = (name.text, executable ?? "")
        return (worker, name.line)
    }

    /// Database workers read rows from shared memory and need the database running, so both
    /// their flags and their start condition must say so (as PostgreSQL requires for its workers).
    private mutating func checkDatabaseFlag(_ worker: WorkerSpec, flagsLine: Int, startLine: Int?) {
        if worker.flags.contains(.http) && !worker.flags.contains(.sharedMemory) {
            report(line: flagsLine, "flag \"http\" requires \"shared-memory\": write flags = [\"shared-memory\", \"http\"]")
        }
        guard worker.flags.contains(.database) else { return }
        if !worker.flags.contains(.sharedMemory) {
            report(line: flagsLine, "flag \"database\" requires \"shared-memory\": write flags = [\"shared-memory\", \"database\"]")
        }
        if worker.start == .immediately {
            report(line: startLine ?? flagsLine,
                "a worker with flag \"database\" must wait for the database: set start = \"database-ready\"")
        }
    }

    private mutating func workerName(_ entry: TOMLTable.Entry) -> String? {
        guard let name = string(entry) else { return nil }
        if name.isEmpty {
            report(line: entry.value.line, "worker name must not be empty")
            return nil
        }
        // The name goes into ps titles and log lines, where spaces and odd characters mislead.
        guard name.utf8.allSatisfy(isWorkerNameByte) else {
            report(line: entry.value.line,
                "worker name \"\(name)\" may contain only ASCII letters, digits, \"-\", \"_\" and \".\"")
            return nil
        }
        return name
    }

    private mutating func workerExecutable(_ entry: TOMLTable.Entry) -> String? {
        guard let executable = string(entry) else { return nil }
        guard !executable.isEmpty else {
            report(line: entry.value.line, "executable must not be empty")
            return nil
        }
        return executable
    }

    private mutating func workerFlags(_ entry: TOMLTable.Entry) -> Set<WorkerFlag> {
        var flags: Set<WorkerFlag> = []
        for (text, line) in strings(entry) ?? [] {
            guard let flag = WorkerFlag(rawValue: text) else {
                let known = WorkerFlag.allCases.map(\.rawValue)
                let hint = closestWord(to: text, among: known).map { "; did you mean \"\($0)\"?" }
                    ?? ": expected \"shared-memory\" or \"database\""
                report(line: line, "unknown flag \"\(text)\"\(hint)")
                continue
            }
            if !flags.insert(flag).inserted { report(line: line, "duplicate flag \"\(text)\"") }
        }
        return flags
    }

    /// Each address parsed and checked for duplicates within the list; lines kept for the
    /// check across workers.
    private mutating func listenAddresses(_ entry: TOMLTable.Entry) -> [ListenAddress] {
        var addresses: [ListenAddress] = []
        for (text, line) in strings(entry) ?? [] {
            do {
                let address = try ListenAddress(parsing: text)
                guard !addresses.contains(address) else {
                    report(line: line, "duplicate listen address \"\(text)\"")
                    continue
                }
                addresses.append(address)
                listenLines[address] = line
            } catch {
                report(line: line, error.description)
            }
        }
        return addresses
    }

    private mutating func startCondition(_ entry: TOMLTable.Entry) -> StartCondition? {
        guard let text = string(entry) else { return nil }
        guard let start = StartCondition(rawValue: text) else {
            report(line: entry.value.line, "unknown start \"\(text)\": expected \"immediately\" or \"database-ready\"")
            return nil
        }
        return start
    }

    private mutating func restartPolicy(_ entry: TOMLTable.Entry) -> RestartPolicy? {
        if case .string("never") = entry.value.kind { return .never }
        return duration(entry, allowsZero: true).map(RestartPolicy.after)
    }
}

/// Letters, digits, `-`, `_` and `.`: what reads unambiguously in `ps` output and log lines.
private func isWorkerNameByte(_ byte: UInt8) -> Bool {
    isBareKeyByte(byte) || byte == UInt8(ascii: ".")
}
