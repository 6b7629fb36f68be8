import ArgumentParser

/// Benchmarks that print figures. Build with `swift build -c release` before you trust a number.
@main
struct LinemasterBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linemaster-bench",
        abstract: "Measure linemaster's parts and print figures.",
        subcommands: [ParseBenchmark.self, RingBenchmark.self, CopyBenchmark.self, E2EBenchmark.self, DrainWorker.self]
    )
}
