import Foundation

/// The handbook's measures (002 §V; README, "The handbook's measures"), as `carecron report
/// --measures`, `/v1/measures` and the console's *Kết quả* give them: CSAT, CES and NPS per
/// job and period, retention over the span, CLTV by tier, and the reply response time.
public struct MeasureRow: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case csat, ces, nps, retention, cltv
        case responseTime = "response_time"
        /// First-contact resolution: the share of resolved conversations resolved without the customer coming back.
        case firstContactResolution = "fcr"
    }

    public var measure: Kind
    /// The survey job (CSAT, CES, NPS); nil for the shop-wide measures.
    public var job: String?
    /// The period: a day or a week's Monday for the surveys, "FROM..TO" for retention.
    public var period: String?
    /// CLTV's tier ("no tier" for customers without one).
    public var tier: String?
    /// Answers (surveys), buyers (retention, CLTV).
    public var count: Int
    /// CSAT: share of 4–5; CES: mean; NPS: points; retention: share who bought again; CLTV: đồng a buyer.
    public var value: Double?
    /// Low scores (surveys), buyers who bought again (retention).
    public var low: Int?
    /// Đồng (CLTV's total).
    public var revenue: Int?

    public init(measure: Kind, job: String? = nil, period: String? = nil, tier: String? = nil, count: Int, value: Double?, low: Int? = nil, revenue: Int? = nil) {
        self.measure = measure
        self.job = job
        self.period = period
        self.tier = tier
        self.count = count
        self.value = value
        self.low = low
        self.revenue = revenue
    }

    public static let columns = ["measure", "job", "period", "tier", "count", "value", "low", "revenue"]

    public var fields: [(String, JSONValue)] {
        func s(_ v: String?) -> JSONValue { v.map(JSONValue.string) ?? .null }
        func n(_ v: Int?) -> JSONValue { v.map { .number(Double($0)) } ?? .null }
        // Shares to four places, CES and NPS to two, đồng whole.
        let places = measure == .cltv ? 1.0 : (measure == .ces || measure == .nps) ? 100 : 10_000
        let value: JSONValue = self.value.map { .number(($0 * places).rounded() / places) } ?? .null
        return Array(zip(Self.columns, [.string(measure.rawValue), s(job), s(period), s(tier), n(count), value, n(low), n(revenue)]))
    }
}

/// Who bought in a span and who of them bought again (retention), and what buyers spent over
/// their life so far, by tier (CLTV): counted by the store, whatever its size.
public struct RetentionCount: Sendable, Equatable {
    public let buyers: Int
    public let returned: Int

    public init(buyers: Int, returned: Int) {
        self.buyers = buyers
        self.returned = returned
    }
}

public struct TierSpend: Sendable, Equatable {
    public let tier: String?
    public let buyers: Int
    public let revenue: Int

    public init(tier: String?, buyers: Int, revenue: Int) {
        self.tier = tier
        self.buyers = buyers
        self.revenue = revenue
    }
}

public enum HandbookMeasures {
    /// How long after a purchase a second one counts as the customer coming back.
    public static let defaultRetentionWindow = TimeSpan.days(90)

    /// The survey measures per job and period (a day, or a week's Monday), oldest first.
    public static func surveys(_ answers: [(job: String, score: SurveyScore)], byWeek: Bool, clock: ShopClock) -> [MeasureRow] {
        struct Key: Hashable { let job: String; let measure: SurveyMeasure; let period: LocalDate }
        let grouped = Dictionary(grouping: answers) { a in
            let day = clock.localDate(of: a.score.at)
            return Key(job: a.job, measure: a.score.measure, period: byWeek ? day.mondayOfWeek : day)
        }
        return grouped.sorted { ($0.key.job, $0.key.period, $0.key.measure.rawValue) < ($1.key.job, $1.key.period, $1.key.measure.rawValue) }.map { key, list in
            let summary = SurveySummary(key.measure, list.map(\.score.score))
            return MeasureRow(measure: MeasureRow.Kind(rawValue: key.measure.rawValue)!, job: key.job, period: key.period.description, count: summary.answers,
                              value: summary.value, low: summary.low)
        }
    }

    public static func retention(_ r: RetentionCount, period: String) -> MeasureRow {
        MeasureRow(measure: .retention, period: period, count: r.buyers, value: r.buyers == 0 ? nil : Double(r.returned) / Double(r.buyers), low: r.returned)
    }

    /// The care team's measures over a period's conversations (002 §V): the average response
    /// time (seconds; `count` the conversations answered) and first-contact resolution (the
    /// share; `count` those resolved, `low` those resolved at the first contact).
    public static func responses(_ conversations: [ConversationFacts], period: String) -> [MeasureRow] {
        let (seconds, answered) = ResponseMeasures.averageResponse(conversations)
        let (share, resolved) = ResponseMeasures.firstContactResolution(conversations)
        return [MeasureRow(measure: .responseTime, period: period, count: answered, value: seconds),
                MeasureRow(measure: .firstContactResolution, period: period, count: resolved, value: share,
                           low: conversations.filter(\.resolvedAtFirstContact).count)]
    }

    public static func lifetimeValue(_ tiers: [TierSpend]) -> [MeasureRow] {
        // By name, customers without a tier (NULL or "") together and last.
        var merged: [String?: (buyers: Int, revenue: Int)] = [:]
        for t in tiers {
            let name = t.tier.flatMap { $0.isEmpty ? nil : $0 }
            merged[name, default: (0, 0)].buyers += t.buyers
            merged[name, default: (0, 0)].revenue += t.revenue
        }
        return merged.sorted { ($0.key == nil ? 1 : 0, $0.key ?? "") < ($1.key == nil ? 1 : 0, $1.key ?? "") }.map { name, spend in
            MeasureRow(measure: .cltv, tier: name ?? OutcomeGrouping.noTier, count: spend.buyers,
                       value: spend.buyers == 0 ? nil : Double(spend.revenue) / Double(spend.buyers), revenue: spend.revenue)
        }
    }
}
