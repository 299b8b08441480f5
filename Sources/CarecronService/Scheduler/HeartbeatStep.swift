import CarecronStorage
import Foundation

/// The heartbeat says when the store was last planned for: a node taking over (or this one,
/// restarted) plans from there.
final class HeartbeatStep: SchedulerStep {
    let store: any CareStore

    init(store: any CareStore) { self.store = store }

    func run(_ pass: SchedulerPass, _ state: SchedulerState) async throws -> Date? {
        guard pass.leads else { return nil }
        try await store.beat(pass.now)
        state.lastSeen = pass.now
        return nil
    }
}
