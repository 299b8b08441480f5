import CarecronDomain
import Foundation

/// What the care team's rule needs to know of a call's customer and orders.
public struct CallFacts: Sendable, Equatable {
    /// The agent the call's first order names.
    public var orderAgent: String?
    /// The agent named by the customer's latest order that names one.
    public var customerAgent: String?
    /// The call's orders' total.
    public var amount: Int

    public init(orderAgent: String? = nil, customerAgent: String? = nil, amount: Int = 0) {
        self.orderAgent = orderAgent
        self.customerAgent = customerAgent
        self.amount = amount
    }
}

/// A call handed to an agent: the outbox row it is, who takes it and why, and where it stands
/// on their list.
public struct CallAssignment: Sendable, Equatable {
    public var outboxId: Int64
    public var customerId: String?
    public var job: String
    public var agent: String
    public var rule: AssignmentRule
    public var purposeRank: Int
    public var jobPriority: Int
    public var amount: Int
    public var assignedAt: Date
    /// When the agent should call (the due time, or a call-back's).
    public var nextTryAt: Date

    public init(outboxId: Int64, customerId: String?, job: String, agent: String, rule: AssignmentRule, purposeRank: Int,
                jobPriority: Int, amount: Int, assignedAt: Date, nextTryAt: Date) {
        self.outboxId = outboxId
        self.customerId = customerId
        self.job = job
        self.agent = agent
        self.rule = rule
        self.purposeRank = purposeRank
        self.jobPriority = jobPriority
        self.amount = amount
        self.assignedAt = assignedAt
        self.nextTryAt = nextTryAt
    }
}

/// One line of an agent's list: the call, its customer and script, and what came of it so far.
public struct CallItem: Sendable, Equatable {
    public enum State: String, Sendable { case open, done }

    public var assignment: CallAssignment
    public var customerName: String?
    public var phone: String
    public var script: String
    public var orderIds: [String]
    public var dueAt: Date
    public var tries: Int
    public var state: State
    public var result: CallResult?
    public var note: String?
    public var rating: Int?
    public var doneAt: Date?
    public var doneBy: String?

    public init(assignment: CallAssignment, customerName: String?, phone: String, script: String, orderIds: [String], dueAt: Date,
                tries: Int, state: State, result: CallResult?, note: String?, rating: Int?, doneAt: Date?, doneBy: String?) {
        self.assignment = assignment
        self.customerName = customerName
        self.phone = phone
        self.script = script
        self.orderIds = orderIds
        self.dueAt = dueAt
        self.tries = tries
        self.state = state
        self.result = result
        self.note = note
        self.rating = rating
        self.doneAt = doneAt
        self.doneBy = doneBy
    }

    public var outboxId: Int64 { assignment.outboxId }

    /// Its place on the list (CallRank): open calls first, each group in the rule's order.
    public var rank: CallRank {
        CallRank(purpose: assignment.purposeRank, jobPriority: assignment.jobPriority, amount: assignment.amount, due: assignment.nextTryAt)
    }
}

extension Array where Element == CallItem {
    /// The list as the agent works through it: open calls in the rule's order, then those done, as they were done.
    public var inListOrder: [CallItem] {
        sorted { a, b in
            if a.state != b.state { return a.state == .open }
            if a.state == .done { return (a.doneAt ?? .distantPast, a.outboxId) < (b.doneAt ?? .distantPast, b.outboxId) }
            return (a.rank, a.outboxId) < (b.rank, b.outboxId)
        }
    }
}

/// An agent's list for a day: open calls due before its end, and calls finished during it.
public struct CallQuery: Sendable, Equatable {
    /// One agent's; everyone's when nil.
    public var agent: String?
    public var from: Date
    public var to: Date

    public init(agent: String?, from: Date, to: Date) {
        self.agent = agent
        self.from = from
        self.to = to
    }

    /// The shop's day `date`, for `agent`.
    public init(agent: String?, day date: LocalDate, clock: ShopClock) {
        self.init(agent: agent, from: clock.startOfDay(date), to: clock.startOfDay(date.adding(days: 1)))
    }
}

/// What an agent said of a call, and what it does.
public struct CallRecord: Sendable, Equatable {
    public var outboxId: Int64
    public var result: CallResult
    public var effect: CallEffect
    public var note: String?
    public var rating: Int?
    public var by: String
    public var at: Date
    /// The tries the outcome was decided on: a second press on the same state is refused, not counted twice.
    public var triesBefore: Int?
    /// For a call tried again: until when its message waits before the next channel takes it
    /// (the next try plus the job's wait), so a call-back is not overtaken by the fallback.
    public var waitUntil: Date?

