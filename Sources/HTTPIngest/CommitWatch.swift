import NIOCore
import SharedRing

/// Requests waiting for their rows to be committed (`ack = "commit"`), answered as the ring's
/// release position passes them. The event loop looks every few milliseconds while any waits:
/// the release position lives in shared memory, and a wait must not hold up other requests.
final class CommitWatch {
    private let ring: SharedRing
    private let eventLoop: EventLoop
    private var waiting: [(sequence: UInt64, answer: () -> Void)] = []
    private var polling = false

    init(ring: SharedRing, eventLoop: EventLoop) {
        self.ring = ring
        self.eventLoop = eventLoop
    }

    /// How often a waiting request looks at the ring: short beside a batch's commit.
    static let pollInterval = TimeAmount.milliseconds(2)

    /// Calls `answer` once every record below `sequence` has been released.
    func wait(until sequence: UInt64, _ answer: @escaping () -> Void) {
        waiting.append((sequence, answer))
        guard !polling else { return }
        polling = true
        schedulePoll()
    }

    private func schedulePoll() {
        eventLoop.assumeIsolated().scheduleTask(in: Self.pollInterval) { [self] in
            poll()
            if waiting.isEmpty { polling = false } else { schedulePoll() }
        }
    }

    /// Answers every request whose rows are now committed.
    private func poll() {
        let released = ring.oldestUnreleasedSequence
        let due = waiting.filter { $0.sequence <= released }
        guard !due.isEmpty else { return }
        waiting.removeAll { $0.sequence <= released }
        for request in due { request.answer() }
    }
}
