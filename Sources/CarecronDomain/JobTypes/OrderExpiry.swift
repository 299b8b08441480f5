import Foundation

/// Unpaid prepaid orders expire after the hold time, with a notice to the customer (DOMAIN.md §2).
public struct OrderExpiryRules: JobRules {
    public static let type = JobType(rawValue: "order-expiry")

    public var notify: Bool

    public init(notify: Bool = true) { self.notify = notify }

    public static func parse(_ r: ObjectField?, job: ObjectField, shop: CarePolicy) -> Self? {
        Self(notify: r?.optional("notify")?.bool ?? true)
    }

    public var concernsOwnOrder: Bool { true }

    public func reasonToCancel(_ order: OrderAtSending, now: Date) -> String? {
        order.isPaid(by: now) ? "order \(order.id) was paid" : nil
    }

    /// An order expires a hold after its placement.
    public func replay(_ job: JobDefinition, shop: CarePolicy) -> TimeInterval { shop.holdFor.interval }

    public func plan(_ job: JobDefinition, _ span: PlanningSpan) -> [PlannedEvent] {
        var events: [PlannedEvent] = []
        for order in span.input.orders where !order.isCashOnDelivery && !order.isWithdrawn && order.status != .expired {
            let due = order.placedAt.addingTimeInterval(span.policy.holdFor.interval)
            let at = span.downtime.resume(at: max(due, order.knownAt))
            guard !order.isPaid(at: at) else {
                span.skip(job, customerId: order.customerId, orders: [order], at: at, "order \(order.id) was paid before it could expire")
                continue
            }
            events.append(PlannedEvent(at: at, job: job, kind: .expire, customerId: order.customerId, orders: [order],
                                       keys: ["\(job.name):\(order.id)"]))
            guard notify, span.reaches(span.input.customers[order.customerId], job, customerId: order.customerId, orders: [order], at: at),
                  let customer = span.input.customers[order.customerId],
                  let when = span.deliverable(job, at: at, customerId: order.customerId, orders: [order]) else { continue }
            events.append(span.planner.event(job, customer: customer, orders: [order], at: when, variant: 0,
                                             keys: ["\(job.name):\(order.id):notice"]))
        }
        return events
    }
}

extension JobType {
    public static let orderExpiry = OrderExpiryRules.type
}
