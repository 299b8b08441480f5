import Foundation

/// Asks how a purchase went N days after delivery (or payment), at the schedule's firings
/// (DOMAIN.md §4).
public struct PostSaleCheckinRules: JobRules {
    public static let type = JobType(rawValue: "post-sale-checkin")

    public var afterDays: Int

    public init(afterDays: Int = 3) { self.afterDays = afterDays }

    public static func parse(_ r: ObjectField?, job: ObjectField, shop: CarePolicy) -> Self? {
        Self(afterDays: r?.optional("afterDays")?.int(1...365) ?? 3)
    }

    public func check(_ job: JobDefinition, shop: CarePolicy, sink: DiagnosticSink) {
        for p in shop.firingTimeProblems(job) { sink.error(p.path, p.message) }
    }

    public var orderHistoryDays: Int? { afterDays }

    public func plan(_ job: JobDefinition, _ span: PlanningSpan) -> [PlannedEvent] {
        // One message per customer per day, naming every order that qualifies.
        AfterDelivery(afterDays: afterDays).events(job, span)
    }
}

extension JobType {
    public static let postSaleCheckin = PostSaleCheckinRules.type
}
