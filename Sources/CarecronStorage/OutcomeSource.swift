import CarecronDomain
import Foundation

/// What the outcomes report reads (issue 28), kept as the outbox changes so that a report of a
/// big shop sums a few thousand rows instead of reading ten million (README, "How the report
/// stays fast"):
/// - `outcome_funnel`: the outbox's rows per job, channel, variant and minute due (planned,
///   sent, delivered, the control group's), kept by the outbox's own writes, and the
///   conversions credited to them (converted messages, the control group's, conversions, đồng),
///   kept as customers are recomputed;
/// - `outcome_conversions`: each goal reached, credited to its message (job and order unique),
///   recomputed for the customers marked (SQLite `outcome_changed`, PostgreSQL `outcome_marks`)
///   whenever their messages or orders change. Attribution reads one customer's messages and
///   orders only (an order's message counts for it while the order is that customer's), so
///   recomputing a customer gives the same credit as recomputing the whole shop.
public protocol OutcomeSource: Sendable {
    /// Recomputes the conversions of up to `limit` customers whose messages or orders changed
    /// (all of them first, if the goals differ from those the ledger was made with); how many
    /// customers were done, and whether some are still marked.
    func refreshConversions(goals: OutcomeGoals, limit: Int) async throws -> (done: Int, more: Bool)
    /// The sums of the rows due in [from, to) by job, channel, variant and `time`, as the last
    /// refresh left them (PostgreSQL folds the outbox's counts in then); by the customers' tiers
    /// now, if `byTier` (read from the outbox itself: a tier is the customer's now, not the message's).
    func outcomeBuckets(from: Date, to: Date, time: BucketTime, byTier: Bool) async throws -> [OutcomeBucket]
    /// The rows and orders attribution reads for some customers: their sent and control-group messages, their orders.
    func attributionData(customers: [String]) async throws -> OutcomeData
}

/// The goals the ledger's conversions were computed with; a report with other goals recomputes them all.
public struct OutcomeGoals: Sendable, Equatable {
    public let goals: [String: Goal]
    public let holdFor: TimeSpan

    public init(jobs: [JobDefinition], holdFor: TimeSpan) {
        goals = Dictionary(jobs.compactMap { job in Goal.of(job).map { (job.name, $0) } }, uniquingKeysWith: { a, _ in a })
        self.holdFor = holdFor
    }

    /// Stored beside the ledger: the goals in job order, and the hold.
    public var fingerprint: String {
        let each = goals.sorted { $0.key < $1.key }.map { job, goal -> String in
            switch goal {
            case .orderPaid: "\(job)=paid"
            case .orderDelivered: "\(job)=delivered"
            case .newOrder(let within): "\(job)=order<\(within.seconds)"
            }
        }
        return (each + ["hold=\(holdFor.seconds)"]).joined(separator: ";")
    }

    public static let stateKey = "outcome_goals"
}

/// The rows attribution reads for a few customers, and each message's bucket.
public struct OutcomeData: Sendable {
    public var messages: [MessageRecord] = []
    public var orders: [OrderRecord] = []
    /// Each message's minute due, channel and variant: where its conversions are summed.
    public var buckets: [Int64: (customerId: String, minute: Int64, channel: String, variant: Int?)] = [:]

    public init() {}

    /// One outbox row as attribution reads it; ignored unless sent or the control group's.
    public mutating func add(id: Int64, job: String, customerId: String, orderIds: String, channel: String, state: String,
                             lastError: String?, dueAt: Int64, sentAt: Int64?, delivery: String?, deliveredAt: Int64?, variant: Int?) {
        let heldOut = state == OutboxState.cancelled.rawValue && (lastError?.hasPrefix(Holdout.recordPrefix) ?? false)
        let delivered = delivery == DeliveryReceipt.Status.delivered.rawValue
        guard state == OutboxState.sent.rawValue || heldOut else { return }
        // When it reached the customer: its delivery where the channel reports one, else its sending;
        // the control group's, when it would have gone.
        let at = heldOut ? dueAt : (delivered ? deliveredAt : nil) ?? sentAt ?? dueAt
        messages.append(MessageRecord(id: id, job: job, customerId: customerId, orderIds: orderIds.isEmpty ? [] : orderIds.split(separator: ",").map(String.init),
                                      channel: channel, at: Date(timeIntervalSince1970: TimeInterval(at)), delivered: delivered, heldOut: heldOut))
        buckets[id] = (customerId, dueAt / 60, channel, variant)
    }

