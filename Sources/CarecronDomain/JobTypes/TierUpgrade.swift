import Foundation

/// Congratulates a customer whose spend reaches a higher membership tier (`003_…txt`).
public struct TierUpgradeRules: JobRules {
    public static let type = JobType(rawValue: "tier-upgrade")

    public init() {}

    public static func parse(_ r: ObjectField?, job: ObjectField, shop: CarePolicy) -> Self? {
        if shop.tiers.isEmpty { job.sink.error("type", Sentence("check.tiers_needed")) }
        return Self()
    }

    public func check(_ job: JobDefinition, shop: CarePolicy, sink: DiagnosticSink) {
        for p in shop.firingTimeProblems(job) { sink.error(p.path, p.message) }
    }

    public func plan(_ job: JobDefinition, _ span: PlanningSpan) -> [PlannedEvent] {
        let policy = span.policy
        var events: [PlannedEvent] = []
        // Only paid orders count towards a tier: the others are not grouped at all.
        let paidOrders = span.input.orders.filter { $0.paidAt != nil && !$0.isWithdrawn }
        for (customerId, orders) in Dictionary(grouping: paidOrders, by: \.customerId) {
            guard let customer = span.input.customers[customerId], customer.accepts(job.purpose) else { continue }
            var spend = 0
            var reached = policy.tier(named: customer.facts.tier)?.minSpend ?? 0
            let paid = orders.sorted { $0.paidAt! < $1.paidAt! }
            for order in paid {
                spend = Money.adding(spend, order.amount)
                guard let tier = policy.tier(forSpend: spend), tier.minSpend > reached else { continue }
                reached = tier.minSpend
                guard let firing = job.schedule.next(after: order.paidAt!.addingTimeInterval(-1), clock: policy.clock),
                      let at = span.deliverable(job, at: firing, customerId: customerId, orders: [order]) else { continue }
                events.append(span.planner.event(job, customer: customer, orders: [order], at: at, tier: tier, variant: 0,
                                                 keys: ["\(job.name):\(customerId):\(tier.name)"]))
            }
        }
        return events
    }
}

extension JobType {
    public static let tierUpgrade = TierUpgradeRules.type
}
