import Foundation

/// What each job achieved over a span (issue 28): its funnel, planned → sent → delivered →
/// converted, its revenue, and, where it holds out a control group, the lift over the group with
/// its uncertainty. Built from the attribution's conversions; figures the CLI, the API and the
/// console print alike.
public struct JobOutcome: Sendable, Equatable {
    public var job: String
    /// Within the job, the part these figures are of (a channel, a day, a week, a slot); nil by job.
    public var group: String?
    /// Rows the outbox recorded in the span (the control group's included).
    public var planned = 0
    public var sent = 0
    public var delivered = 0
    public var heldOut = 0
    /// Messages (sent) with at least one conversion credited, and the control group's.
    public var converted = 0
    public var controlConverted = 0
    /// Đồng of the orders credited to the sent messages (each order once for this job).
    public var revenue = 0
    public var conversions = 0
    /// An experiment's arm against the strongest other (grouped by variant); nil otherwise.
    public var comparison: ArmComparison?
    public var minimumPerArm: Int?

    public init(job: String, group: String? = nil) {
        self.job = job
        self.group = group
    }

    public var rate: Double? { sent == 0 ? nil : Double(converted) / Double(sent) }
    public var controlRate: Double? { heldOut == 0 ? nil : Double(controlConverted) / Double(heldOut) }
    /// The rate's 95% interval (Wilson's).
    public var rateInterval: (low: Double, high: Double)? { sent == 0 ? nil : Proportions.wilson(converted, of: sent) }

    /// The sent messages' rate less the control group's, with a 95% interval; nil without a
    /// control group.
    public var lift: (value: Double, low: Double, high: Double)? {
        guard sent > 0, heldOut > 0 else { return nil }
        return Proportions.difference(converted, of: sent, minus: controlConverted, of: heldOut)
    }
}

/// Intervals for rates of small groups, where the normal approximation runs past 0 and 1.
public enum Proportions {
    static let z = 1.959963984540054

    /// Wilson's score interval of `k` in `n`.
    public static func wilson(_ k: Int, of n: Int) -> (low: Double, high: Double) {
        let p = Double(k) / Double(n), n = Double(n), z2 = z * z
        let center = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / (1 + z2 / n)
        return (max(0, center - half), min(1, center + half))
    }

    /// k1/n1 − k2/n2 with Newcombe's hybrid score interval (his method 10, from the two Wilson
    /// intervals): within [−1, 1] whatever the sizes.
    public static func difference(_ k1: Int, of n1: Int, minus k2: Int, of n2: Int) -> (value: Double, low: Double, high: Double) {
        let p1 = Double(k1) / Double(n1), p2 = Double(k2) / Double(n2)
        let (l1, u1) = wilson(k1, of: n1), (l2, u2) = wilson(k2, of: n2)
        let d = p1 - p2
        let low = d - ((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2)).squareRoot()
        let high = d + ((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2)).squareRoot()
        return (d, low, high)
    }
}

/// How a report splits each job's figures.
public enum OutcomeGrouping: String, Sendable, CaseIterable {
    /// One row a job.
    case job
    /// A row per channel the messages went by.
    case channel
    /// A row per day, or per week (its Monday), the messages were due, in the shop's time.
    case day, week
    /// A row per time of day the messages were due: a payment reminder's 12:00, 16:00, 19:30, 10:00.
    case slot
    /// A row per template variant ("variant 2"): which wording worked.
    case variant
    /// A row per customer tier, as the customers' tiers are now ("no tier" for those without).
    case tier

    public static let noTier = "no tier"

    /// How a report names a variant: "variant 1" for the first.
    public static func variantName(_ index: Int) -> String { "variant \(index + 1)" }
}

extension JobOutcome {
    /// The columns of the CSV and JSON Lines forms and of the API, in order.
    public static let columns = ["job", "group", "planned", "sent", "delivered", "held_out", "converted", "rate", "control_converted", "control_rate",
                                 "lift", "lift_low", "lift_high", "conversions", "revenue", "rate_low", "rate_high", "beats_other", "p_value", "verdict"]

    /// Its figures under those names (rates rounded to four places; null where there is none).
    public var fields: [(String, JSONValue)] {
        let lift = self.lift
        func n(_ v: Int) -> JSONValue { .number(Double(v)) }
        func p(_ v: Double?) -> JSONValue { v.map { .number(($0 * 10_000).rounded() / 10_000) } ?? .null }
        // A p-value's interest is its order of magnitude: four significant digits, not four places.
        func pValue(_ v: Double?) -> JSONValue { v.map { .number(Double(String(format: "%.4g", $0)) ?? $0) } ?? .null }
        let values: [JSONValue] = [.string(job), group.map(JSONValue.string) ?? .null, n(planned), n(sent), n(delivered), n(heldOut), n(converted), p(rate),
                                   n(controlConverted), p(controlRate), p(lift?.value), p(lift?.low), p(lift?.high), n(conversions), n(revenue),
                                   p(rateInterval?.low), p(rateInterval?.high), p(comparison?.probabilityBeats), pValue(comparison?.pValue),
                                   comparison.map { .string($0.verdict.sentence(minimum: minimumPerArm ?? 0).description) } ?? .null]
        return Array(zip(Self.columns, values))
    }
}

public enum OutcomeReport {
    struct Key: Hashable { let job: String; let group: String? }
}
