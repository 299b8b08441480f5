import ArgumentParser
import CarecronConfig
import CarecronPostgres
import CarecronService
import CarecronSQLite
import CarecronStorage
import Foundation
import Logging

/// `carecron migrate-store --to URL` (issue 15): the SQLite store named in config.json, copied
/// whole into an empty PostgreSQL database, every table counted on both sides.
struct MigrateStore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-store",
        abstract: "Copy the SQLite store into an empty PostgreSQL database, so that several nodes can share it.",
        discussion: """
            Copies customers, orders, the outbox with its states and keys, campaign runs, job runs, erasures,
            webhook deliveries, the audit log and the service's state, in one transaction, and checks each
            table's count on both sides. Stop `carecron run` first; a message it was sending arrives as a
            retry with its idempotency key. Then point config.json's "database" at the URL.
            """)

    @Option(help: "the PostgreSQL database: postgres://USER@HOST:PORT/DB (add ?host=/run/postgresql for a unix socket)") var to: String
    @Option(help: "the environment variable holding the database's password, if it needs one") var passwordEnv: String?
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, _) = try options.loadValid()
        if let pg = config.postgres {
            Console.error("config.json's database is \(pg.description) already: migrate-store copies an SQLite store into PostgreSQL")
            throw ExitCode(2)
        }
        let (parsed, problems) = PostgresSettings.parse(url: to)
        guard let settings = parsed, problems.isEmpty else {
            for p in problems { Console.error("--to: \(p)") }
            throw ExitCode(2)
        }
        var password: String?
        if let name = passwordEnv {
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                Console.error("--password-env: environment variable \(name) is not set")
                throw ExitCode(2)
            }
            password = value
        }
        let store = try await options.openSQLiteStore(config, command: "migrate-store", instead: "it copies an SQLite store into PostgreSQL")
        // Outcomes a full disk left held are not in the tables yet: copied without them, their
        // messages would be sent again from PostgreSQL.
        if let held = DeliveryAssembly.heldOutcomes(config, store: store), held > 0 {
            Console.error("\(held) outcome(s) of messages already sent are held in the outcome journal beside the database; start `carecron outbox send` (or the service) once to record them, then migrate")
            throw ExitCode(1)
        }
        var log = Logger(label: "carecron.migrate-store")
        log.logLevel = .warning
        let db: PostgresDatabase
        do { db = try await PostgresDatabase(settings, password: password, logger: log) } catch {
            Console.error("cannot open \(settings.description): \(PostgresErrors.sentence(error))")
            throw ExitCode(1)
        }
        do {
            let report = try await StoreMigration.copy(from: store, to: db) { table, n in
                Console.error("copied \(table): \(n) row(s)")
            }
            for (table, n) in report.rows { print("\(table): \(n)") }
            print("copied \(store.location) into \(settings.description); every table counted on both sides")
            print("next: set \"database\": \"\(to)\" in config.json")
            await db.shutdown()
        } catch {
            await db.shutdown()
            Console.error(PostgresErrors.sentence(error))
            throw ExitCode(1)
        }
    }
}
