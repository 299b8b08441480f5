import Foundation

/// Asks one question some days after an order reached the customer (DOMAIN.md §9, the
/// handbook's 002 §V): CSAT ("chấm 1–5 sao"), CES (1–7) or NPS (0–10). The answer comes back as
/// a reply ("5", "5 sao", "năm") or through the signed link `{{survey.link}}`. A customer is
/// asked at most once every `atMostEveryDays` (NPS: a few months), whatever they buy: a survey
/// due within that span of the last one sent is cancelled at sending.
public struct SurveyRules: JobRules {
    public static let type = JobType(rawValue: "survey")

    public var measure: SurveyMeasure
    public var afterDays: Int
    /// 0: every delivered order is asked about.
    public var atMostEveryDays: Int

    public init(measure: SurveyMeasure = .csat, afterDays: Int = 2, atMostEveryDays: Int? = nil) {
        self.measure = measure
        self.afterDays = afterDays
        self.atMostEveryDays = atMostEveryDays ?? (measure == .nps ? 90 : 30)
    }

    public static func parse(_ r: ObjectField?, job: ObjectField, shop: CarePolicy) -> Self? {
        let measure = r?.optional("measure")?.oneOf(SurveyMeasure.self) ?? .csat
        return Self(measure: measure, afterDays: r?.optional("afterDays")?.int(0...365) ?? 2,
                    atMostEveryDays: r?.optional("atMostEveryDays")?.int(0...730))
    }

    public func check(_ job: JobDefinition, shop: CarePolicy, sink: DiagnosticSink) {
        for p in shop.firingTimeProblems(job) { sink.error(p.path, p.message) }
    }

    public var orderHistoryDays: Int? { afterDays }

    /// Every delivered order's customer, as a check-in; "at most once in `atMostEveryDays`" is
    /// the record's to say at sending (`minimumGapBetweenSends`): a plan reads only the orders
    /// of its span, and every plan, however far back it replays, plans the same.
    public func plan(_ job: JobDefinition, _ span: PlanningSpan) -> [PlannedEvent] {
        // About the newest order: the link and the answer are that order's.
        AfterDelivery(afterDays: afterDays).events(job, span) { Array($0.prefix(1)) }
    }

    public var minimumGapBetweenSends: TimeSpan? { atMostEveryDays > 0 ? .days(atMostEveryDays) : nil }

    public func addVariables(_ vars: inout [String: Any], job: JobDefinition, customerId: String, orders: [OrderSnapshot], policy: CarePolicy) {
        let subject = SurveyLinks.Subject(job: job.name, customerId: customerId, orderId: orders.first?.id ?? "")
        var survey = ["scale": "\(measure.scale.lowerBound)–\(measure.scale.upperBound)"]
        // Left out, not "", without links: a template's {{#survey.link}}…{{/survey.link}} then says nothing.
        if let links = policy.surveyLinks { survey["link"] = links.link(subject) }
        vars["survey"] = survey
    }

    public static var fields: [JobField] {
        [
            JobField("rules.measure", .choice(SurveyMeasure.allCases.map(\.rawValue)), Said("Đo gì", "Measure"),
                     help: Said("csat: hài lòng 1–5 sao; ces: dễ dàng 1–7; nps: giới thiệu cho người khác 0–10.",
                                "csat: satisfaction 1–5 stars; ces: ease 1–7; nps: would recommend 0–10."), fallback: "csat"),
            JobField("rules.afterDays", .number(0...365), Said("Hỏi sau khi giao", "Ask after delivery"), unit: Said("ngày", "days"), fallback: "2"),
            JobField("rules.atMostEveryDays", .number(0...730), Said("Mỗi khách được hỏi nhiều nhất một lần trong", "Ask a customer at most once in"),
                     help: Said("0: hỏi sau mỗi đơn.", "0: after every order."), unit: Said("ngày", "days"), fallback: "30 (nps: 90)"),
        ]
    }
}

extension JobType {
    public static let survey = SurveyRules.type
}
