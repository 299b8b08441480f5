import Foundation

/// A customer as the planner sees one. A class, immutable: the planner passes tens of thousands
/// of these around, and a copy of a struct of strings costs a retain per string.
public final class CustomerSnapshot: Sendable {
    public let facts: CustomerFacts
    public let optOut: OptOut
    /// "MM-DD" of the birthday, if known.
    public let birthMonthDay: String?
    public let zaloUserId: String?
    /// A complaint of theirs is not resolved: advertising waits (issue 29).
    public let advertisingPaused: Bool

    public init(facts: CustomerFacts, optOut: OptOut = .none, birthMonthDay: String? = nil, zaloUserId: String? = nil,
                advertisingPaused: Bool = false) {
        self.advertisingPaused = advertisingPaused
        self.facts = facts
        self.optOut = optOut
        self.birthMonthDay = birthMonthDay
        self.zaloUserId = zaloUserId
    }

    public var id: String { facts.id }

    /// The same customer with their advertising paused.
    public var pausingAdvertising: CustomerSnapshot {
        CustomerSnapshot(facts: facts, optOut: optOut, birthMonthDay: birthMonthDay, zaloUserId: zaloUserId, advertisingPaused: true)
    }

    /// Why a message of this purpose does not reach them (nil when it does).
    public func refusal(_ purpose: Purpose) -> Sentence? {
        guard !accepts(purpose) else { return nil }
        if optOut == .all { return Sentence("skip.opted_out_all") }
        return optOut == .marketing ? Sentence("skip.opted_out_marketing") : Sentence("skip.complaint_open")
    }

    /// Whether a message of this purpose may reach the customer at all (DOMAIN.md §6, §7).
    public func accepts(_ purpose: Purpose) -> Bool {
        if advertisingPaused, purpose == .marketing { return false }
        switch optOut {
        case .none: return true
        case .marketing: return purpose != .marketing
        case .all: return false
        }
    }
}

/// An order as the planner sees one: its timeline, so that a simulation can ask what it was at
/// any instant (placed at `placedAt`, paid at `paidAt`, delivered at `deliveredAt`). A class,
/// immutable, for the same reason as `CustomerSnapshot`.
public final class OrderSnapshot: Sendable {
    public let id: String
    public let customerId: String
    public let placedAt: Date
    public let amount: Int
    public let paymentMethod: PaymentMethod
    public let status: OrderStatus
    public let paidAt: Date?
    public let deliveredAt: Date?
    public let items: String
    public let agent: String?
    /// When carecron first knew of the order (an import or API call after its slot makes it late).
    public let knownAt: Date
    /// When carecron marked it expired, if it did.
    public let expiredAt: Date?

    public init(id: String, customerId: String, placedAt: Date, amount: Int, paymentMethod: PaymentMethod = .prepaid,
                status: OrderStatus = .pending, paidAt: Date? = nil, deliveredAt: Date? = nil, items: String = "",
                agent: String? = nil, knownAt: Date? = nil, expiredAt: Date? = nil) {
        self.id = id
        self.customerId = customerId
        self.placedAt = placedAt
        self.amount = amount
        self.paymentMethod = paymentMethod
        self.status = status
        self.paidAt = paidAt
        self.deliveredAt = deliveredAt
        self.items = items
        self.agent = agent
        self.knownAt = knownAt ?? placedAt
        self.expiredAt = expiredAt
    }

    public var isCashOnDelivery: Bool { paymentMethod == .cod }

    /// Paid by instant `t`. An order marked paid without a time counts as paid from the start.
    public func isPaid(at t: Date) -> Bool {
        if let paidAt { return paidAt <= t }
        return (status == .paid || status == .delivered) && !isCashOnDelivery
    }

    /// Cancelled or returned: no message about it any more.
    public var isWithdrawn: Bool { status.isWithdrawn }

    /// Already expired in the shop's own data, or by carecron before `t`.
    public func isExpired(at t: Date) -> Bool {
        status == .expired || (expiredAt.map { $0 <= t } ?? false)
    }

    public var facts: OrderFacts {
        OrderFacts(id: id, amount: amount, items: items, placedAt: placedAt, paymentMethod: paymentMethod, agent: agent)
    }
}

