import CarecronDelivery
import CarecronStorage
import Foundation
import Logging

/// Writes the next pages of the campaigns under way into the outbox, paced; wakes for the next
/// one to start.
final class CampaignPagesStep: SchedulerStep {
    let store: any CareStore
    let log: Logger

    init(store: any CareStore, log: Logger) {
        self.store = store
        self.log = log
    }

    func run(_ pass: SchedulerPass, _ state: SchedulerState) async throws -> Date? {
        guard pass.writes, pass.leads else { return nil }
        let rt = pass.runtime
        return try await CampaignStep(store: store, config: rt.config, jobs: rt.jobs).step(now: pass.now, keepGoing: pass.keepGoing, log: log)
            .nextStart
    }
}
