import Metrics

extension SupervisorStateMachine {
    /// The workers as they are now, in config order.
    public func statuses(now: ContinuousClock.Instant) -> [WorkerStatus] {
        slots.map { slot in
            var uptime: Double?
            let state: WorkerState
            switch slot.phase {
            case .waiting, .spawning: state = .starting
            case .running(_, let since):
                state = .running
                uptime = (now - since).seconds
            case .stopping: state = .stopping
            case .backoff: state = .backoff
            case .failed: state = .failed
            case .stopped: state = .stopped
            }
            return WorkerStatus(
                name: slot.instanceName, pid: slot.pid, state: state, uptime: uptime, restarts: slot.restarts,
                lastExit: slot.lastExit?.description, statSlot: slot.statSlot,
                flags: slot.spec.flags.map(\.rawValue).sorted())
        }
    }
}

extension Duration {
    /// The duration in (fractional) seconds.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
