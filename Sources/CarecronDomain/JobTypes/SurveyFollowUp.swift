import Foundation

/// A low survey score answered (CSAT or CES 1–2, an NPS detractor), as the planner reads it.
public struct LowScore: Sendable {
    /// The survey's job.
    public let job: String
    public let customerId: String
    /// The order asked about, if it is still stored; "" for a survey on a cadence.
    public let orderId: String
    public let order: OrderSnapshot?
    public let measure: SurveyMeasure
    public let score: Int
    public let answeredAt: Date

    public init(job: String, customerId: String, orderId: String, order: OrderSnapshot?, measure: SurveyMeasure, score: Int, answeredAt: Date) {
        self.job = job
        self.customerId = customerId
        self.orderId = orderId
        self.order = order
        self.measure = measure
        self.score = score
        self.answeredAt = answeredAt
    }
}

/// Calls back a customer who gave a low score (the handbook's 002 §V: a low score is a customer
/// to win back): one occurrence per answer, `after` it (at once by default) within calling
/// hours, usually on the `call` channel with a message as its fallback. `{{survey.score}}` and
/// `{{survey.measure}}` say what they answered.
public struct SurveyFollowUpRules: JobRules {
    public static let type = JobType(rawValue: "survey-follow-up")

    /// Only the answers to these survey jobs; every survey's when nil.
    public var surveys: [String]?
    public var after: TimeSpan

    public init(surveys: [String]? = nil, after: TimeSpan = .minutes(0)) {
        self.surveys = surveys
        self.after = after
    }

    public static func parse(_ r: ObjectField?, job: ObjectField, shop: CarePolicy) -> Self? {
        var rules = Self()
        if let list = r?.optional("surveys")?.array { rules.surveys = list.compactMap(\.nonEmptyString) }
        if let a = r?.optional("after"), let span = a.timeSpan {
            if (TimeSpan.minutes(0)...TimeSpan.days(7)).contains(span) { rules.after = span } else { a.report(Sentence("check.follow_up_after")) }
        }
        return rules
    }

    public var readsLowScores: Bool { true }

    /// One call-back per answer: an order's survey is answered once; a survey on a cadence (no
    /// order) once per time it was answered.
    static func key(_ job: JobDefinition, _ low: LowScore) -> String {
        let subject = low.orderId.isEmpty ? "@\(Int(low.answeredAt.timeIntervalSince1970))" : low.orderId
        return "\(job.name):\(low.job):\(low.customerId):\(subject)"
    }

    /// A score answered before the replay is not planned again by it: the replay reaches back `after`.
    public func replay(_ job: JobDefinition, shop: CarePolicy) -> TimeInterval { after.interval }

    public func plan(_ job: JobDefinition, _ span: PlanningSpan) -> [PlannedEvent] {
        span.input.lowScores.compactMap { low in
            guard surveys?.contains(low.job) ?? true else { return nil }
            let orders = low.order.map { [$0] } ?? []
            guard let at = span.deliverable(job, at: low.answeredAt.addingTimeInterval(after.interval), customerId: low.customerId, orders: orders),
                  at >= span.start, at < span.to,
                  span.reaches(span.input.customers[low.customerId], job, customerId: low.customerId, orders: orders, at: at),
                  let customer = span.input.customers[low.customerId] else { return nil }
            let survey = ["score": String(low.score), "measure": low.measure.rawValue.uppercased(),
                          "scale": "\(low.measure.scale.lowerBound)–\(low.measure.scale.upperBound)"]
            return span.planner.event(job, customer: customer, orders: orders, at: at, variant: 0,
                                      keys: [Self.key(job, low)], extra: ["survey": survey])
        }
    }

    public static var fields: [JobField] {
        [
            JobField("rules.after", .span, Said("Gọi lại sau khi khách chấm", "Call back after the answer"),
                     help: Said("Ví dụ 30m, 2h; để trống: ngay trong giờ gọi.", "e.g. 30m, 2h; empty: at once, within calling hours."), fallback: "0m"),
        ]
    }
}

extension JobType {
    public static let surveyFollowUp = SurveyFollowUpRules.type
}
