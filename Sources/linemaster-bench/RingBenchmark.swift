import ArgumentParser

struct RingBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ring", abstract: "Shared-memory ring handoff between processes.")
}
