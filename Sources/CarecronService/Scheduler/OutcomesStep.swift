import CarecronStorage
import Foundation
import Logging

/// The outcomes' conversions kept current (issue 28, item 8): every minute the customers whose
/// messages or orders changed are recomputed, a batch a pass while a backlog lasts (a first
/// start after the upgrade, a goal changed), so that a report has little left to do.
final class OutcomesStep: SchedulerStep {
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
        let goals = OutcomeGoals(jobs: pass.runtime.jobs, holdFor: pass.runtime.config.holdFor)
        let step = try await store.refreshConversions(goals: goals, limit: 2_000)
        if step.left > 0 { log.debug("outcomes recomputed", metadata: ["customers": "\(step.done)"]) }
        next = pass.now.addingTimeInterval(step.left > 0 ? 1 : 60)
        return step.left > 0 ? next : nil
    }
}
