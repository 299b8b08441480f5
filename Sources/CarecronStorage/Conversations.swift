import CarecronDomain
import Foundation

/// A conversation of the care team with a customer (issue 29): a reply, a complaint or a piece
/// of feedback, followed until it is resolved.
public struct Conversation: Sendable, Equatable {
    public var id: Int64
    public var customerId: String?
    public var customerName: String?
    /// Who wrote: a phone, a Zalo id or an email address (a complaint recorded by hand: the customer's phone, or "").
    public var from: String
    public var channel: String
    /// The sender that carried the customer's message (its answer goes back through it); nil when recorded by hand.
    public var sender: String?
    public var kind: ConversationKind
    public var category: FeedbackCategory?
    public var orderId: String?
    public var agent: String?
    public var rule: AssignmentRule?
    public var openedAt: Date
    /// When the care team's answer is due (the latest message from the customer's).
    public var dueAt: Date
    public var lastInAt: Date
    public var firstResponseAt: Date?
    public var resolvedAt: Date?
    public var resolution: String?
    public var resolvedBy: String?
    public var state: ConversationState
    public var contacts: Int
    public var cameBack: Bool
    /// What the customer last wrote in it.
    public var lastText: String?

    public init(id: Int64, customerId: String?, customerName: String?, from: String, channel: String, sender: String?, kind: ConversationKind,
                category: FeedbackCategory?, orderId: String?, agent: String?, rule: AssignmentRule?, openedAt: Date, dueAt: Date, lastInAt: Date,
                firstResponseAt: Date?, resolvedAt: Date?, resolution: String?, resolvedBy: String?, state: ConversationState, contacts: Int,
                cameBack: Bool, lastText: String? = nil) {
        self.lastText = lastText
        self.id = id
        self.customerId = customerId
        self.customerName = customerName
        self.from = from
        self.channel = channel
        self.sender = sender
        self.kind = kind
        self.category = category
        self.orderId = orderId
        self.agent = agent
        self.rule = rule
        self.openedAt = openedAt
        self.dueAt = dueAt
        self.lastInAt = lastInAt
        self.firstResponseAt = firstResponseAt
        self.resolvedAt = resolvedAt
        self.resolution = resolution
        self.resolvedBy = resolvedBy
        self.state = state
        self.contacts = contacts
        self.cameBack = cameBack
    }

    /// Waiting for the care team past its time.
    public func isOverdue(at now: Date) -> Bool { state == .open && dueAt < now }

    public var facts: ConversationFacts {
        ConversationFacts(openedAt: openedAt, firstResponseAt: firstResponseAt, resolvedAt: resolvedAt, contacts: contacts, cameBack: cameBack)
    }
}

/// One message or note of a conversation.
public struct ConversationEvent: Sendable, Equatable {
    public enum Direction: String, Sendable {
        /// From the customer (a reply, or a complaint as recorded).
        case inbound = "in"
        /// The care team's answer, sent as a message of the outbox.
        case outbound = "out"
        /// The resolution, or a note of the care team's.
        case note
    }

    public var at: Date
    public var direction: Direction
    public var text: String
    public var by: String?
    public var outboxId: Int64?

    public init(at: Date, direction: Direction, text: String, by: String?, outboxId: Int64? = nil) {
        self.at = at
        self.direction = direction
        self.text = text
        self.by = by
        self.outboxId = outboxId
    }
}

/// A customer's message for the care team, or a complaint recorded for them, with who takes it.
public struct NewContact: Sendable {
    public var customerId: String?
    public var from: String
    public var channel: String
    public var sender: String?
    public var kind: ConversationKind
    public var category: FeedbackCategory?
    public var orderId: String?
    public var text: String
    public var at: Date
    /// Who recorded it by hand (an agent, "hotline", an API caller); nil for a customer's reply.
    public var recordedBy: String?
    /// Who takes it if it opens a conversation, and why.
    public var agent: (login: String, rule: AssignmentRule)?
    public var dueAt: Date

    public init(customerId: String?, from: String, channel: String, sender: String?, kind: ConversationKind, category: FeedbackCategory? = nil,
                orderId: String? = nil, text: String, at: Date, recordedBy: String? = nil, agent: (login: String, rule: AssignmentRule)?, dueAt: Date) {
        self.customerId = customerId
        self.from = from
        self.channel = channel
        self.sender = sender
        self.kind = kind
        self.category = category
        self.orderId = orderId
        self.text = text
        self.at = at
        self.recordedBy = recordedBy
        self.agent = agent
        self.dueAt = dueAt
    }
}

/// What a contact did.
public enum ContactOutcome: Sendable, Equatable {
    /// A new conversation.
    case opened
    /// The customer wrote again in a conversation not resolved yet.
    case appended
    /// The customer came back soon after it was resolved: reopened, no longer resolved at the first contact.
    case reopened
}

