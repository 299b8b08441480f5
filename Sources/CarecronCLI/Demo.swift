import ArgumentParser
import CarecronConfig
import CarecronStore
import Foundation

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load the shipped demo shop (demo/*.csv) into the configured store and check the jobs.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        let (config, jobs) = try options.loadValid()
        let store = try options.openStore(config)
        let folder = config.folder.appendingPathComponent("demo")
        for kind in ImportKind.allCases {
            let file = folder.appendingPathComponent("\(kind.rawValue).csv").path
            _ = try ImportRunner.run(kind, file: file, strict: true, store: store, config: config)
        }
        print("database: \(config.database.path)")
        print("jobs: \(jobs.map { "\($0.name)\($0.enabled ? "" : " (disabled)")" }.joined(separator: ", "))")
    }
}
