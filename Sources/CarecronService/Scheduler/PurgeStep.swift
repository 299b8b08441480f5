import CarecronDelivery
import CarecronStorage
import Foundation
import Logging

/// The outbox's retention rule (`outbox.keepFor`): hourly, and sooner while a large backlog of
/// old messages is purged a pass at a time.
final class PurgeStep: SchedulerStep {
    let store: any CareStore
    let log: Logger
    private var next: Date

    init(store: any CareStore, startingAt: Date, log: Logger) {
        self.store = store
        self.log = log
        self.next = startingAt
    }

    func run(_ pass: SchedulerPass, _ state: SchedulerState) async throws -> Date? {
        guard pass.writes, pass.leads, pass.now >= next else { return nil }
        let keepFor = pass.runtime.config.outboxKeepFor
        let purged = try await OutboxRetention.run(store, keepFor: keepFor, now: pass.now)
        if purged.messages + purged.keys > 0 {
            log.info("outbox purged", metadata: ["messages": "\(purged.messages)", "keys": "\(purged.keys)", "keep_for": "\(keepFor)"])
        }
        next = pass.now.addingTimeInterval(purged.finished ? 3600 : 1)
        return purged.finished ? nil : next
    }
}
