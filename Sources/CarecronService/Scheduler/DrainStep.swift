import CarecronDelivery
import CarecronStorage
import Foundation

/// Sends what is due (every node), and wakes when the next message is.
final class DrainStep: SchedulerStep {
    let store: any CareStore

    init(store: any CareStore) { self.store = store }

    func run(_ pass: SchedulerPass, _ state: SchedulerState) async throws -> Date? {
        guard pass.writes else { return nil }
        if let d = pass.runtime.dispatcher, try await d.drain(while: pass.keepGoing).sentReminders > 0 {
            // The next reminders are timed from these real sendings: plan anew.
            state.memo = nil
        }
        let outbox = store.outbox
        let next = try await outbox.nextDue()
        Metrics.backlog(try await outbox.counts())
        return next
    }
}