    public init(outboxId: Int64, result: CallResult, effect: CallEffect, note: String?, rating: Int?, by: String, at: Date,
                triesBefore: Int? = nil, waitUntil: Date? = nil) {
        self.triesBefore = triesBefore
        self.waitUntil = waitUntil
        self.outboxId = outboxId
        self.result = result
        self.effect = effect
        self.note = note
        self.rating = rating
        self.by = by
        self.at = at
    }

    /// The provider reference of a call's outbox row: the care team's desk is its "provider",
    /// and an outcome is recorded as the receipt of the row.
    public static func reference(_ outboxId: Int64) -> String { "call:\(outboxId)" }
    public static let desk = "calls"

    /// The receipt this outcome amounts to, if it finishes the call.
    public var receipt: DeliveryReceipt? {
        switch effect {
        case .reached:
            return DeliveryReceipt(sender: Self.desk, reference: .providerId(Self.reference(outboxId)), status: .delivered, at: at)
        case .unreachable(let reason):
            return DeliveryReceipt(sender: Self.desk, reference: .providerId(Self.reference(outboxId)), status: .undelivered, at: at, reason: reason)
        case .tryAgain:
            return nil
        }
    }
}

/// The care team's calls (issue 29): each call is an outbox row of the `call` channel, handed
/// to one agent once (whichever node hands it), worked from their list, its outcome recorded
/// with the row's delivery in one transaction, so the reports count it as they count receipts.
public protocol CallStore: Sendable {
    /// The agents named by the call's order and by the customer's latest order, and the orders' total.
    func callFacts(customerId: String?, orderIds: [String]) async throws -> CallFacts
    /// Each agent's open calls.
    func callLoads() async throws -> [String: Int]
    /// Hands a call to its agent unless it was already: the assignment stored, whoever stored it.
    func assignCall(_ a: CallAssignment) async throws -> CallAssignment
    /// The calls of a list (`CallQuery`), in no particular order.
    func calls(_ q: CallQuery) async throws -> [CallItem]
    func call(_ outboxId: Int64) async throws -> CallItem?
    /// Records an outcome of an open call whose message is still the call, sent to the desk (its
    /// receipt recorded with it); false when it is not (done already, its message went on to the
    /// next channel or is not sent yet), or when its tries are not `triesBefore` any more.
    func recordCall(_ r: CallRecord) async throws -> Bool
    /// Hands an open call to another agent (the one it had is away).
    func reassignCall(_ outboxId: Int64, to agent: String, rule: AssignmentRule, now: Date) async throws -> Bool
    /// Agents marked away on a day, and marking one.
    func agentsAway(on day: LocalDate) async throws -> Set<String>
    func setAway(_ agent: String, on day: LocalDate, away: Bool, by user: String, now: Date) async throws
}

/// The calls' SQL, the same for both stores but for its placeholders.
public enum CallSQL {
    public static let columns = """
        k.outbox_id, k.customer_id, k.job, k.agent, k.rule, k.purpose_rank, k.job_priority, k.amount, k.assigned_at, k.next_try_at,
        c.full_name, o.recipient, o.body, o.order_ids, o.due_at, k.tries, k.state, k.result, k.note, k.rating, k.done_at, k.done_by
        """

    /// A list's calls; `agent` a placeholder or nil, `from`/`to` placeholders of seconds.
    public static func list(agent: String?, from: String, to: String) -> String {
        """
        SELECT \(columns) FROM calls k JOIN outbox o ON o.id = k.outbox_id LEFT JOIN customers c ON c.id = k.customer_id
        WHERE \(agent.map { "k.agent = \($0) AND " } ?? "")
              ((k.state = 'open' AND k.next_try_at < \(to) AND o.channel = 'call' AND o.delivery IS NULL AND COALESCE(c.opt_out, 'none') <> 'all')
               OR (k.state = 'done' AND k.done_at >= \(from) AND k.done_at < \(to)))
        """
    }

    public static func one(_ id: String) -> String {
        "SELECT \(columns) FROM calls k JOIN outbox o ON o.id = k.outbox_id LEFT JOIN customers c ON c.id = k.customer_id WHERE k.outbox_id = \(id)"
    }

    /// Open calls per agent (whose message is still the call).
    public static let loads = """
        SELECT k.agent, COUNT(*) FROM calls k JOIN outbox o ON o.id = k.outbox_id
        WHERE k.state = 'open' AND o.channel = 'call' AND o.delivery IS NULL GROUP BY k.agent
        """

    /// The row's columns in `columns`' order, as read.
    public typealias Row = (Int64, String?, String, String, String, Int, Int, Int, Int64, Int64,
                            String?, String, String, String, Int64, Int, String, String?, String?, Int?, Int64?, String?)

