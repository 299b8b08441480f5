import Foundation

/// Greets customers on their birthday at the schedule's firings; a day missed is caught up the
/// same day, never later (DOMAIN.md §3).
public struct BirthdayRules: JobRules {
    public static let type = JobType(rawValue: "birthday")

    public init() {}

    public static func parse(_ r: ObjectField?, job: ObjectField, shop: CarePolicy) -> Self? { Self() }

    public func check(_ job: JobDefinition, shop: CarePolicy, sink: DiagnosticSink) {
        for p in shop.firingTimeProblems(job) { sink.error(p.path, p.message) }
    }

    /// A greeting belongs to its day: over the advertising cap it is dropped, not sent late.
    public var waitsForMarketingCap: Bool { false }

    public func plan(_ job: JobDefinition, _ span: PlanningSpan) -> [PlannedEvent] {
        var byMonthDay: [String: [CustomerSnapshot]] = [:]
        for c in span.input.customers.values where c.accepts(job.purpose) || span.decisions != nil {
            if let md = c.birthMonthDay { byMonthDay[md, default: []].append(c) }
        }
        var events: [PlannedEvent] = []
        for (day, at) in span.planner.sameDayRuns(job, from: span.start, to: span.to, span.downtime) {
            var monthDays = [day.monthDay]
            // Feb 29 birthdays are greeted on Feb 28 in other years.
            if day.month == 2, day.day == 28, !LocalDate.isLeap(day.year) { monthDays.append("02-29") }
            for customer in monthDays.flatMap({ byMonthDay[$0] ?? [] }).sorted(by: { $0.id < $1.id })
            where span.reaches(customer, job, customerId: customer.id, orders: [], at: at) {
                events.append(span.planner.event(job, customer: customer, orders: [], at: at, variant: 0,
                                                 keys: ["\(job.name):\(customer.id):\(day.year)"]))
            }
        }
        return events
    }
}

extension JobType {
    public static let birthday = BirthdayRules.type
}
