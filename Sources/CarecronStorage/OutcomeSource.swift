import CarecronDomain
import Foundation

/// What the outcomes report reads (issue 28): the outbox's rows of a span and the orders that may
/// answer them.
public struct OutcomeData: Sendable {
    /// Every row of the span, for the funnel.
    public var funnel: [FunnelRow] = []
    /// The sent messages and the control group's, for the attribution.
    public var messages: [MessageRecord] = []
    public var orders: [OrderRecord] = []

    public init(funnel: [FunnelRow] = [], messages: [MessageRecord] = [], orders: [OrderRecord] = []) {
        self.funnel = funnel
        self.messages = messages
        self.orders = orders
    }
}

public protocol OutcomeSource: Sendable {
    /// The rows due in [from, to) and the orders placed from a day before `from` until `ordersUntil`
    /// (the longest goal's window after `to`).
    func outcomeData(from: Date, to: Date, ordersUntil: Date) async throws -> OutcomeData
}

extension OutcomeData {
    /// The customers with a row due in [from, to): only their orders can be credited to anything,
    /// so the report reads no other (a big shop's window holds far more orders than messages).
    public static func messagedCustomers(_ from: String, _ to: String) -> String {
        "SELECT customer_id FROM outbox WHERE due_at >= \(from) AND due_at < \(to) AND customer_id IS NOT NULL"
    }

    /// One outbox row as the report reads it; nil for a row without a customer.
    public mutating func add(id: Int64, job: String, customerId: String?, orderIds: String, channel: String, state: String,
                             lastError: String?, dueAt: Int64, sentAt: Int64?, delivery: String?, deliveredAt: Int64?, variant: Int? = nil, tier: String? = nil) {
        let heldOut = state == OutboxState.cancelled.rawValue && (lastError?.hasPrefix(Holdout.recordPrefix) ?? false)
        let sent = state == OutboxState.sent.rawValue
        let delivered = delivery == DeliveryReceipt.Status.delivered.rawValue
        funnel.append(FunnelRow(id: id, job: job, channel: channel, dueAt: Date(timeIntervalSince1970: TimeInterval(dueAt)), sent: sent,
                                delivered: delivered, heldOut: heldOut, variant: variant, tier: tier))
        guard let customerId, sent || heldOut else { return }
        // When it reached the customer: its delivery where the channel reports one, else its sending;
        // the control group's, when it would have gone.
        let at = heldOut ? dueAt : (delivered ? deliveredAt : nil) ?? sentAt ?? dueAt
        messages.append(MessageRecord(id: id, job: job, customerId: customerId, orderIds: orderIds.isEmpty ? [] : orderIds.split(separator: ",").map(String.init),
                                      channel: channel, at: Date(timeIntervalSince1970: TimeInterval(at)), delivered: delivered, heldOut: heldOut))
    }
}

/// What each job achieved over [from, to): the figures `carecron report`, the API and the
/// console print alike.
public enum OutcomeQuery {
    public static func byJob(_ source: any OutcomeSource, jobs: [JobDefinition], holdFor: TimeSpan, from: Date, to: Date,
                             by grouping: OutcomeGrouping = .job, clock: ShopClock) async throws -> [JobOutcome] {
        let goals = Dictionary(jobs.compactMap { job in Goal.of(job).map { (job.name, $0) } }, uniquingKeysWith: { a, _ in a })
        let data = try await source.outcomeData(from: from, to: to, ordersUntil: to.addingTimeInterval(longestWindow(goals.values, holdFor: holdFor)))
        let conversions = Attribution.conversions(messages: data.messages, orders: data.orders, goals: goals, holdFor: holdFor)
        let rows = OutcomeReport.grouped(funnel: data.funnel, conversions: conversions, by: grouping, clock: clock)
        guard grouping == .variant else { return rows }
        return OutcomeReport.compareArms(rows, experiments: Dictionary(jobs.compactMap { job in job.experiment.map { (job.name, $0) } }, uniquingKeysWith: { a, _ in a }))
    }

    /// The days a report covers, from `from` to `to` included (YYYY-MM-DD in the shop's zone;
    /// by default the 30 days before `today`), as instants; or why the days given are not days.
    public static func span(from: String?, to: String?, today: LocalDate, clock: ShopClock) -> Result<(from: Date, to: Date), SpanProblem> {
        func day(_ text: String?, _ name: String, _ fallback: LocalDate) -> Result<LocalDate, SpanProblem> {
            guard let text else { return .success(fallback) }
            return LocalDate(iso: text).map { .success($0) } ?? .failure(SpanProblem(field: name, description: "\"\(text)\" is not a day (YYYY-MM-DD)"))
        }
        let first: LocalDate, last: LocalDate
        switch (day(from, "from", today.adding(days: -30)), day(to, "to", today.adding(days: -1))) {
        case (.failure(let p), _), (_, .failure(let p)): return .failure(p)
        case (.success(let a), .success(let b)): (first, last) = (a, b)
        }
        guard first <= last else { return .failure(SpanProblem(field: "from", description: "from must not be after to")) }
        return .success((clock.startOfDay(first), clock.startOfDay(last.adding(days: 1))))
    }

    public struct SpanProblem: Error, CustomStringConvertible {
        public let field: String
        public let description: String
    }

    /// How long after a span its conversions may still come.
    static func longestWindow(_ goals: some Sequence<Goal>, holdFor: TimeSpan) -> TimeInterval {
        goals.map { goal -> TimeInterval in
            switch goal {
            case .orderPaid: holdFor.interval
            case .orderDelivered: TimeSpan.days(30).interval
            case .newOrder(let within): within.interval
            }
        }.max() ?? 0
    }
}

/// The shop-wide measures' counts (README, "The handbook's measures"), aggregated by the store.
public protocol MeasureSource: Sendable {
    /// Customers with a purchase (paid, not returned) placed in [from, to), and those of them who
    /// made another within `within` of their first in the span.
    func retention(from: Date, to: Date, within: TimeSpan) async throws -> RetentionCount
    /// Every buyer's purchases over their life so far, by their tier now.
    func spendByTier() async throws -> [TierSpend]
}

extension OutcomeQuery {
    /// The handbook's measures over [from, to): the surveys' per job and period (a week's Monday
    /// unless `byDay`), retention over the span (bought again within `retentionWithin`), CLTV by
    /// tier (over buyers' whole life, whatever the span), and the reply response time.
    public static func measures(_ store: some SurveyStore & MeasureSource, jobs: [JobDefinition], from: Date, to: Date, byDay: Bool = false,
                                retentionWithin: TimeSpan = HandbookMeasures.defaultRetentionWindow, clock: ShopClock) async throws -> [MeasureRow] {
        let answers = try await store.surveyAnswers(from: from, to: to)
        var rows = HandbookMeasures.surveys(answers.map { ($0.job, SurveyScore(measure: $0.measure, score: $0.score, at: $0.answeredAt)) }, byWeek: !byDay, clock: clock)
        let last = clock.localDate(of: to.addingTimeInterval(-1))
        rows.append(HandbookMeasures.retention(try await store.retention(from: from, to: to, within: retentionWithin),
                                               period: "\(clock.localDate(of: from))..\(last)"))
        rows += HandbookMeasures.lifetimeValue(try await store.spendByTier())
        // Replies are not answered through carecron yet (the care team's inbox): no response time to give.
        rows.append(MeasureRow(measure: .responseTime, count: 0, value: nil))
        return rows
    }
}
