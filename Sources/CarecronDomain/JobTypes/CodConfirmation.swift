import Foundation

/// Cash-on-delivery orders are confirmed with the customer before dispatch (DOMAIN.md §1.9).
public struct CodConfirmationRules: JobRules {
    public static let type = JobType(rawValue: "cod-confirmation")

    public var sendAfter: TimeSpan
    /// The delivery estimate the message quotes, in days from the day it is sent.
    public var deliveryDays: ClosedRange<Int>

    public init(sendAfter: TimeSpan = .minutes(10), deliveryDays: ClosedRange<Int> = 1...3) {
        self.sendAfter = sendAfter
        self.deliveryDays = deliveryDays
    }

    public static func parse(_ r: ObjectField?, job: ObjectField, shop: CarePolicy) -> Self? {
        var rules = Self()
        if let after = r?.optional("sendAfter")?.timeSpan { rules.sendAfter = after }
        if let d = r?.optional("deliveryDays")?.object {
            // Either bound may be left out: the default's applies (the form writes only what changed).
            let lo = d.optional("min").map { $0.int(0...60) } ?? rules.deliveryDays.lowerBound
            let hi = d.optional("max").map { $0.int(0...60) } ?? rules.deliveryDays.upperBound
            d.finish()
            if let lo, let hi {
                if lo <= hi { rules.deliveryDays = lo...hi } else { d.field.report(Sentence("check.min_over_max")) }
            }
        }
        return rules
    }

    public var concernsOwnOrder: Bool { true }

    public func reasonToCancel(_ order: OrderAtSending, now: Date) -> Sentence? {
        if let delivered = order.deliveredAt, delivered <= now { return Sentence("cancel.order_delivered", ["order": .text(order.id)]) }
        return nil
    }

    public func addVariables(_ vars: inout [String: Any], at: Date, clock: ShopClock) {
        guard var order = vars["order"] as? [String: String] else { return }
        let today = clock.localDate(of: at)
        order["deliveryFrom"] = VietnameseFormat.date(today.adding(days: deliveryDays.lowerBound))
        order["deliveryTo"] = VietnameseFormat.date(today.adding(days: deliveryDays.upperBound))
        vars["order"] = order
    }

    /// A confirmation is due soon after placement, moved at most past one night's quiet hours.
    public func replay(_ job: JobDefinition, shop: CarePolicy) -> TimeInterval { sendAfter.interval + 86_400 }

    public func plan(_ job: JobDefinition, _ span: PlanningSpan) -> [PlannedEvent] {
        span.input.orders.compactMap { order in
            guard order.isCashOnDelivery else { return nil }
            let due = max(order.placedAt.addingTimeInterval(sendAfter.interval), order.knownAt)
            if order.isWithdrawn {
                span.skip(job, customerId: order.customerId, orders: [order], at: due, .withdrawn(order))
                return nil
            }
            guard span.reaches(span.input.customers[order.customerId], job, customerId: order.customerId, orders: [order], at: due),
                  let customer = span.input.customers[order.customerId],
                  let at = span.deliverable(job, at: due, customerId: order.customerId, orders: [order]) else { return nil }
            if let delivered = order.deliveredAt, delivered <= at {
                span.skip(job, customerId: order.customerId, orders: [order], at: at, Sentence("skip.delivered_before_confirmation", ["order": .text(order.id)]))
                return nil
            }
            return span.planner.event(job, customer: customer, orders: [order], at: at, variant: 0, keys: ["\(job.name):\(order.id)"])
        }
    }
}

extension JobType {
    public static let codConfirmation = CodConfirmationRules.type
}
