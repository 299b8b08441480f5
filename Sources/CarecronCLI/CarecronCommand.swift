import ArgumentParser
import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronService
import CarecronSQLite
import CarecronStorage
import Foundation

public struct CarecronCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "carecron",
        abstract: "Customer care on a timetable: payment reminders, expiry, birthdays, check-ins.",
        version: CarecronVersion.description,
        subcommands: [Validate.self, Import.self, Run.self, Status.self, Simulate.self, Preview.self, Schedule.self, OutboxCommand.self, RepliesCommand.self, CallsCommand.self, Report.self,
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

    /// The store for commands that only read: never created, never migrated, never written; an
    /// SQLite file is opened read-only, so that it works on a read-only file and beside a running service.
    func openExistingStore(_ config: ShopConfig) async throws -> any CareStore {
        try await open(config, .read)
    }

    /// The store for commands that write. Only those that bring data (import, demo) and the
    /// service create it; the others refuse a missing database rather than make an empty one.
    func openStore(_ config: ShopConfig, creating: Bool = false) async throws -> any CareStore {
        try await open(config, creating ? .create : .write)
    }

    /// The SQLite file itself, for the commands that work on the file (backup, migrate-store);
    /// a PostgreSQL database is refused with `instead`, what to use in its place.
    func openSQLiteStore(_ config: ShopConfig, command: String, instead: String) async throws -> Store {
        if let pg = config.postgres {
            Console.error("carecron \(command): database \(pg.description) is PostgreSQL; \(command) works on the SQLite file: \(instead)")
            throw ExitCode(2)
        }
        guard let store = try await open(config, .read) as? Store else { throw ExitCode(1) }
        return store
    }

    private func open(_ config: ShopConfig, _ access: StoreOpening.Access) async throws -> any CareStore {
        do { return try await StoreOpening.open(config, access: access) } catch {
            Console.error(error.description)
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
