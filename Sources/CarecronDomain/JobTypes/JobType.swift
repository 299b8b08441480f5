import Foundation

/// A job's type as job files spell it ("payment-reminder"). Each type's file declares its own
/// name; the registry says which exist.
public struct JobType: RawRepresentable, Hashable, Sendable, CaseIterable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static var allCases: [JobType] { JobTypeRegistry.all.map { $0.type } }
    public var description: String { rawValue }
}

/// Everything one type of job knows, held as the `rules` of a job of that type: how its file's
/// `rules` read, what `validate` checks for it, how far back it needs orders, what it plans, and
/// whether its message is still wanted at sending. What all jobs share (quiet hours, the
/// advertising cap, rendering, ordering) stays in `CarePlanner`; the checks every job gets stay
/// in `JobChecks`.
///
/// A new type is one file with a type conforming to this protocol, and its line in
/// `JobTypeRegistry.all`. A type that sends to audiences on occasions of its own (a campaign)
/// conforms to `AudienceSending` as well.
public protocol JobRules: Sendable {
    /// The name job files use in `"type"`.
    static var type: JobType { get }

    /// Reads a job file's `rules` object (nil when the file has none), with the handbook's
    /// defaults for what is left out. Problems go to the file's sink, at their path; nil then.
    static func parse(_ rules: ObjectField?, job: ObjectField, shop: CarePolicy) -> Self?

    /// `validate`'s checks that only this type has.
    func check(_ job: JobDefinition, shop: CarePolicy, sink: DiagnosticSink)

    /// Problems of one rendered message body (text or SMS) for a sample customer, beyond the
    /// wording rules every message obeys.
    func messageProblems(_ text: String, customer: CustomerFacts) -> [Sentence]

    /// The job's events (messages and bookkeeping) in the planner's span.
    func plan(_ job: JobDefinition, _ span: PlanningSpan) -> [PlannedEvent]

    /// How many days back delivered or paid orders still matter to it: the planner's queries
    /// reach that far. Nil when it only needs the span's own orders.
    var orderHistoryDays: Int? { get }

    /// Whether it acts on unpaid orders whose hold ended before any replay reaches (order
    /// expiry): the planner's queries read those, from any date, only for such a job.
    var readsOverdueOrders: Bool { get }

    /// Whether it plans from low survey scores (`PlanningInput.lowScores`): read only for such a job.
    var readsLowScores: Bool { get }

    /// How long before a span its plan must begin for its events in the span to come out as a
    /// replay from the beginning would make them: an order's reminders run from its placement
    /// to its expiry; a daily job's orders wait for its next run. The planner replays the
    /// longest of its jobs' (an advertising job's plus the cap's day, `CarePlanner.lookback`).
    func replay(_ job: JobDefinition, shop: CarePolicy) -> TimeInterval

    /// At sending, about one of the message's orders as it is now: why the message is no longer
    /// wanted for it, or nil. (A withdrawn order, a missing customer and opt-outs are checked for
    /// every job, in `StillWanted`.)
    func reasonToCancel(_ order: OrderAtSending, now: Date) -> Sentence?

    /// Variables only this type's messages have (added to the shared ones before rendering).
    func addVariables(_ vars: inout [String: Any], at: Date, clock: ShopClock)

    /// Variables of one customer's message about these orders (a survey's signed link).
    func addVariables(_ vars: inout [String: Any], job: JobDefinition, customerId: String, orders: [OrderSnapshot], policy: CarePolicy)

    /// The least time between two of the job's messages to one customer, checked against the
    /// record at sending (a survey's "at most every N days"); nil: none.
    var minimumGapBetweenSends: TimeSpan? { get }

    /// An advertising message over the daily cap waits until the cap allows (true), or is
    /// dropped (a greeting belongs to its day).
    var waitsForMarketingCap: Bool { get }

    /// Its messages concern the customer's own order: transactional by nature.
    var concernsOwnOrder: Bool { get }

    /// It reminds in turns and may name several orders (previews number the variants and list
    /// every sample order).
    var remindsInTurns: Bool { get }

    /// Its sending instants after `after` (the schedule's firings, unless the type has its own).
    func runs(_ job: JobDefinition, after: Date, count: Int, clock: ShopClock) -> [Date]

    /// When it sends, in words for `status` and the console (the cron expression by default).
    func timing(_ job: JobDefinition) -> String

    /// Its own fields of the job file as the console's form shows them (`JobFields`): what it
    /// leaves out stays editable in the JSON only.
    static var fields: [JobField] { get }
}

