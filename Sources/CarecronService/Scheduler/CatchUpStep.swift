import CarecronDelivery
import CarecronStorage
import Foundation
import Logging

/// After an outage, once: the orders' own messages (reminders, expiries, confirmations) are
/// planned and sent before the backlog of everything else.
final class CatchUpStep: SchedulerStep {
    let store: any CareStore
    let log: Logger

    init(store: any CareStore, log: Logger) {
        self.store = store
        self.log = log
    }

    func run(_ pass: SchedulerPass, _ state: SchedulerState) async throws -> Date? {
        guard pass.writes, pass.leads, state.catchingUp else { return nil }
        state.catchingUp = false
        let rt = pass.runtime
        let first = try await CatchUpFirst(OutboxPlanner(store: store, config: rt.config, jobs: rt.jobs), dispatcher: rt.dispatcher)
            .run(now: pass.now, upSince: state.planning.since, lastSeen: state.lastSeen, keepGoing: pass.keepGoing)
        log.info("caught up the orders' own messages first", metadata: [
            "planned": "\(first.planned.planned)", "sent": "\(first.sent.sent)", "expired_orders": "\(first.planned.expired)"])
        return nil
    }
}
