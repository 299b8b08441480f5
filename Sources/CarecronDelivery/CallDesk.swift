import CarecronDomain
import CarecronStorage
import Foundation

/// The `call` channel's carrier: the care team. "Sending" a call hands it to an agent by the
/// rule (`AgentRoster.assign`), once, whichever node sends; the agent's outcome comes back
/// later as the row's receipt (`CallStore.recordCall`), as a provider's delivery report does,
/// so an unanswered call falls back to the job's next channel by the same step.
public struct CallDesk: ReceivesReceipts {
    public let name = CallRecord.desk
    public let limits = SenderLimits(concurrency: 4, maxAttempts: 10)
    let store: any CallStore
    let roster: AgentRoster
    let clock: ShopClock
    let jobs: [String: (purpose: Purpose, priority: Int)]
    let now: @Sendable () -> Date

    public init(store: any CallStore, roster: AgentRoster, clock: ShopClock, jobs: [JobDefinition],
                now: @escaping @Sendable () -> Date = WallClock.system.now) {
        self.store = store
        self.roster = roster
        self.clock = clock
        self.jobs = Dictionary(jobs.map { ($0.name, ($0.purpose, $0.call?.priority ?? CallSettings.defaultPriority)) }, uniquingKeysWith: { a, _ in a })
        self.now = now
    }

    /// How long a call waits when nobody could take it (no agent configured, all away).
    static let nobodyWait: TimeInterval = 1800

    public func send(_ message: OutgoingMessage) async -> SendOutcome {
        let t = now()
        do {
            let facts = try await store.callFacts(customerId: message.customerId, orderIds: message.orderIds)
            let away = try await store.agentsAway(on: clock.localDate(of: t))
            guard let (agent, rule) = roster.assign(orderAgent: facts.orderAgent, customerAgent: facts.customerAgent,
                                                    loads: try await store.callLoads(), away: away, at: t, clock: clock) else {
                return .retry("no agent to take the call: give a console user the role agent, or mark one back", after: Self.nobodyWait)
            }
            let job = jobs[message.job]
            _ = try await store.assignCall(CallAssignment(
                outboxId: message.id, customerId: message.customerId, job: message.job, agent: agent.login, rule: rule,
                purposeRank: job?.purpose.sendingPriority ?? 0, jobPriority: job?.priority ?? CallSettings.defaultPriority,
                amount: facts.amount, assignedAt: t, nextTryAt: t))
            return .sent(providerId: CallRecord.reference(message.id))
        } catch {
            return .retry("the call could not be handed to an agent: \(error)", after: 60)
        }
    }

    /// Outcomes come from the console, never from a provider's call.
    public var takesReceipts: Bool { true }

    public func receipts(_ request: ReceiptRequest, now: Date, clock: ShopClock) -> CallbackVerdict {
        .refused("calls are recorded by the care team in the console, not by a webhook")
    }
}