    /// The ledger's rows for these customers: each conversion with its message's bucket, the
    /// first of each message's marked (a message converted counts once, however many orders).
    public func conversions(_ goals: OutcomeGoals) -> [LedgerRow] {
        var seen = Set<Int64>()
        return Attribution.conversions(messages: messages, orders: orders, goals: goals.goals, holdFor: goals.holdFor).compactMap { c in
            guard let bucket = buckets[c.messageId] else { return nil }
            return LedgerRow(job: c.job, orderId: c.orderId, customerId: bucket.customerId, messageId: c.messageId, reachedAt: Int64(c.at.timeIntervalSince1970),
                             revenue: c.revenue, heldOut: c.heldOut, firstOfMessage: seen.insert(c.messageId).inserted,
                             minute: bucket.minute, channel: bucket.channel, variant: bucket.variant)
        }
    }
}

/// One row of `outcome_conversions`.
public struct LedgerRow: Sendable, Equatable {
    public let job: String, orderId: String, customerId: String
    public let messageId: Int64, reachedAt: Int64
    public let revenue: Int
    public let heldOut: Bool, firstOfMessage: Bool
    public let minute: Int64
    public let channel: String
    public let variant: Int?
}

/// The outcome tables' SQL both stores share (integers for booleans, as SQLite keeps them).
public enum OutcomeLedgerSQL {
    /// Whether an outbox row (`r.` columns) was held out as the control group.
    public static func heldOut(_ r: String) -> String { "(\(r).state = 'cancelled' AND \(r).last_error LIKE '\(Holdout.recordPrefix)%')" }
    public static func sent(_ r: String) -> String { "(\(r).state = 'sent')" }
    public static func delivered(_ r: String) -> String { "(\(r).delivery = 'delivered')" }
    /// Whether attribution reads the row: sent, or the control group's.
    public static func credited(_ r: String) -> String { "(\(sent(r)) OR \(heldOut(r)))" }

    /// What differs between the two stores' SQL here.
    public enum Dialect: Sendable {
        case sqlite, postgres

        /// A boolean as 0 or 1 (SQLite's already are).
        func int(_ sql: String) -> String { self == .sqlite ? sql : "(\(sql))::int" }
        /// A sum as a 64-bit integer (PostgreSQL's sum of a bigint is a numeric).
        func sum(_ sql: String) -> String { self == .sqlite ? "SUM(\(sql))" : "SUM(\(sql))::bigint" }
    }

    /// The sums of `outcome_funnel` over [from, to) (bound as $1/$2 or ?), by job, channel,
    /// variant and the time key: no message read, and without a time key no sorting either (the
    /// rows come in the key's order; a constant key in the GROUP BY made SQLite sort them all).
    public static func buckets(time: BucketTime, from: String, to: String, _ d: Dialect) -> String {
        """
        SELECT job, channel, variant, CAST(\(time.sql(minutes: "minute")) AS BIGINT) AS k,
               \(["planned", "sent", "delivered", "held_out", "converted", "control_converted", "conversions", "revenue"].map(d.sum).joined(separator: ", "))
        FROM outcome_funnel WHERE minute >= \(from) / 60 AND minute < \(to) / 60 GROUP BY job, channel, variant\(time == .none ? "" : ", k")
        """
    }

    /// Some customers' conversions (`customers`: a condition on `customer_id`) added to their
    /// messages' buckets (`sign` 1), or taken from them (−1) before they are computed again.
    public static func addConversions(_ customers: String, sign: Int, _ d: Dialect) -> String {
        let sums = [("converted", "first_of_message AND NOT held_out"), ("control_converted", "first_of_message AND held_out"),
                    ("conversions", "NOT held_out"), ("revenue", "CASE WHEN held_out THEN 0 ELSE revenue END")]
        return """
            INSERT INTO outcome_funnel (job, minute, channel, variant, planned, sent, delivered, held_out, \(sums.map(\.0).joined(separator: ", ")))
            SELECT job, due_at / 60, channel, variant, 0, 0, 0, 0, \(sums.map { "\(sign) * \(d.sum(d.int($0.1)))" }.joined(separator: ", "))
            FROM outcome_conversions WHERE \(customers) GROUP BY job, due_at / 60, channel, variant ORDER BY 1, 2, 3, 4
            ON CONFLICT (job, minute, channel, variant) DO UPDATE SET \(sums.map { "\($0.0) = outcome_funnel.\($0.0) + excluded.\($0.0)" }.joined(separator: ", "))
            """
    }

