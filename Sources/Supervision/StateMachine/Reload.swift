#if canImport(Glibc)
import Glibc
#endif

/// What a SIGHUP does: compare the running workers with the new config, per instance name.
extension SupervisorStateMachine {
    /// Applies a new, already validated config: added workers start, removed ones stop, changed
    /// ones restart, and unchanged ones get SIGHUP (their pid does not change). A worker that had
    /// been marked failed gets a fresh start.
    public mutating func reload(_ newConfig: LinemasterConfig, now: ContinuousClock.Instant) -> [SupervisorAction] {
        guard acceptsReload else { return [.log("shutdown in progress: reload ignored")] }
        // Database and http workers got their section when they started: a new one means a restart.
        let databaseChanged = newConfig.database != config.database
        let httpChanged = newConfig.http != config.http
        config = newConfig
        let wanted = newConfig.instances
        let wantedNames = Set(wanted.map(\.name))
        var actions: [SupervisorAction] = [.log("configuration reloaded from \(newConfig.path)")]
        for i in slots.indices.reversed() where !wantedNames.contains(slots[i].instanceName) {
            actions += retire(i, now: now)
        }
        for (name, spec) in wanted {
            if let i = slots.firstIndex(where: { $0.instanceName == name }) {
                let grantChanged = (databaseChanged && spec.flags.contains(.database)) || (httpChanged && spec.flags.contains(.http))
                actions += update(i, to: spec, restart: grantChanged, now: now)
            } else {
                slots.append(WorkerSlot(instanceName: name, spec: spec, statSlot: freeStatSlot()))
                actions.append(.log("worker \"\(name)\" added"))
            }
        }
        // A database-ready worker may have been added: ask again now if nobody is asking.
        if !databaseReady && probe != .asking { probe = .due(now) }
        let order = Dictionary(uniqueKeysWithValues: wanted.enumerated().map { ($0.element.name, $0.offset) })
        slots.sort { (order[$0.instanceName] ?? .max) < (order[$1.instanceName] ?? .max) }
        return actions + advance(now: now)
    }

    private mutating func retire(_ i: Int, now: ContinuousClock.Instant) -> [SupervisorAction] {
        let log = SupervisorAction.log("worker \"\(slots[i].instanceName)\" removed from the configuration")
        switch slots[i].phase {
        case .running(let pid, _):
            return [log] + stop(i, pid: pid, signal: SIGTERM, then: .remove, now: now)
        case .stopping(let pid, let signal, let killAt, _):
            slots[i].phase = .stopping(pid: pid, signal: signal, killAt: killAt, then: .remove)
            return [log]
        default:
            slots.remove(at: i)
            return [log]
        }
    }

    private mutating func update(_ i: Int, to spec: WorkerSpec, restart: Bool, now: ContinuousClock.Instant) -> [SupervisorAction] {
        let unchanged = slots[i].spec.runsTheSameProcess(as: spec) && !restart
        slots[i].spec = spec
        if !unchanged || slots[i].phase == .failed {
            slots[i].consecutiveFailures = 0
            slots[i].recentRestarts = []
        }
        switch slots[i].phase {
        case .running(let pid, _) where unchanged:
            return [.signal(pid: pid, signal: SIGHUP)]
        case .running(let pid, _):
            return [.log("worker \"\(slots[i].instanceName)\" changed: restarting it")]
                + stop(i, pid: pid, signal: SIGTERM, then: .startAgain, now: now)
        case .stopping(let pid, let signal, let killAt, let then) where !unchanged || then == .remove:
            slots[i].phase = .stopping(pid: pid, signal: signal, killAt: killAt, then: .startAgain)
            return []
        case .failed:
            slots[i].phase = .waiting
            return [.log("worker \"\(slots[i].instanceName)\" was failed: starting it again")]
        case .backoff where !unchanged, .stopped where !unchanged:
            slots[i].phase = .waiting
            return []
        default:
            return []
        }
    }
}

extension WorkerSpec {
    /// Whether an instance of `self` and one of `other` are the same process; `count` only
    /// decides how many instances there are, so scaling up or down leaves the others running,
    /// and the supervisor applies `receive_buffer` to the sockets it holds, under the workers.
    func runsTheSameProcess(as other: WorkerSpec) -> Bool {
        var copy = self
        copy.count = other.count
        copy.receiveBuffer = other.receiveBuffer
        return copy == other
    }
}

extension LinemasterConfig {
    /// Every worker instance in config order: `ticker`, or `listener 1`, `listener 2` when `count > 1`.
    var instances: [(name: String, spec: WorkerSpec)] {
        workers.flatMap { spec in spec.instanceNames.map { ($0, spec) } }
    }
}