    public static func item(_ r: Row) -> CallItem {
        let a = CallAssignment(outboxId: r.0, customerId: r.1, job: r.2, agent: r.3, rule: AssignmentRule(rawValue: r.4) ?? .leastLoaded,
                               purposeRank: r.5, jobPriority: r.6, amount: r.7, assignedAt: date(r.8), nextTryAt: date(r.9))
        return CallItem(assignment: a, customerName: r.10, phone: r.11, script: r.12, orderIds: r.13.split(separator: ",").map(String.init),
                        dueAt: date(r.14), tries: r.15, state: CallItem.State(rawValue: r.16) ?? .open, result: r.17.flatMap(CallResult.init),
                        note: r.18, rating: r.19, doneAt: r.20.map(date), doneBy: r.21)
    }

    static func date(_ s: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(s)) }
}

/// The agents' lists of a day, as the phone page, the paper list and the benchmark read them.
public enum CallLists {
    /// Each agent's list for `day` (one agent's when `agent` is given), in list order; agents
    /// without a call are left out.
    public static func lists(_ store: any CallStore, agent: String?, day: LocalDate, clock: ShopClock) async throws -> [String: [CallItem]] {
        let calls = try await store.calls(CallQuery(agent: agent, day: day, clock: clock))
        return Dictionary(grouping: calls, by: \.assignment.agent).mapValues(\.inListOrder)
    }
}

/// What an agent sees of a customer before calling: their latest orders, messages and replies.
public struct CustomerRecent: Sendable, Equatable {
    public struct Order: Sendable, Equatable {
        public var id: String, placedAt: Date, amount: Int, status: String, items: String
        public init(id: String, placedAt: Date, amount: Int, status: String, items: String) {
            self.id = id
            self.placedAt = placedAt
            self.amount = amount
            self.status = status
            self.items = items
        }
    }

    public struct Message: Sendable, Equatable {
        public var id: Int64, job: String, channel: String, state: OutboxState, at: Date
        public init(id: Int64, job: String, channel: String, state: OutboxState, at: Date) {
            self.id = id
            self.job = job
            self.channel = channel
            self.state = state
            self.at = at
        }
    }

    public struct Reply: Sendable, Equatable {
        public var at: Date, text: String
        public init(at: Date, text: String) {
            self.at = at
            self.text = text
        }
    }

    public var orders: [Order] = []
    public var messages: [Message] = []
    public var replies: [Reply] = []

    public init() {}

    /// How many of each an agent's card shows.
    public static let orders = 3, messages = 4, replies = 3
}

/// The recent past of several customers in three queries, whatever their number (an agent's
/// page shows a hundred calls; a query per call and kind cost half a second).
public protocol CustomerRecentSource: Sendable {
    func recent(customerIds: [String]) async throws -> [String: CustomerRecent]
}

extension CallSQL {
    /// The latest rows of each customer of `ids` (a condition on `customer_id`), newest first.
    public static func recentOrders(_ ids: String) -> String {
        """
        SELECT customer_id, id, placed_at, amount, status, items FROM (
            SELECT customer_id, id, placed_at, amount, status, items,
                   ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY placed_at DESC, id DESC) AS r FROM orders WHERE customer_id \(ids)) t
        WHERE r <= \(CustomerRecent.orders) ORDER BY customer_id, r
        """
    }

    public static func recentMessages(_ ids: String) -> String {
        """
        SELECT customer_id, id, job, channel, state, at FROM (
            SELECT customer_id, id, job, channel, state, COALESCE(sent_at, next_attempt_at) AS at,
                   ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY id DESC) AS r FROM outbox WHERE customer_id \(ids)) t
        WHERE r <= \(CustomerRecent.messages) ORDER BY customer_id, r
        """
    }

    public static func recentReplies(_ ids: String) -> String {
        """
        SELECT customer_id, received_at, text FROM (
            SELECT customer_id, received_at, text, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY id DESC) AS r
            FROM replies WHERE customer_id \(ids)) t
        WHERE r <= \(CustomerRecent.replies) ORDER BY customer_id, r
        """
    }
}

/// A call's outcome whose receipt found no row: nothing of it is recorded (a store that lost the
/// call's reference would otherwise mark it done and let the fallback message go anyway).
public struct CallNotRecorded: Error, CustomStringConvertible {
    public let outboxId: Int64
    public init(outboxId: Int64) { self.outboxId = outboxId }
    public var description: String { "call \(outboxId): its outbox row does not answer to its reference; nothing recorded" }
}