/// What the planner works on: the customers and orders that matter for a span of time.
public struct PlanningInput: Sendable {
    public var customers: [String: CustomerSnapshot]
    public var orders: [OrderSnapshot]
    /// When reminders already went out, by occurrence key (`job:order:number`), from the outbox:
    /// the next reminder's gap is counted from the real sending, not the planned one (§1.3).
    public var reminderSentAt: [String: Date]
    /// Customers chosen by a job's filter, by the request's key (`JobRules.audiences`), in id order.
    public var audiences: [String: [CustomerSnapshot]]
    /// Campaign occasions someone paused or cancelled (by occasion id): the plan shows none of
    /// their messages as going out, whether the pause came from the console, the CLI or the API.
    public var haltedCampaigns: [String: CampaignHalt] = [:]

    /// Low survey scores answered in the replay and the span, for a job that calls them back.
    public var lowScores: [LowScore] = []

    public init(customers: [String: CustomerSnapshot], orders: [OrderSnapshot], reminderSentAt: [String: Date] = [:],
                audiences: [String: [CustomerSnapshot]] = [:]) {
        self.customers = customers
        self.orders = orders
        self.reminderSentAt = reminderSentAt
        self.audiences = audiences
    }
}

/// Spans in which the service was (or is imagined to be) down: work due then is done when it
/// comes back, by the jobs' own rules for lateness and catch-up.
public struct Downtime: Sendable {
    public var spans: [DateInterval]

    public init(_ spans: [DateInterval] = []) { self.spans = spans.sorted { $0.start < $1.start } }

    /// When the service can act on something due at `t`: `t` itself, or the end of the outage.
    public func resume(at t: Date) -> Date {
        var t = t
        for span in spans where span.start <= t && t < span.end { t = span.end }
        return t
    }
}

/// The shop-wide rules every job follows (DOMAIN.md §6, §7).
public struct CarePolicy: Sendable {
    public var clock: ShopClock
    public var quietHours: DailySpan
    public var marketingHours: DailySpan
    public var marketingDailyCap: Int
    public var context: MessageContext
    public var tiers: [Tier]
    public var holdFor: TimeSpan
    /// Signs survey links (`{{survey.link}}`); nil where config.json has no `surveys`.
    public var surveyLinks: SurveyLinks?

    public init(clock: ShopClock, quietHours: DailySpan, marketingHours: DailySpan, marketingDailyCap: Int,
                context: MessageContext, tiers: [Tier], holdFor: TimeSpan) {
        self.clock = clock
        self.quietHours = quietHours
        self.marketingHours = marketingHours
        self.marketingDailyCap = marketingDailyCap
        self.context = context
        self.tiers = tiers
        self.holdFor = holdFor
    }

    /// Whether a message of this purpose may go out at `t`: outside quiet hours, and within
    /// the advertising hours for marketing.
    public func allows(_ purpose: Purpose, at t: Date) -> Bool {
        let time = clock.timeOfDay(of: t)
        if quietHours.contains(time) { return false }
        return purpose != .marketing || marketingHours.contains(time)
    }

    /// The first instant at or after `t` at which a message of this purpose may go out.
    public func nextAllowed(_ purpose: Purpose, atOrAfter t: Date) -> Date {
        var t = t
        for _ in 0..<4 where !allows(purpose, at: t) {
            let time = clock.timeOfDay(of: t)
            let reopen = quietHours.contains(time) ? quietHours.to : marketingHours.from
            t = clock.nextOccurrence(of: reopen, atOrAfter: t)
        }
        return t
    }

    public func tier(named name: String?) -> Tier? { tiers.first { $0.name == name } }

    public func tier(forSpend spend: Int) -> Tier? {
        tiers.filter { $0.minSpend <= spend }.max { $0.minSpend < $1.minSpend }
    }
}

/// One thing the service does: a message it sends, or an order it expires.
public struct PlannedEvent: Sendable {
    /// `skip`: a candidate the rules considered and did not send then, with its `reason` (only
    /// when the planner explains itself: `simulate --explain`, the console's plan).
    public enum Kind: String, Sendable {
        case message, expire, skip

        /// At one instant: bookkeeping first, then messages, then what was not sent.
        var order: Int { self == .expire ? 0 : self == .message ? 1 : 2 }
    }

