import CarecronStorage
import Foundation
import Logging

extension LeaderChore {
    /// The outcomes' conversions kept current (issue 28, item 8): every minute the customers whose
    /// messages or orders changed are recomputed, a batch a pass while a backlog lasts (the first
    /// start after the upgrade, a goal changed), so that a report has little left to do.
    static func outcomes(_ store: any CareStore, startingAt: Date, batch: Int = 2_000, log: Logger) -> LeaderChore {
        LeaderChore(every: 60, startingAt: startingAt) { pass in
            let goals = OutcomeGoals(jobs: pass.runtime.jobs, holdFor: pass.runtime.config.holdFor)
            // Upkeep never stops the pass (the heartbeat, the plan): a failure waits for the next minute.
            do {
                let step = try await store.refreshConversions(goals: goals, limit: batch)
                if step.more { log.debug("outcomes recomputed", metadata: ["customers": "\(step.done)"]) }
                return step.more
            } catch {
                log.warning("outcomes not recomputed", metadata: ["error": "\(error)"])
                return false
            }
        }
    }
}
