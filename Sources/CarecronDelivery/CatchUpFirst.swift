import CarecronConfig
import CarecronDomain
import Foundation

/// After an outage, the orders' own messages (the transactional jobs: payment reminders, COD
/// confirmations, expiry) are planned and sent before the day's backlog of greetings and
/// check-ins is planned at all. At a big shop that plan costs a second or more of CPU, and a
/// reminder is the message that cannot wait (issue 14). The full step that follows plans every
/// job as usual; what went out here is in the outbox under its keys, so nothing is planned twice.
public struct CatchUpFirst: Sendable {
    public let planner: OutboxPlanner
    public let dispatcher: Dispatcher?

    public init(_ planner: OutboxPlanner, dispatcher: Dispatcher?) {
        var urgent = planner
        urgent.jobs = planner.jobs.filter { $0.purpose == .transactional }
        // The same orders as the full step reads (an order learnt of late is due when learnt of).
        urgent.replayAtLeast = CarePlanner(policy: planner.config.policy, jobs: planner.jobs).lookback
        self.planner = urgent
        self.dispatcher = dispatcher
    }

    /// Whether the service was down long enough that the first step is a catch-up.
    public static func isOutage(lastSeen: Date?, upSince: Date, heartbeatInterval: TimeInterval) -> Bool {
        guard let lastSeen else { return false }
        return upSince.timeIntervalSince(lastSeen) > heartbeatInterval * 2
    }

    /// Plans the transactional jobs over the outage and sends what is due (everything due is
    /// claimed by priority, so these go first).
    public func run(now: Date, upSince: Date, lastSeen: Date?, keepGoing: @escaping @Sendable () -> Bool) async throws
        -> (planned: OutboxPlanner.Result, sent: DispatchReport) {
        var memo: PlanMemo?
        let planned = try await planner.step(now: now, upSince: upSince, lastSeen: lastSeen, memo: &memo, fresh: true)
        let sent = try await dispatcher?.drain(while: keepGoing) ?? DispatchReport()
        return (planned, sent)
    }
}
