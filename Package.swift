// swift-tools-version:6.0
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
    ],
    targets: [
        // The shop's rules: time windows, schedules, names, phones, wording. Pure: no I/O.
        .target(
            name: "CarecronDomain",
            dependencies: [.product(name: "Mustache", package: "swift-mustache")]
        ),
        // config.json and jobs/*.json: loading, typed model, validation with JSON paths.
        .target(name: "CarecronConfig", dependencies: ["CarecronDomain"]),
        // The embedded SQLite store (GRDB): schema, migrations, records, CSV/JSONL import.
        .target(
            name: "CarecronStore",
            dependencies: ["CarecronDomain", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The subcommands, kept in a library so that the executable stays a one-line main.
        .target(
            name: "CarecronCLI",
            dependencies: [
                "CarecronDomain", "CarecronConfig", "CarecronStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "carecron", dependencies: ["CarecronCLI"]),
        .testTarget(
            name: "CarecronTests",
            dependencies: ["CarecronDomain", "CarecronConfig", "CarecronStore", "CarecronCLI"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
