// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "carecron",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "carecron", targets: ["carecron"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-algorithms", from: "1.2.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // The shop's rules: time windows, schedules, names, phones, wording. Pure: no I/O.
        .target(
            name: "CarecronDomain",
            // Crypto: a survey link's signature is computed with the plan, a pure function of its secret.
            dependencies: [.product(name: "Mustache", package: "swift-mustache"), .product(name: "Crypto", package: "swift-crypto")]
        ),
        // config.json and jobs/*.json: loading, typed model, validation with JSON paths.
        .target(name: "CarecronConfig", dependencies: ["CarecronDomain"]),
        // What every store shares and nothing of SQLite or PostgreSQL (issue 25): the storage
        // contract (protocols, rows, outcomes), the outbox's states and transitions, the rules
        // written once (order events, platform orders), import parsing, and the SQL both dialects run.
        .target(name: "CarecronStorage", dependencies: ["CarecronDomain"]),
        // The embedded SQLite store (GRDB): schema, migrations, records, CSV/JSONL import.
        .target(
            name: "CarecronSQLite",
            dependencies: ["CarecronDomain", "CarecronStorage", .product(name: "GRDB", package: "GRDB.swift"),
                           // the C API, to bind an import's values without boxing each one
                           .product(name: "GRDBSQLite", package: "GRDB.swift"),
                           .product(name: "Algorithms", package: "swift-algorithms")]
        ),
        // The shared PostgreSQL store (issue 15): several nodes on one database, claims as leases.
        .target(
            name: "CarecronPostgres",
            dependencies: ["CarecronDomain", "CarecronConfig", "CarecronStorage",
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        // Delivery: the senders (console, file, webhook, SMS gateways, Zalo ZNS, SMTP, exec),
        // the outbox's dispatcher with retries, fallback, concurrency and rate limits.
        .target(
            name: "CarecronDelivery",
            dependencies: [
                "CarecronDomain", "CarecronConfig", "CarecronStorage",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Algorithms", package: "swift-algorithms"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // The long-running service: the scheduler loop, signals, the single-instance lock,
        // systemd notification, the HTTP API with health, metrics and ingest.
        .target(
            name: "CarecronService",
            dependencies: [
                "CarecronDomain", "CarecronConfig", "CarecronStorage", "CarecronSQLite", "CarecronDelivery", "CarecronConsole", "CarecronPostgres",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                // the connection cap and header timeout of every HTTP server (issue 24)
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        // The marketers' console (issue 12): server-rendered pages under /console, sessions,
        // roles, the plan with its reasons; Mustache templates, one stylesheet and the
        // catalogues of words are resources.
        .target(
            name: "CarecronConsole",
            dependencies: [
                "CarecronDomain", "CarecronConfig", "CarecronStorage", "CarecronDelivery",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                // bcrypt on NIO's thread pool, off the threads that serve requests (issue 24)
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Resources")]
        ),
        // Benchmarks and reliability runs (issue 6): a synthetic shop, a fast local provider that
        // fails on demand, child processes measured with wait4, chaos and fuzz runs.
        .target(
            name: "CarecronBench",
            dependencies: [
                "CarecronDomain", "CarecronConfig", "CarecronStorage", "CarecronSQLite", "CarecronDelivery",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The subcommands, kept in a library so that the executable stays a one-line main.
        .target(
            name: "CarecronCLI",
            dependencies: [
                "CarecronDomain", "CarecronConfig", "CarecronStorage", "CarecronSQLite", "CarecronDelivery", "CarecronService", "CarecronBench",
                "CarecronConsole", "CarecronPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "carecron", dependencies: ["CarecronCLI"]),
        .testTarget(
            name: "CarecronTests",
            dependencies: ["CarecronDomain", "CarecronConfig", "CarecronStorage", "CarecronSQLite", "CarecronDelivery", "CarecronService", "CarecronCLI",
                           "CarecronBench", "CarecronConsole", "CarecronPostgres",
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HTTPTypes", package: "swift-http-types"),
                           .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// carecron's own code builds without a warning (issue 24): CI fails on the first one.
for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + [.treatAllWarnings(as: .error)]
}
