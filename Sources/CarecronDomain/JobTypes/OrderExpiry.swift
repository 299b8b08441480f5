import Foundation

/// Unpaid prepaid orders expire after the hold time, with a notice to the customer (DOMAIN.md §2).
public struct OrderExpiryRules: JobRules {
    public static let type = JobType(rawValue: "order-expiry")

    public var notify: Bool
    /// How late an order may expire (an outage, an order learned late) and still get its notice;
    /// later, it expires without one: "your order expired" days on is noise. The quiet hours'
    /// wait of a notice that is sent does not count.
    public var lateness: TimeSpan

    public init(notify: Bool = true, lateness: TimeSpan = .minutes(60)) {
        self.notify = notify
        self.lateness = lateness
    }

    public static func parse(_ r: ObjectField?, job: ObjectField, shop: CarePolicy) -> Self? {
        Self(notify: r?.optional("notify")?.bool ?? true, lateness: r?.optional("lateness")?.timeSpan ?? .minutes(60))
    }

    public var concernsOwnOrder: Bool { true }
    public var readsOverdueOrders: Bool { true }

    public func reasonToCancel(_ order: OrderAtSending, now: Date) -> Sentence? {
        order.isPaid(by: now) ? Sentence("cancel.order_paid", ["order": .text(order.id)]) : nil
    }

    /// An order expires a hold after its placement.
    public func replay(_ job: JobDefinition, shop: CarePolicy) -> TimeInterval { shop.holdFor.interval }

    public func plan(_ job: JobDefinition, _ span: PlanningSpan) -> [PlannedEvent] {
        var events: [PlannedEvent] = []
        for order in span.input.orders where !order.isCashOnDelivery && !order.isWithdrawn && order.status != .expired {
            let due = order.placedAt.addingTimeInterval(span.policy.holdFor.interval)
            // Past its hold before the span and still neither paid nor expired: no step expired it
            // (a first import of old orders, a long outage), so the span's first step does. The
            // same however far back the planner replays (the store reads such orders only while
            // they are unpaid and unexpired, from any date).
            let overdue = due < span.from
            let at = span.downtime.resume(at: max(overdue ? span.from : due, order.knownAt))
            guard !order.isPaid(at: at) else {
                // Paid after its hold ended but before the span: that story is told before it.
                if !overdue { span.skip(job, customerId: order.customerId, orders: [order], at: at, Sentence("skip.paid_before_expiry", ["order": .text(order.id)])) }
                continue
            }
            var expiry = PlannedEvent(at: at, job: job, kind: .expire, customerId: order.customerId, orders: [order],
                                      keys: ["\(job.name):\(order.id)"])
            if overdue {
                expiry.overdue = true
                expiry.because = Sentence("plan.expiry_overdue", ["order": .text(order.id), "at": .at(due, span.policy.clock)])
            }
            events.append(expiry)
            let late = TimeSpan(seconds: Int(at.timeIntervalSince(due)))
            if notify, late > lateness {
                span.skip(job, customerId: order.customerId, orders: [order], at: at,
                          Sentence("skip.expiry_notice_late", ["late": .span(late), "order": .text(order.id), "lateness": .span(lateness)]))
                continue
            }
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