    public var at: Date
    public var job: String
    public var jobType: JobType
    public var kind: Kind
    public var customerId: String
    public var orderIds: [String]
    /// The lead order's placement and the total amount: the send order of §1.7.
    public var placedAt: Date?
    public var amount: Int
    public var reminder: Int?
    public var channel: ChannelKind?
    public var to: String?
    public var subject: String?
    public var text: String?
    /// Zalo template parameters, rendered, and the job's Zalo template.
    public var params: [String: String]
    public var templateId: String?
    /// An email's HTML form, beside `text`.
    public var html: String?
    /// Seconds its channel waits for a delivery receipt before the next one sends it.
    public var awaitReceipt: Int?
    /// Its customer is in the job's control group: planned, never sent (recorded as cancelled).
    public var heldOut: Sentence?
    /// That wait and the channel after it, said for people (`simulate --explain`, the console's plan).
    public var fallbackNote: Sentence?
    /// One idempotency key per (job, subject, occurrence) the event covers.
    public var keys: [String]
    /// Why nothing can be sent, if so (no contact for any of the job's channels).
    public var problem: String?
    /// Why a `skip` was not sent then (or why an expiry happens when it does).
    public var because: Sentence?
    /// The same in English (the log, the CLI, `simulate --explain`).
    public var reason: String? { because?.description }
    /// An expiry of an order whose hold had ended before the span and that no step had expired.
    public var overdue = false
    /// The campaign occasion it belongs to ("tet-greeting:2027-02-06"), for pausing and counting.
    public var campaign: String?
    /// After this it is no longer sent (a campaign's day is over).
    public var expiresAt: Date?
    /// Which of the job's template variants it was written with (0-based), once composed.
    public var variant: Int?

    /// An event of `job` about a customer's orders; its message (channel, recipient, words) is
    /// filled in when it is composed.
    public init(at: Date, job: JobDefinition, kind: Kind, customerId: String, orders: [OrderSnapshot], reminder: Int? = nil,
                keys: [String]) {
        self.at = at
        self.job = job.name
        self.jobType = job.type
        self.kind = kind
        self.customerId = customerId
        self.orderIds = orders.map(\.id)
        self.placedAt = orders.first?.placedAt
        self.amount = Money.total(orders.lazy.map(\.amount))
        self.reminder = reminder
        self.params = [:]
        self.keys = keys
    }

    public var orderId: String? { orderIds.first }

    /// This message as its job's control group has it: planned, recorded, not sent.
    func heldBack(_ why: Sentence) -> PlannedEvent {
        var e = self
        e.heldOut = why
        return e
    }

    /// This candidate as one the rules did not send then, and why.
    func skipped(_ why: Sentence) -> PlannedEvent {
        var e = self
        e.kind = .skip
        e.because = why
        e.draft = nil
        e.keys = []
        return e
    }

    /// The message on each further channel of the job that reaches the customer, in order: the
    /// outbox falls back to them after a permanent failure. Filled only when asked for.
    public var fallbacks: [Rendering] = []

    /// What the message is to say, until it is rendered.
    var draft: MessageDraft?

    func composedBy(_ planner: CarePlanner) -> PlannedEvent { planner.composed(self) }
}

/// Everything needed to render an event's message, kept until the event is known to be shown.
/// A class, so that events stay small while they are sorted.
final class MessageDraft: Sendable {
    init(job: JobDefinition, customer: CustomerSnapshot, orders: [OrderSnapshot], reminder: (Int, Int)?, tier: Tier?,
         variant: Int, skipping: Set<ChannelKind>, extra: [String: [String: String]] = [:]) {
        self.extra = extra
        self.job = job
        self.customer = customer
        self.orders = orders
        self.reminder = reminder
        self.tier = tier
        self.variant = variant
        self.skipping = skipping
    }

    let job: JobDefinition
    let customer: CustomerSnapshot
    let orders: [OrderSnapshot]
    let reminder: (Int, Int)?
    let tier: Tier?
    let variant: Int
    let skipping: Set<ChannelKind>
    /// Variables of this one occurrence (a low score's `survey.score`), beside the shared ones.
    let extra: [String: [String: String]]
}
