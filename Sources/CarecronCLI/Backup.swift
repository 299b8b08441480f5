import ArgumentParser
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a consistent copy of the live database to FILE (the service may keep running), and check it.",
        discussion: "To restore: stop the service, put the copy in place of the database, start it (README, \"Backup and restore\").")

    @Argument(help: "the new file to write (never overwritten)") var file: String
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, _) = try options.loadValid()
        let store = try await options.openSQLiteStore(config, command: "backup",
                                                      instead: "back PostgreSQL up with its own tools (pg_dump, or the server's base backups; README, \"When one machine is not enough\")")
        let target = URL(fileURLWithPath: file).standardizedFileURL
        let started = ContinuousClock.now
        do {
            let r = try store.backup(to: target)
            print("backup written to \(r.file.path): \(r.customers) customers, \(r.orders) orders, \(r.messages) messages, "
                  + "\(r.bytes / 1024) KiB; integrity check passed (\(String(format: "%.1f", (ContinuousClock.now - started).seconds)) s)")
        } catch {
            Console.error("\(error)")
            throw ExitCode(1)
        }
    }
}
