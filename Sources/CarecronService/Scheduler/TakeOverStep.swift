import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation
import Logging

/// On a shared database: when this node takes planning over from another, it plans from where
/// that one last planned (its heartbeat), as a restarted service would, catching up first if
/// the other stopped long ago.
final class TakeOverStep: SchedulerStep {
    let store: any CareStore
    let heartbeatInterval: TimeInterval
    let log: Logger

    init(store: any CareStore, heartbeatInterval: TimeInterval, log: Logger) {
        self.store = store
        self.heartbeatInterval = heartbeatInterval
        self.log = log
    }

    func run(_ pass: SchedulerPass, _ state: SchedulerState) async throws -> Date? {
        guard state.planning.update(leads: pass.leads, now: pass.now) else { return nil }
        state.memo = nil
        state.lastSeen = try? await store.heartbeat()
        state.catchingUp = CatchUpFirst.isOutage(lastSeen: state.lastSeen, upSince: pass.now, heartbeatInterval: heartbeatInterval)
        log.notice("planning from where the last planner stopped", metadata: [
            "last_planned": "\(state.lastSeen.map { InstantFormat.format($0, clock: pass.runtime.config.clock) } ?? "never")",
            "catch_up": "\(state.catchingUp)"])
        return nil
    }
}
