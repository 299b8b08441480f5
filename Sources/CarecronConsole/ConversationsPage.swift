import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation

/// The conversations waiting for the care team, above *Tin khách trả lời*: the most urgent
/// first, those past the handbook's time marked (issue 29).
struct WaitingConversation: Encodable {
    let id: String
    let customerId: String?
    let customerName: String
    let channel: String
    let kind: String
    let text: String
    let agent: String
    let due: String
    let overdue: Bool
    let state: String

    init(_ c: Conversation, roster: AgentRoster, words: ScheduleWords, clock: ShopClock, now: Date) {
        id = String(c.id)
        customerId = c.customerId
        customerName = c.customerName ?? c.customerId ?? Masking.contact(c.from)
        channel = words.word("channel_\(c.channel)")
        kind = words.say(ConversationWords.kind(c))
        text = c.lastText ?? ""
        agent = c.agent.map { roster.agent($0)?.displayName ?? $0 } ?? words.word("conv_nobody")
        overdue = c.isOverdue(at: now)
        due = overdue ? words.say(Sentence("conversation.overdue", ["late": .span(TimeSpan(seconds: Int(now.timeIntervalSince(c.dueAt))))]))
                      : words.instant(c.dueAt, clock: clock)
        state = words.word("conv_state_\(c.state.rawValue)")
    }
}

enum ConversationWords {
    /// "Khiếu nại · giao hàng", "Tin nhắn của khách".
    static func kind(_ c: Conversation) -> Sentence {
        guard let category = c.category else { return Sentence("conversation.kind.\(c.kind.rawValue)") }
        return Sentence("conversation.kind_category", ["kind": .word("conversation.kind.\(c.kind.rawValue)"), "category": .word("feedback.\(category.rawValue)")])
    }
}

/// One conversation: what the customer said, what the care team answered, and the forms to
/// answer and to resolve it.
struct ConversationModel: PageModel {
    struct Event: Encodable {
        let at: String
        let who: String
        let text: String
        let inbound: Bool
        let outbound: Bool
    }

    let id: String
    let customerId: String?
    let customerName: String
    let kind: String
    let channel: String
    let agent: String
    let opened: String
    let due: String
    let overdue: Bool
    let state: String
    let resolved: Bool
    let resolution: String?
    let events: [Event]
    let canAct: Bool
    /// Where an answer goes ("SMS tới 0912 345 678"); nil when the customer cannot be written to.
    let answerRoute: String?
    /// Whether an answer goes at once (within the customer's window) or after the quiet hours.
    let answerWhen: String
    let token: String
    var done: String?
}

struct ConversationPage {
    let store: any CareStore
    let config: ShopConfig
    let words: ScheduleWords

    func model(_ id: Int64, session: ConsoleSession, now: Date) async throws -> ConversationModel? {
        guard let (c, events) = try await store.conversation(id) else { return nil }
        let clock = config.clock, roster = config.console.roster
        var phone: String?, email: String?
        if let customerId = c.customerId, let (customer, _) = try await store.customerWithOrders(id: customerId) {
            phone = customer.facts.phone
            email = customer.facts.email
        }
        let route = ConversationDesk(store: store, config: config).route(c, phone: phone, email: email)
        let answerAt = config.conversations.answerTime(now: now, lastFromCustomer: c.lastInAt, policy: config.policy)
        return ConversationModel(
            id: String(c.id), customerId: c.customerId, customerName: c.customerName ?? c.customerId ?? Masking.contact(c.from),
            kind: words.say(ConversationWords.kind(c)), channel: words.word("channel_\(c.channel)"),
            agent: c.agent.map { roster.agent($0)?.displayName ?? $0 } ?? words.word("conv_nobody"),
            opened: words.instant(c.openedAt, clock: clock), due: words.instant(c.dueAt, clock: clock), overdue: c.isOverdue(at: now),
            state: words.word("conv_state_\(c.state.rawValue)"), resolved: c.state == .resolved, resolution: c.resolution,
            events: events.map { e in
                ConversationModel.Event(at: words.instant(e.at, clock: clock),
                                        who: e.direction == .inbound ? (e.by.map { words.say(Sentence("conversation.recorded_by", ["by": .text($0)])) } ?? c.customerName ?? words.word("conv_customer"))
                                                                     : (e.by.map { roster.agent($0)?.displayName ?? $0 } ?? ""),
                                        text: e.text, inbound: e.direction == .inbound, outbound: e.direction == .outbound)
            },
            canAct: session.role == .editor || (session.role == .agent && (c.agent == nil || c.agent == session.user)),
            answerRoute: route.map { words.say(Sentence("conversation.route", ["channel": .text(words.word("channel_\($0.channel.rawValue)")),
                                                                                  "to": .text(VietnameseFormat.phone($0.to))])) },
            answerWhen: answerAt <= now ? words.word("conv_answer_now") : words.say(Sentence("conversation.answer_later", ["at": .at(answerAt, clock)])),
            token: Console.token())
    }
}
