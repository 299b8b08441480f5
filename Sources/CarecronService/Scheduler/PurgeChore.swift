import CarecronDelivery
import CarecronStorage
import Foundation
import Logging

extension LeaderChore {
    /// The outbox's retention rule (`outbox.keepFor`): hourly, and sooner while a large backlog of
    /// old messages is purged a pass at a time.
    static func purge(_ store: any CareStore, startingAt: Date, log: Logger) -> LeaderChore {
        LeaderChore(every: 3600, startingAt: startingAt) { pass in
            let keepFor = pass.runtime.config.outboxKeepFor
            let purged = try await OutboxRetention.run(store, keepFor: keepFor, now: pass.now)
            if purged.messages + purged.keys > 0 {
                log.info("outbox purged", metadata: ["messages": "\(purged.messages)", "keys": "\(purged.keys)", "keep_for": "\(keepFor)"])
            }
            return !purged.finished
        }
    }
}
