import ArgumentParser
import CarecronConfig
import CarecronDomain
import CarecronStore
import Foundation

public struct CarecronCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "carecron",
        abstract: "Customer care on a timetable: payment reminders, expiry, birthdays, check-ins.",
        version: CarecronVersion.description,
        subcommands: [Validate.self, Import.self, Run.self, Status.self, Simulate.self, Preview.self, Schedule.self, OutboxCommand.self,
                      SendersCommand.self, CampaignCommand.self, Forget.self, Backup.self,
                      ConsoleCommand.self, Demo.self, Bench.self, MigrateStore.self]
    )

    public init() {}

    /// The executable's entry (`@main` in Sources/carecron): ArgumentParser's own, with the
    /// store's errors turned into sentences.
    public static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            // The store's errors as sentences, never SQLite's numbered codes and SQL text.
            if let sentence = StoreFile.sentence(error) {
                Console.error("carecron: \(sentence)")
                exit(withError: ExitCode(1))
            }
            exit(withError: error)
        }
    }
}

/// `--config PATH` on every subcommand (default `./config.json`, or `CARECRON_CONFIG`).
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "config.json to use (default: $CARECRON_CONFIG or ./config.json)")
    var config: String?

    var url: URL { ConfigLoader.configPath(config) }

    /// The configuration, or exit with every problem printed: commands that act need it whole.
    func loadValid() throws -> (ShopConfig, [JobDefinition]) {
        let loaded = ConfigLoader.load(url)
        guard let config = loaded.config, loaded.isValid else {
            for d in loaded.diagnostics { Console.error(d.description) }
            Console.error("the configuration has \(loaded.errors.count) error(s); run `carecron validate` after fixing them")
            throw ExitCode(2)
        }
        return (config, loaded.jobs)
    }

    /// The store for commands that only read: never created, never migrated, never written,
    /// opened read-only so that it works on a read-only file and beside a running service.
    func openExistingStore(_ config: ShopConfig) throws -> Store {
        try refusePostgres(config)
        try requireDatabase(config)
        return try open { try Store(url: config.database, readOnly: true) }
    }

    /// The store for commands that write. Only those that bring data (import, demo) and the
    /// service create it; the others refuse a missing database rather than make an empty one.
    func openStore(_ config: ShopConfig, creating: Bool = false) throws -> Store {
        try refusePostgres(config)
        if !creating { try requireDatabase(config) }
        return try open { try Store(url: config.database) }
    }

    private func refusePostgres(_ config: ShopConfig) throws {
        guard let pg = config.postgres else { return }
        Console.error("database: \(pg.description) is PostgreSQL; this command runs on the SQLite store only so far (issue 15: the PostgreSQL store is being built)")
        throw ExitCode(1)
    }

    private func requireDatabase(_ config: ShopConfig) throws {
        do { try StoreFile.checkExists(config.database) } catch let e as Store.OpenError {
            Console.error(e.isMissing ? "no database at \(config.database.path): import customers and orders first (carecron import, or carecron demo)" : e.description)
            throw ExitCode(1)
        }
    }

    private func open(_ body: () throws -> Store) throws -> Store {
        do { return try body() } catch {
            Console.error("\(error)")
            throw ExitCode(1)
        }
    }
}

enum Console {
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static var stderrIsTerminal: Bool { isatty(2) == 1 }
}
