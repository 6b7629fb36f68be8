import ArgumentParser

struct ParseBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "parse", abstract: "Line protocol parser throughput.")
}
