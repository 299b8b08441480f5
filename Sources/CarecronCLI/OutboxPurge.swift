import ArgumentParser
import CarecronConfig
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation

/// The retention rule the service applies hourly (`outbox.keepFor`), run now: for ops who want
/// the file smaller before a backup, or a store moved from a version without the rule.
struct OutboxPurge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Remove sent, cancelled and dead messages older than outbox.keepFor (their counts and keys are kept).")
    @Option(help: "instead of outbox.keepFor, e.g. 30d") var keepFor: String?
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, _) = try options.loadValid()
        var keep = config.outboxKeepFor
        if let text = keepFor {
            guard let span = TimeSpan(text), span >= .days(1) else {
                throw ValidationError("--keep-for: \"\(text)\" is not a span of a day or more, such as \"30d\"")
            }
            keep = span
        }
        let store = try await options.openStore(config)
        var total = OutboxRetention.Pass()
        let now = WallClock.system.now()
        repeat {
            let pass = try await OutboxRetention.run(store, keepFor: keep, now: now)
            total.messages += pass.messages
            total.keys += pass.keys
            total.finished = pass.finished
        } while !total.finished
        print("\(total.messages) message(s) older than \(keep) purged, \(total.keys) old key(s) forgotten; totals kept")
    }
}
