import CarecronConfig
import CarecronDomain
import CarecronStorage
import Crypto
import Foundation

/// The care team's side of a conversation (issue 29): a customer's message or a recorded
/// complaint joins or opens a conversation, handed to an agent by the calls' rule and due by
/// the handbook's time for its channel; an answer is a message of the outbox, through the
/// sender of the customer's channel where it can carry free text.
public struct ConversationDesk: Sendable {
    let store: any CareStore
    let config: ShopConfig

    public init(store: any CareStore, config: ShopConfig) {
        self.store = store
        self.config = config
    }

    /// An answer's key when its caller gives none: the same text to the same conversation is one
    /// message, however often a helpdesk retries it.
    public static func token(for text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    /// The job name an answer's outbox row carries.
    public static let job = "conversation"

    /// A customer's message, or a complaint or feedback recorded for them.
    public func take(customerId: String?, from: String, channel: String, sender: String?, kind: ConversationKind,
                     category: FeedbackCategory? = nil, orderId: String? = nil, text: String, at: Date,
                     recordedBy: String? = nil) async throws -> (ContactOutcome, Conversation) {
        let roster = config.console.roster, clock = config.clock
        let facts = try await store.callFacts(customerId: customerId, orderIds: orderId.map { [$0] } ?? [])
        let choice = roster.assign(orderAgent: facts.orderAgent, customerAgent: facts.customerAgent, loads: try await store.conversationLoads(),
                                   away: try await store.agentsAway(on: clock.localDate(of: at)), at: at, clock: clock)
        let due = config.conversations.due(channel: channel, openedAt: at, roster: roster, clock: clock)
        return try await store.addContact(NewContact(customerId: customerId, from: from, channel: channel, sender: sender, kind: kind,
                                                     category: category, orderId: orderId, text: text, at: at, recordedBy: recordedBy,
                                                     agent: choice.map { ($0.agent.login, $0.rule) }, dueAt: due),
                                          reopenWithin: config.conversations.reopenWithin)
    }

    /// How an answer reaches the customer: back on their channel where its sender carries free
    /// text (SMS, email, a webhook), else by SMS to their phone (a Zalo ZNS needs an approved
    /// template; a hotline complaint came by voice), else by email. Nil: no way to write to them.
    public func route(_ c: Conversation, phone: String?, email: String?) -> (channel: ChannelKind, to: String)? {
        if let kind = ChannelKind(rawValue: c.channel), [.sms, .email, .webhook].contains(kind), config.channels[kind] != nil, !c.from.isEmpty {
            return (kind, c.from)
        }
        if let phone, config.channels[.sms] != nil { return (.sms, phone) }
        if let email, config.channels[.email] != nil { return (.email, email) }
        return nil
    }

    /// The care team's answer, queued once per `token` (the form's: a double submit sends once).
    public func answer(_ c: Conversation, text: String, by user: String, token: String, now: Date) async throws -> Int64? {
        var customer: CustomerSnapshot?
        if let id = c.customerId { customer = try await store.customerWithOrders(id: id)?.customer }
        guard let (channel, to) = route(c, phone: customer?.facts.phone, email: customer?.facts.email) else { return nil }
        let at = config.conversations.answerTime(now: now, lastFromCustomer: c.lastInAt, policy: config.policy)
        let subject = channel == .email ? Sentence("conversation.email_subject", ["shop": .text(config.shop.name)]).text(.vi) : nil
        let rendering = Rendering(channel: channel.rawValue, to: to, subject: subject, text: text, params: [:], templateId: nil)
        let entry = OutboxEntry(keys: ["\(Self.job):\(c.id):\(token)"], job: Self.job, customerId: c.customerId, orderIds: c.orderId.map { [$0] } ?? [],
                                reminder: nil, renderings: [rendering], dueAt: at, priority: Purpose.transactional.sendingPriority)
        return try await store.answer(c.id, text: text, by: user, entry: entry, at: now)
    }
}
