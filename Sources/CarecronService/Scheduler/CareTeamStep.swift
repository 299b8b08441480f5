import CarecronStorage
import Foundation
import Logging
import Metrics

/// The care team's backlog in `/metrics` (issue 29), on every node: conversations waiting for an
/// answer and those past the handbook's time (`carecron_conversations_waiting`,
/// `carecron_conversations_overdue`), and calls not made yet (`carecron_calls_open`). A failed
/// count waits for the next pass: upkeep never stops one.
final class CareTeamStep: SchedulerStep {
    let store: any CareStore
    let log: Logger

    init(store: any CareStore, log: Logger) {
        self.store = store
        self.log = log
    }

    func run(_ pass: SchedulerPass, _ state: SchedulerState) async throws -> Date? {
        do {
            let waiting = try await store.conversationCounts(now: pass.now)
            Gauge(label: "carecron_conversations_waiting").record(waiting.open)
            Gauge(label: "carecron_conversations_overdue").record(waiting.overdue)
            Gauge(label: "carecron_calls_open").record(try await store.callLoads().values.reduce(0, +))
        } catch {
            log.warning("the care team's backlog not counted", metadata: ["error": "\(error)"])
        }
        return nil
    }
}