extension JobRules {
    public var type: JobType { Self.type }
    public func check(_ job: JobDefinition, shop: CarePolicy, sink: DiagnosticSink) {}
    public func messageProblems(_ text: String, customer: CustomerFacts) -> [Sentence] { [] }
    public var orderHistoryDays: Int? { nil }
    public var readsOverdueOrders: Bool { false }
    public var readsLowScores: Bool { false }
    /// A job run at its schedule's firings: what waits for a run may wait the longest gap between them.
    public func replay(_ job: JobDefinition, shop: CarePolicy) -> TimeInterval {
        takesSchedule ? TimeInterval(job.schedule.longestDayGap) * 86_400 : 0
    }
    public func reasonToCancel(_ order: OrderAtSending, now: Date) -> Sentence? { nil }
    public func addVariables(_ vars: inout [String: Any], at: Date, clock: ShopClock) {}
    public func addVariables(_ vars: inout [String: Any], job: JobDefinition, customerId: String, orders: [OrderSnapshot], policy: CarePolicy) {}
    public var minimumGapBetweenSends: TimeSpan? { nil }
    public var waitsForMarketingCap: Bool { true }
    public var concernsOwnOrder: Bool { false }
    public var remindsInTurns: Bool { false }
    public func runs(_ job: JobDefinition, after: Date, count: Int, clock: ShopClock) -> [Date] {
        job.schedule.firings(after: after, count: count, clock: clock)
    }
    public func timing(_ job: JobDefinition) -> String { job.schedule.description }
    public static var fields: [JobField] { [] }
}

/// What a job type plans from: the planner's shared policies and helpers, its input, and the
/// span (with the lookback's start before it, and the outages in it).
public struct PlanningSpan {
    let planner: CarePlanner
    public let input: PlanningInput
    /// The span asked for.
    public let from: Date
    public let to: Date
    /// `from` minus the planner's lookback: events from here shape the span (a first reminder,
    /// the advertising cap) but are not shown.
    public let start: Date
    public let downtime: Downtime
    /// Where candidates not sent are recorded, when the planner explains itself.
    let decisions: Decisions?

    var policy: CarePolicy { planner.policy }

    /// Records a candidate the rules considered and did not send at `at`, and why.
    func skip(_ job: JobDefinition, customerId: String, orders: @autoclosure () -> [OrderSnapshot], at: @autoclosure () -> Date,
              _ reason: @autoclosure () -> Sentence) {
        guard let decisions else { return }
        decisions.skipped.append(PlannedEvent(at: at(), job: job, kind: .message, customerId: customerId, orders: orders(), keys: [])
            .skipped(reason()))
    }

    /// Whether the customer takes this job's messages; when not, the candidate is recorded as skipped.
    func reaches(_ customer: CustomerSnapshot?, _ job: JobDefinition, customerId: String, orders: @autoclosure () -> [OrderSnapshot],
                 at: @autoclosure () -> Date) -> Bool {
        guard let customer else {
            skip(job, customerId: customerId, orders: orders(), at: at(), Sentence("skip.customer_unknown", ["customer": .text(customerId)]))
            return false
        }
        guard let refusal = customer.refusal(job.purpose) else { return true }
        skip(job, customerId: customerId, orders: orders(), at: at(), refusal)
        return false
    }

    /// When a message due at `t` goes out (`CarePlanner.deliverable`), recording a move out of
    /// quiet hours, or a drop, as a decision.
    func deliverable(_ job: JobDefinition, at t: Date, customerId: String, orders: @autoclosure () -> [OrderSnapshot]) -> Date? {
        let at = planner.deliverable(job, at: t, downtime)
        if decisions != nil {
            let due = downtime.resume(at: t)
            if let at, at > due {
                skip(job, customerId: customerId, orders: orders(), at: due, Sentence("skip.quiet_moved", ["at": .at(at, policy.clock)]))
            } else if at == nil {
                skip(job, customerId: customerId, orders: orders(), at: due, Sentence("skip.quiet_dropped"))
            }
        }
        return at
    }
}

/// The candidates a planning run did not send, when it explains itself.
final class Decisions {
    var skipped: [PlannedEvent] = []
}

/// An order as it stands at the moment of sending (the outbox's re-check).
public struct OrderAtSending: Sendable {
    public let id: String
    public let status: OrderStatus?
    public let paidAt: Date?
    public let expiredAt: Date?
    public let deliveredAt: Date?

    public init(id: String, status: OrderStatus?, paidAt: Date?, expiredAt: Date?, deliveredAt: Date?) {
        self.id = id
        self.status = status
        self.paidAt = paidAt
        self.expiredAt = expiredAt
        self.deliveredAt = deliveredAt
    }

    /// Paid by `now`, by its payment time or its status.
    func isPaid(by now: Date) -> Bool {
        if let paidAt, paidAt <= now { return true }
        return status == .paid || status == .delivered
    }
}

extension CarePolicy {
    /// Problems of a job that sends at its schedule's firings: customers must not be woken, and
    /// advertising keeps to its hours.
    func firingTimeProblems(_ job: JobDefinition) -> [(path: String, message: Sentence)] {
        let week = job.schedule.firings(after: Date(timeIntervalSince1970: 1_764_522_000), count: 200, clock: clock)
            .filter { $0.timeIntervalSince1970 < 1_764_522_000 + 8 * 86_400 }
        let times = Set(week.map { clock.timeOfDay(of: $0) }).sorted()
        if let t = times.first(where: quietHours.contains) {
            return [("schedule", Sentence("check.fires_quiet", ["time": .text("\(t)"), "quiet": .text("\(quietHours)")]))]
        } else if job.purpose == .marketing, let t = times.first(where: { !marketingHours.contains($0) }) {
            return [("schedule", Sentence("check.fires_ad_hours", ["time": .text("\(t)"), "hours": .text("\(marketingHours)")]))]
        }
        return []
    }
}