/// Which conversations a list shows.
public struct ConversationQuery: Sendable, Equatable {
    public var states: [ConversationState]
    public var agent: String?
    public var customerId: String?
    public var limit: Int

    public init(states: [ConversationState] = [.open, .answered], agent: String? = nil, customerId: String? = nil, limit: Int = 200) {
        self.states = states
        self.agent = agent
        self.customerId = customerId
        self.limit = limit
    }
}

/// The care team's conversations (issue 29): replies, complaints and feedback followed until
/// resolved, with the handbook's response times. A customer's message and what it does to
/// their conversation (open, append, reopen) commit together; an answer is a message of the
/// outbox, written with the conversation's first response in one transaction.
public protocol ConversationStore: Sendable {
    /// A reply joins the customer's conversation not resolved yet, reopens one resolved within
    /// `reopenWithin`, or opens a new one; a complaint or feedback always opens its own.
    func addContact(_ c: NewContact, reopenWithin: TimeSpan) async throws -> (ContactOutcome, Conversation)
    /// Newest due first within each state; open ones (waiting for the care team) first.
    func conversations(_ q: ConversationQuery) async throws -> [Conversation]
    func conversation(_ id: Int64) async throws -> (Conversation, [ConversationEvent])?
    /// The care team's answer, queued in the outbox as `entry`; the outbox id, or nil when the
    /// conversation is resolved or does not exist.
    func answer(_ id: Int64, text: String, by user: String, entry: OutboxEntry, at: Date) async throws -> Int64?
    /// Resolves it with what was done; false when it is resolved already.
    func resolve(_ id: Int64, resolution: String, by user: String, at: Date) async throws -> Bool
    /// Conversations waiting for the care team, and those past their time.
    func conversationCounts(now: Date) async throws -> (open: Int, overdue: Int)
    /// Each agent's conversations not resolved.
    func conversationLoads() async throws -> [String: Int]
    /// Customers with a complaint not resolved: their advertising pauses.
    func openComplaints() async throws -> Set<String>
    /// The conversations opened in [from, to), for the handbook's response measures.
    func conversationFacts(openedFrom from: Date, to: Date) async throws -> [ConversationFacts]
}

/// The conversations' SQL shared by both stores (placeholders given by the caller).
public enum ConversationSQL {
    public static let columns = """
        v.id, v.customer_id, c.full_name, v.from_address, v.channel, v.sender, v.kind, v.category, v.order_id, v.agent, v.rule,
        v.opened_at, v.due_at, v.last_in_at, v.first_response_at, v.resolved_at, v.resolution, v.resolved_by, v.state, v.contacts, v.came_back,
        (SELECT e.text FROM conversation_events e WHERE e.conversation_id = v.id AND e.direction = 'in' ORDER BY e.id DESC LIMIT 1)
        """
    public static let from = "conversations v LEFT JOIN customers c ON c.id = v.customer_id"

    public typealias Row = (Int64, String?, String?, String, String, String?, String, String?, String?, String?, String?,
                            Int64, Int64, Int64, Int64?, Int64?, String?, String?, String, Int, Int, String?)

    public static func conversation(_ r: Row) -> Conversation {
        func date(_ s: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(s)) }
        return Conversation(id: r.0, customerId: r.1, customerName: r.2, from: r.3, channel: r.4, sender: r.5,
                            kind: ConversationKind(rawValue: r.6) ?? .reply, category: r.7.flatMap(FeedbackCategory.init), orderId: r.8,
                            agent: r.9, rule: r.10.flatMap(AssignmentRule.init), openedAt: date(r.11), dueAt: date(r.12), lastInAt: date(r.13),
                            firstResponseAt: r.14.map(date), resolvedAt: r.15.map(date), resolution: r.16, resolvedBy: r.17,
                            state: ConversationState(rawValue: r.18) ?? .open, contacts: r.19, cameBack: r.20 != 0, lastText: r.21)
    }

    /// The list's condition (placeholders in order: the states, then the agent, then the customer, as given).
    public static func list(states: [String], agent: String?, customer: String?) -> String {
        var conditions = ["v.state IN (\(states.joined(separator: ", ")))"]
        if let agent { conditions.append("v.agent = \(agent)") }
        if let customer { conditions.append("v.customer_id = \(customer)") }
        return "SELECT \(columns) FROM \(from) WHERE \(conditions.joined(separator: " AND "))"
    }

    /// The order of a list: waiting for the care team first, the most urgent first.
    public static let order = "CASE v.state WHEN 'open' THEN 0 WHEN 'answered' THEN 1 ELSE 2 END, v.due_at, v.id"
}
