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
        let clock = span.policy.clock
        // The day each order's check-in is due: N days after delivery, or after payment where
        // delivery is not tracked.
        var dueOn: [LocalDate: [OrderSnapshot]] = [:]
        for order in span.input.orders where !order.isWithdrawn {
            guard let basis = order.deliveredAt ?? (order.isCashOnDelivery ? nil : order.paidAt) else { continue }
            dueOn[clock.localDate(of: basis).adding(days: afterDays), default: []].append(order)
        }
        var events: [PlannedEvent] = []
        var pending: [OrderSnapshot] = []
        var lastDay = clock.localDate(of: span.start)
        for (day, at) in span.planner.sameDayRuns(job, from: span.start, to: span.to, span.downtime) {
            // Orders due on days without a run (an outage) are taken by the next run.
            while lastDay <= day {
                pending += dueOn[lastDay] ?? []
                lastDay = lastDay.adding(days: 1)
            }
            let isReady = { (o: OrderSnapshot) in (o.deliveredAt ?? o.paidAt ?? at) <= at }
            let ready = pending.filter(isReady)
            pending.removeAll(where: isReady)
            // One message per customer per day, naming every order that qualifies.
            for (customerId, orders) in Dictionary(grouping: ready, by: \.customerId).sorted(by: { $0.key < $1.key }) {
                let sorted = orders.sorted { $0.placedAt > $1.placedAt }
                guard span.reaches(span.input.customers[customerId], job, customerId: customerId, orders: sorted, at: at),
                      let customer = span.input.customers[customerId] else { continue }
                events.append(span.planner.event(job, customer: customer, orders: sorted, at: at, variant: 0,
                                                 keys: sorted.map { "\(job.name):\($0.id)" }))
            }
        }
        return events
    }
}

extension JobType {
    public static let postSaleCheckin = PostSaleCheckinRules.type
}
