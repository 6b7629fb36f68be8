import Glibc

/// One process as /proc shows it: what `ps -eo pid,ppid,stat,args` would print.
struct ProcessInfoSnapshot: Equatable {
    let pid: pid_t
    let parentPid: pid_t
    let state: Character
    /// argv joined with spaces, as `ps -eo args` shows it.
    let title: String

    static func all() -> [ProcessInfoSnapshot] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var result: [ProcessInfoSnapshot] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if let pid = pid_t(name), let info = of(pid) { result.append(info) }
        }
        return result
    }

    static func of(_ pid: pid_t) -> ProcessInfoSnapshot? {
        guard let stat = readFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        guard fields.count > 2, let state = fields[0].first, let parent = pid_t(fields[1]) else { return nil }
        let cmdline = readFile("/proc/\(pid)/cmdline") ?? ""
        let title = cmdline.split(separator: "\0").joined(separator: " ").trimmingCharacters(in: " ")
        return ProcessInfoSnapshot(pid: pid, parentPid: parent, state: state, title: title)
    }

    /// Whether the process exists and is not a zombie.
    static func isRunning(_ pid: pid_t) -> Bool {
        guard let info = of(pid) else { return false }
        return info.state != "Z"
    }
}
