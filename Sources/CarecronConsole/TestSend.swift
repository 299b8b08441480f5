import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation

/// A test of a job for one real customer, composed exactly as the plan composes it (the same
/// orders combined, the same variant, at the planned time), sent through the real sender of
/// one channel to an address on `console.testRecipients` only. It goes around the outbox: no
/// customer's cap counts it, no job's metric sees it; the audit log records it.
struct TestSend {
    let config: ShopConfig
    let store: any CareStore

    struct Refusal: Error { let reason: Sentence }
    /// The user's test sends for this minute are used up.
    struct Limited: Error {}

    /// What the test sends: the customer's next planned message of the job in the coming week
    /// (its orders, variant and time), or, when the plan has none, the job's first variant with
    /// the customer's newest order, now.
    struct Composition {
        var orders: [OrderSnapshot]
        var variant: Int
        var reminder: (Int, Int)?
        var at: Date
        /// Whether it is the plan's own message (else the stand-in above).
        var planned: Bool
    }

    /// How the plan composes the job's next message for the customer.
    func composition(job: JobDefinition, jobs: [JobDefinition], customer: CustomerSnapshot, orders: [OrderSnapshot], now: Date) async throws -> Composition {
        let clock = config.clock
        let from = clock.startOfDay(clock.localDate(of: now)), to = from.addingTimeInterval(8 * 86_400)
        let planner = CarePlanner(policy: config.policy, jobs: jobs)
        let input = try await store.planningInput(for: planner, from: from, to: to)
        let next = planner.plan(input, from: from, to: to).first { e in
            e.kind == .message && e.job == job.name && e.customerId == customer.id && e.at >= now.addingTimeInterval(-86_400)
        }
        if let e = next {
            let byId = Dictionary(orders.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            return Composition(orders: e.orderIds.compactMap { byId[$0] }, variant: e.variant ?? 0,
                               reminder: e.reminder.map { ($0, job.templates.count) }, at: e.at, planned: true)
        }
        return Composition(orders: Array(orders.prefix(1)), variant: 0, reminder: job.rules.remindsInTurns ? (1, job.templates.count) : nil,
                           at: now, planned: false)
    }

    /// `permit` is asked right before sending: a refused request uses no test send. `variant`
    /// nil: the plan's.
    func send(job: JobDefinition, jobs: [JobDefinition], variant: Int?, customerId: String, channel: ChannelKind, recipient: String, now: Date,
              permit: () async -> Bool) async throws -> (rendering: Rendering, outcome: SendOutcome, composition: Composition) {
        guard let allowed = Self.allowed(recipient, in: config.console.testRecipients) else {
            throw Refusal(reason: Sentence("test.not_allowed", ["recipient": .text(recipient)]))
        }
        guard Self.fits(allowed, channel) else { throw Refusal(reason: Sentence("test.channel_cannot_carry", ["channel": .text(channel.rawValue), "recipient": .text(allowed)])) }
        guard job.channels.contains(channel) else { throw Refusal(reason: Sentence("test.job_lacks_channel", ["job": .text(job.name), "channel": .text(channel.rawValue)])) }
        if let variant, !job.templates.indices.contains(variant) {
            throw Refusal(reason: Sentence("test.no_variant", ["job": .text(job.name), "variant": .number(variant + 1)]))
        }
        // A name, a phone or an order id finds the customer as the search box does.
        guard let id = try await store.searchCustomers(customerId, limit: 1).first?.id,
              let (customer, orders) = try await store.customerWithOrders(id: id) else {
            throw Refusal(reason: Sentence("test.no_customer", ["customer": .text(customerId)]))
        }
        var plan = try await composition(job: job, jobs: jobs, customer: customer, orders: orders, now: now)
        if let variant, variant != plan.variant {
            plan.variant = variant
            if plan.reminder != nil { plan.reminder = (variant + 1, job.templates.count) }
        }
        // The customer's own words, addressed to the test recipient: the channel must reach
        // them, so the composer is given the recipient as their contact on that channel.
        let f = customer.facts
        let addressed = CustomerSnapshot(
            facts: CustomerFacts(id: f.id, name: f.name, gender: f.gender, phone: allowed.contains("@") ? f.phone : allowed,
                                 email: allowed.contains("@") ? allowed : f.email, tier: f.tier),
            optOut: .none, birthMonthDay: customer.birthMonthDay, zaloUserId: customer.zaloUserId)
        let composer = MessageComposer(policy: config.policy)
        guard var rendering = composer.compose(job, variant: plan.variant, customer: addressed, orders: plan.orders, reminder: plan.reminder,
                                               at: plan.at, skipping: Set(ChannelKind.allCases.filter { $0 != channel })) else {
            throw Refusal(reason: Sentence("test.nothing_to_render", ["channel": .text(channel.rawValue)]))
        }
        rendering.to = allowed.hasPrefix("zalo:") ? String(allowed.dropFirst("zalo:".count)) : allowed
        guard let senderName = config.channels[channel] else { throw Refusal(reason: Sentence("test.no_sender", ["channel": .text(channel.rawValue)])) }
        let (senders, problems) = SenderFactory.build(config)
        defer { Task { for s in senders.values { await s.shutdown() } } }
        guard let sender = senders[senderName] else {
            throw Refusal(reason: Sentence("test.sender_broken", ["sender": .text(senderName), "why": .text(problems.first { $0.sender == senderName }?.reason ?? "")]))
        }
        var message = OutgoingMessage(id: 0, idempotencyKey: "console-test:\(UUID().uuidString.lowercased())", job: job.name,
                                      channel: rendering.channel, to: rendering.to, subject: rendering.subject, text: rendering.text,
                                      params: rendering.params, templateId: rendering.templateId)
        message.rendering = rendering
        // A console test is a template's test: a ZNS one goes in Zalo's development mode, which
        // reaches the OA's administrators only (issue 27).
        message.development = true
        guard await permit() else { throw Limited() }
        return (rendering, await sender.send(message), plan)
    }

    /// The allow-list's own spelling of a recipient (phones compared as +84…), or nil.
    static func allowed(_ recipient: String, in list: [String]) -> String? {
        let normal = recipient.contains("@") || recipient.hasPrefix("zalo:") ? recipient : ((try? PhoneNumber(parsing: recipient))?.e164 ?? recipient)
        return list.first { $0.caseInsensitiveCompare(normal) == .orderedSame }
    }

    static func fits(_ recipient: String, _ channel: ChannelKind) -> Bool {
        switch channel {
        case .email: return recipient.contains("@")
        case .sms: return recipient.hasPrefix("+")
        case .zalo: return recipient.hasPrefix("+") || recipient.hasPrefix("zalo:")
        case .webhook: return true
        // A call is made by a person: nothing to send to a test recipient.
        case .call: return false
        }
    }
}

/// At most so many test sends a minute per user.
actor TestSendLimiter {
    private var sent: [String: [Date]] = [:]

    func allow(_ user: String, now: Date, perMinute: Int) -> Bool {
        let recent = (sent[user] ?? []).filter { now.timeIntervalSince($0) < 60 }
        guard recent.count < perMinute else { sent[user] = recent; return false }
        sent[user] = recent + [now]
        return true
    }
}
