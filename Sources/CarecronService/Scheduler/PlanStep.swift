import CarecronDelivery
import CarecronStorage
import Foundation
import Logging

/// Plans what falls due into the outbox; in a dry run, shows each event once, when it falls due,
/// and writes nothing.
final class PlanStep: SchedulerStep {
    let store: any CareStore
    let preview: PreviewSink?
    let log: Logger
    /// The dry run's events already shown.
    private var shown = Set<String>()
    /// A dry run shows what falls due from a minute before the service started.
    private let showFrom: Date

    init(store: any CareStore, preview: PreviewSink?, upSince: Date, log: Logger) {
        self.store = store
        self.preview = preview
        self.showFrom = upSince.addingTimeInterval(-60)
        self.log = log
    }

    func run(_ pass: SchedulerPass, _ state: SchedulerState) async throws -> Date? {
        let rt = pass.runtime
        var planner = OutboxPlanner(store: store, config: rt.config, jobs: rt.jobs)
        planner.includesPagedJobs = preview != nil
        if let preview {
            let (events, next) = try await planner.due(now: pass.now, upSince: state.planning.since, lastSeen: state.lastSeen,
                                                       memo: &state.memo, fresh: pass.fresh)
            for e in events where e.at >= showFrom && shown.insert(e.keys.joined(separator: "+")).inserted {
                await preview.show(e, clock: rt.config.clock)
            }
            return next
        }
        guard pass.leads else { return nil }
        let step = try await planner.step(now: pass.now, upSince: state.planning.since, lastSeen: state.lastSeen,
                                          memo: &state.memo, fresh: pass.fresh)
        if step.planned > 0 || step.expired > 0 {
            log.info("planned", metadata: ["messages": "\(step.planned)", "expired_orders": "\(step.expired)"])
        }
        return step.nextDue
    }
}
