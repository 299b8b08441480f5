import CarecronConfig
import CarecronDomain
import CarecronStorage
import Foundation

/// The `call` channel's carrier: the care team. "Sending" a call hands it to an agent by the
/// rule (`AgentRoster.assign`), once, whichever node sends; the agent's outcome comes back
/// later as the row's receipt (`CallStore.recordCall`), as a provider's delivery report does,
/// so an unanswered call falls back to the job's next channel by the same step.
public struct CallDesk: ReceivesReceipts {
    public let name = CallRecord.desk
    /// One call at a time: each assignment reads the loads the one before it left.
    public let limits = SenderLimits(concurrency: 1, maxAttempts: 10)
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
        // Nobody to call: the job's next channel sends the message instead, now rather than never.
        guard !roster.isEmpty else { return .rejected("no care agent is configured (console.users with the role agent)") }
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

/// An agent away for a day: marked in the store, and their open calls handed to the others by
/// the same rule (the customer's own agent if present, else the least loaded on shift).
public struct CallReassignment: Sendable {
    let store: any CallStore
    let roster: AgentRoster
    let clock: ShopClock

    public init(store: any CallStore, roster: AgentRoster, clock: ShopClock) {
        self.store = store
        self.roster = roster
        self.clock = clock
    }

    /// Marks `agent` away (or back) on `day`; how many of their open calls moved.
    @discardableResult
    public func mark(_ agent: String, away: Bool, on day: LocalDate, by user: String, now: Date) async throws -> Int {
        try await store.setAway(agent, on: day, away: away, by: user, now: now)
        guard away else { return 0 }
        let absent = try await store.agentsAway(on: day)
        var loads = try await store.callLoads()
        let open = try await store.calls(CallQuery(agent: agent, day: day, clock: clock)).filter { $0.state == .open }
        var moved = 0
        // The day's working hours, not the instant of the marking: a morning's absence marked the night before still finds the day shift.
        let at = max(now, clock.startOfDay(day))
        for call in open.inListOrder {
            let facts = try await store.callFacts(customerId: call.assignment.customerId, orderIds: call.orderIds)
            guard let (next, rule) = roster.assign(orderAgent: facts.orderAgent, customerAgent: facts.customerAgent, loads: loads,
                                                   away: absent, at: at, clock: clock) else { break }
            if try await store.reassignCall(call.outboxId, to: next.login, rule: rule, now: now) {
                loads[next.login, default: 0] += 1
                loads[agent, default: 0] -= 1
                moved += 1
            }
        }
        return moved
    }
}

/// What a person says of a call, from the console's buttons or a call centre's system
/// (`POST /v1/calls/ID/outcome`): the effect by the rules, recorded once with the row's
/// receipt; a complaint opens a conversation for it.
public struct CallOutcomes: Sendable {
    let store: any CareStore
    let config: ShopConfig
    let jobs: [JobDefinition]

    public init(store: any CareStore, config: ShopConfig, jobs: [JobDefinition]) {
        self.store = store
        self.config = config
        self.jobs = jobs
    }

    public struct Said: Sendable {
        public var result: CallResult
        public var note: String?
        public var rating: Int?
        public var callBackAt: Date?
        public var category: FeedbackCategory?

        public init(result: CallResult, note: String?, rating: Int?, callBackAt: Date?, category: FeedbackCategory?) {
            self.result = result
            self.note = note.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
            self.rating = rating.flatMap { (1...5).contains($0) ? $0 : nil }
            self.callBackAt = callBackAt
            self.category = category
        }
    }

    /// Records it for `call`; the effect, or nil when the call was not open any more.
    public func record(_ said: Said, for call: CallItem, by user: String, now: Date) async throws -> CallEffect? {
        let job = jobs.first { $0.name == call.assignment.job }
        let effect = CallEffect.of(said.result, tries: call.tries, callBackAt: said.callBackAt, now: now,
                                   agent: config.console.roster.agent(call.assignment.agent), purpose: job?.purpose ?? .transactional,
                                   calls: config.calls, policy: config.policy)
        var waitUntil: Date?
        if case .tryAgain(let next) = effect, let job, let wait = DeliveryFallback.wait(job, on: .call) {
            waitUntil = next.addingTimeInterval(wait.interval)
        }
        // A complaint on the phone is followed as a conversation until resolved (and pauses
        // advertising meanwhile): opened first, so a failure leaves the call open to press again.
        if said.result == .complaint, call.state == .open {
            _ = try await ConversationDesk(store: store, config: config)
                .take(customerId: call.assignment.customerId, from: call.phone, channel: ChannelKind.call.rawValue, sender: nil, kind: .complaint,
                      category: said.category ?? .other, orderId: call.orderIds.first, text: said.note ?? call.script, at: now, recordedBy: user)
        }
        guard try await store.recordCall(CallRecord(outboxId: call.outboxId, result: said.result, effect: effect, note: said.note,
                                                    rating: said.rating, by: user, at: now, triesBefore: call.tries, waitUntil: waitUntil)) else { return nil }
        return effect
    }
}
