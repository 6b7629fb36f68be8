// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "linemaster",
    products: [
        .executable(name: "linemaster", targets: ["linemaster"]),
        .executable(name: "linemaster-listener", targets: ["linemaster-listener"]),
        .executable(name: "linemaster-postgres", targets: ["linemaster-postgres"]),
        .executable(name: "linemaster-inserter", targets: ["linemaster-inserter"]),
        .executable(name: "linemaster-load", targets: ["linemaster-load"]),
        .executable(name: "linemaster-bench", targets: ["linemaster-bench"]),
        .executable(name: "linemaster-http", targets: ["linemaster-http"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The HTTP worker's HTTP/1.1 server (llhttp inside): keep-alive, pipelining, chunked bodies.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The few system calls Swift cannot make directly (signalfd, prctl, fork+exec, process title).
        .target(name: "CPlatform"),
        // InfluxDB line protocol: parser, point model, encoder. No dependencies.
        .target(name: "LineProtocol"),
        // One error type for failed system calls, and reading a descriptor to its end.
        .target(name: "SystemCalls"),
        // What the supervisor grants a database worker: the [database] settings, one definition for both.
        .target(name: "WorkerGrants", dependencies: ["SystemCalls"]),
        // Telegraf's SQL templates (create_templates, add_column_templates): read, checked, rendered.
        .target(name: "SQLTemplates"),
        // The POSIX shared-memory segment and the ring of parsed rows inside it.
        .target(name: "SharedRing", dependencies: ["CPlatform", "SystemCalls"]),
        // The supervisor: config, state machine, spawning, signals, pid file.
        .target(name: "Supervision", dependencies: ["CPlatform", "Metrics", "SharedRing", "SQLTemplates", "SystemCalls", "WorkerGrants", "WorkerRuntime"]),
        // What a worker executable links: capabilities, death pipe, process title, signal flags.
        .target(name: "WorkerRuntime", dependencies: ["CPlatform", "SharedRing", "WorkerGrants"]),
        // What every receiving worker does with line protocol it could not parse: into the ring, within a limit.
        .target(name: "Ingest", dependencies: ["LineProtocol", "SharedRing"]),
        // What `status` and `/metrics` report (the supervisor's status and socket files, the counters
        // in shared memory), and its Prometheus text: one definition for both.
        .target(name: "Metrics", dependencies: ["SharedRing", "SystemCalls", "WorkerRuntime"]),
        // The UDP listener worker: datagrams in, parsed rows into the ring.
        .target(name: "Listener", dependencies: ["CPlatform", "Ingest", "LineProtocol", "SharedRing", "SystemCalls", "WorkerRuntime"]),
        // libpq, and the inserter's side of PostgreSQL: catalog, column mapping, COPY binary, ledger.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(name: "PostgresSink", dependencies: ["CLibPQ", "LineProtocol", "SQLTemplates", "WorkerGrants"]),
        // zlib: the HTTP worker inflates gzip bodies, the load generator makes them.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The HTTP worker: InfluxDB's /write and /api/v2/write, rows into the ring, 204 once they are safe.
        .target(name: "HTTPIngest", dependencies: [
            "CZlib", "Ingest", "LineProtocol", "Metrics", "SharedRing", "WorkerGrants", "WorkerRuntime",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // The inserter worker: batches from the ring into PostgreSQL, exactly once.
        .target(name: "Inserter", dependencies: ["CPlatform", "LineProtocol", "PostgresSink", "SharedRing", "SQLTemplates", "WorkerGrants", "WorkerRuntime"]),

        // The command line, and the database probe child (the one part of it that needs libpq).
        .executableTarget(name: "linemaster", dependencies: [
            "Supervision", "LineProtocol", "PostgresSink", "SystemCalls", "WorkerGrants", "WorkerRuntime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "linemaster-listener", dependencies: [
            "Listener", "WorkerRuntime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The embedded PostgreSQL worker, for users without a server of their own.
        .target(name: "EmbeddedPostgres", dependencies: ["SystemCalls", "WorkerGrants", "WorkerRuntime"]),
        .executableTarget(name: "linemaster-http", dependencies: [
            "HTTPIngest", "WorkerRuntime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "linemaster-postgres", dependencies: ["EmbeddedPostgres", "WorkerRuntime"]),
        .executableTarget(name: "linemaster-inserter", dependencies: [
            "Inserter", "WorkerRuntime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "linemaster-load", dependencies: [
            "CPlatform", "CZlib", "LineProtocol",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "linemaster-bench", dependencies: [
            "LineProtocol", "SharedRing", "PostgresSink", "WorkerGrants", "WorkerRuntime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Publishes into and consumes from a ring; the SharedRing crash tests spawn and SIGKILL it.
        .executableTarget(name: "linemaster-ringtool", dependencies: [
            "SharedRing",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // A worker for the integration tests: sleeps, exits, crashes, retitles itself on demand.
        .executableTarget(name: "linemaster-testworker", dependencies: ["WorkerGrants", "WorkerRuntime"]),

        .testTarget(name: "LineProtocolTests", dependencies: ["LineProtocol"]),
        .testTarget(name: "SharedRingTests", dependencies: ["SharedRing", "linemaster-ringtool"]),
        .testTarget(name: "SQLTemplatesTests", dependencies: ["SQLTemplates"]),
        .testTarget(name: "SupervisionTests", dependencies: ["Metrics", "Supervision", "WorkerGrants"]),
        // Clients/: the python clients the HTTP tests run.
        .testTarget(name: "IntegrationTests", dependencies: ["SharedRing", "LineProtocol"], exclude: ["Clients"]),
        .testTarget(name: "PostgresSinkTests", dependencies: ["PostgresSink", "LineProtocol", "SQLTemplates", "WorkerGrants"]),
        .testTarget(name: "InserterTests", dependencies: ["Inserter"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "SharedRing"]),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "LineProtocol", "SharedRing"]),
        .testTarget(name: "HTTPIngestTests", dependencies: ["HTTPIngest", "Ingest", "LineProtocol", "SharedRing", "WorkerGrants"]),
    ]
)

// The fuzz targets (libFuzzer, see scripts/fuzz), declared only when scripts/fuzz builds them:
// libFuzzer supplies their main, so a normal build could not link them.
if Context.environment["LINEMASTER_FUZZ"] != nil {
    package.targets += [
        .executableTarget(name: "fuzz-lineprotocol", dependencies: ["LineProtocol"], path: "Fuzz/LineProtocolFuzz"),
        .executableTarget(name: "fuzz-http", dependencies: [
            "HTTPIngest", "Ingest", "LineProtocol", "SharedRing", "WorkerGrants",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ], path: "Fuzz/HTTPFuzz"),
    ]
}