    /// The same by the customers' tiers now: the outbox read itself, joined to the customers.
    public static func bucketsByTier(from: String, to: String, _ d: Dialect) -> String {
        """
        SELECT o.job, o.channel, COALESCE(o.variant, -1), COALESCE(c.tier, ''), COUNT(*), \(d.sum(d.int(sent("o")))), \(d.sum(d.int(delivered("o")))),
               \(d.sum(d.int(heldOut("o")))), 0, 0, 0, 0
        FROM outbox o LEFT JOIN customers c ON c.id = o.customer_id WHERE o.due_at >= \(from) AND o.due_at < \(to)
        GROUP BY o.job, o.channel, COALESCE(o.variant, -1), COALESCE(c.tier, '')
        UNION ALL
        SELECT v.job, v.channel, v.variant, COALESCE(c.tier, ''), 0, 0, 0, 0,
               \(d.sum(d.int("v.first_of_message AND NOT v.held_out"))), \(d.sum(d.int("v.first_of_message AND v.held_out"))),
               \(d.sum(d.int("NOT v.held_out"))), \(d.sum("CASE WHEN v.held_out THEN 0 ELSE v.revenue END"))
        FROM outcome_conversions v LEFT JOIN customers c ON c.id = v.customer_id WHERE v.due_at >= \(from) AND v.due_at < \(to)
        GROUP BY v.job, v.channel, v.variant, COALESCE(c.tier, '')
        """
    }
}

extension OutcomeBucket {
    /// A row of `OutcomeLedgerSQL.buckets` or `bucketsByTier`: job, channel, variant (−1 for none), key, then the eight sums.
    public init(job: String, channel: String, variant: Int, key: Int64, tier: String? = nil, sums: [Int]) {
        self.init(job: job, channel: channel, variant: variant < 0 ? nil : variant, key: key)
        self.tier = tier
        (planned, sent, delivered, heldOut) = (sums[0], sums[1], sums[2], sums[3])
        (converted, controlConverted, conversions, revenue) = (sums[4], sums[5], sums[6], sums[7])
    }
}

/// What each job achieved over [from, to): the figures `carecron report`, the API and the
/// console print alike.
public enum OutcomeQuery {
    /// `jobs`: the shop's jobs (their goals are the ledger's); `only`: the jobs whose rows to give, all by default.
    public static func byJob(_ source: any OutcomeSource, jobs: [JobDefinition], holdFor: TimeSpan, from: Date, to: Date,
                             by grouping: OutcomeGrouping = .job, only: Set<String>? = nil, clock: ShopClock) async throws -> [JobOutcome] {
        try await refresh(source, goals: OutcomeGoals(jobs: jobs, holdFor: holdFor))
        let time = BucketTime.of(grouping, from: from, to: to, clock: clock)
        let buckets = try await source.outcomeBuckets(from: from, to: to, time: time, byTier: grouping == .tier)
        let rows = OutcomeReport.grouped(buckets: buckets.filter { only?.contains($0.job) ?? true }, time: time, by: grouping, clock: clock)
        guard grouping == .variant else { return rows }
        return OutcomeReport.compareArms(rows, experiments: Dictionary(jobs.compactMap { job in job.experiment.map { (job.name, $0) } }, uniquingKeysWith: { a, _ in a }))
    }

    /// Brings the ledger up to date, a batch of customers at a time; the customers recomputed.
    @discardableResult
    public static func refresh(_ source: any OutcomeSource, goals: OutcomeGoals, batch: Int = 2_000) async throws -> Int {
        var done = 0
        while true {
            let step = try await source.refreshConversions(goals: goals, limit: batch)
            done += step.done
            if !step.more || step.done == 0 { return done }
        }
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
    public static func measures(_ store: some SurveyStore & MeasureSource & ConversationStore, jobs: [JobDefinition], from: Date, to: Date, byDay: Bool = false,
                                retentionWithin: TimeSpan = HandbookMeasures.defaultRetentionWindow, clock: ShopClock) async throws -> [MeasureRow] {
        let answers = try await store.surveyAnswers(from: from, to: to)
        var rows = HandbookMeasures.surveys(answers.map { ($0.job, SurveyScore(measure: $0.measure, score: $0.score, at: $0.answeredAt)) }, byWeek: !byDay, clock: clock)
        let last = clock.localDate(of: to.addingTimeInterval(-1))
        rows.append(HandbookMeasures.retention(try await store.retention(from: from, to: to, within: retentionWithin),
                                               period: "\(clock.localDate(of: from))..\(last)"))
        rows += HandbookMeasures.lifetimeValue(try await store.spendByTier())
        rows += HandbookMeasures.responses(try await store.conversationFacts(openedFrom: from, to: to), period: "\(clock.localDate(of: from))..\(last)")
        return rows
    }
}
