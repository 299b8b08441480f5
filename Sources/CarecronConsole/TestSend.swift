import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation

/// A test of one variant of a job for one real customer, sent through the real sender of one
/// channel, to an address on `console.testRecipients` only. It goes around the outbox: no
/// customer's cap counts it, no job's metric sees it; the audit log records it.
struct TestSend {
    let config: ShopConfig
    let store: any CareStore

    struct Refusal: Error { let reason: String }
    /// The user's test sends for this minute are used up.
    struct Limited: Error {}

    /// `permit` is asked right before sending: a refused request uses no test send.
    func send(job: JobDefinition, variant: Int, customerId: String, channel: ChannelKind, recipient: String, now: Date,
              permit: () async -> Bool) async throws -> (rendering: Rendering, outcome: SendOutcome) {
        guard let allowed = Self.allowed(recipient, in: config.console.testRecipients) else {
            throw Refusal(reason: "\(recipient) is not in console.testRecipients")
        }
        guard Self.fits(allowed, channel) else { throw Refusal(reason: "\(channel.rawValue) cannot carry a message to \(allowed)") }
        guard job.channels.contains(channel) else { throw Refusal(reason: "\(job.name) does not send on \(channel.rawValue)") }
        guard job.templates.indices.contains(variant) else { throw Refusal(reason: "\(job.name) has no variant \(variant + 1)") }
        guard let (customer, orders) = try await store.customerWithOrders(id: customerId) else {
            throw Refusal(reason: "no customer \(customerId)")
        }
        // The customer's own words, addressed to the test recipient: the channel must reach
        // them, so the composer is given the recipient as their contact on that channel.
        let f = customer.facts
        let addressed = CustomerSnapshot(
            facts: CustomerFacts(id: f.id, name: f.name, gender: f.gender, phone: allowed.contains("@") ? f.phone : allowed,
                                 email: allowed.contains("@") ? allowed : f.email, tier: f.tier),
            optOut: .none, birthMonthDay: customer.birthMonthDay, zaloUserId: customer.zaloUserId)
        let shown = job.rules.remindsInTurns ? Array(orders.prefix(2)) : Array(orders.prefix(1))
        let composer = MessageComposer(policy: config.policy)
        guard var rendering = composer.compose(job, variant: variant, customer: addressed, orders: shown,
                                               reminder: job.rules.remindsInTurns ? (variant + 1, job.templates.count) : nil,
                                               at: now, skipping: Set(ChannelKind.allCases.filter { $0 != channel })) else {
            throw Refusal(reason: "nothing to render on \(channel.rawValue)")
        }
        rendering.to = allowed.hasPrefix("zalo:") ? String(allowed.dropFirst("zalo:".count)) : allowed
        guard let senderName = config.channels[channel] else { throw Refusal(reason: "channel \(channel.rawValue) has no sender") }
        let (senders, problems) = SenderFactory.build(config)
        defer { Task { for s in senders.values { await s.shutdown() } } }
        guard let sender = senders[senderName] else {
            throw Refusal(reason: problems.first { $0.sender == senderName }?.line ?? "sender \(senderName) cannot be built")
        }
        var message = OutgoingMessage(id: 0, idempotencyKey: "console-test:\(UUID().uuidString.lowercased())", job: job.name,
                                      channel: rendering.channel, to: rendering.to, subject: rendering.subject, text: rendering.text,
                                      params: rendering.params, templateId: rendering.templateId)
        message.rendering = rendering
        guard await permit() else { throw Limited() }
        return (rendering, await sender.send(message))
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
