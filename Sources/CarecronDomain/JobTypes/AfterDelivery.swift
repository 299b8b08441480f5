import Foundation

/// Messages due some days after an order reached the customer (a check-in, a survey): at the
/// job's runs, each customer's orders that came due since the last run, one group a day.
struct AfterDelivery {
    let afterDays: Int

    /// Each run's groups: the customer and their orders due by then, newest first. Orders due on
    /// days without a run (an outage) are taken by the next run.
    func groups(_ job: JobDefinition, _ span: PlanningSpan) -> [(at: Date, day: LocalDate, customerId: String, orders: [OrderSnapshot])] {
        let clock = span.policy.clock
        // The day each order's message is due: N days after delivery, or after payment where
        // delivery is not tracked.
        var dueOn: [LocalDate: [OrderSnapshot]] = [:]
        for order in span.input.orders where !order.isWithdrawn {
            guard let basis = Self.basis(order) else { continue }
            dueOn[clock.localDate(of: basis).adding(days: afterDays), default: []].append(order)
        }
        var out: [(at: Date, day: LocalDate, customerId: String, orders: [OrderSnapshot])] = []
        var pending: [OrderSnapshot] = []
        var lastDay = clock.localDate(of: span.start)
        for (day, at) in span.planner.sameDayRuns(job, from: span.start, to: span.to, span.downtime) {
            while lastDay <= day {
                pending += dueOn[lastDay] ?? []
                lastDay = lastDay.adding(days: 1)
            }
            let isReady = { (o: OrderSnapshot) in (o.deliveredAt ?? o.paidAt ?? at) <= at }
            let ready = pending.filter(isReady)
            pending.removeAll(where: isReady)
            for (customerId, orders) in Dictionary(grouping: ready, by: \.customerId).sorted(by: { $0.key < $1.key }) {
                out.append((at, day, customerId, orders.sorted { $0.placedAt > $1.placedAt }))
            }
        }
        return out
    }

    /// When the order reached the customer: its delivery, or its payment where delivery is not
    /// tracked (never a cash-on-delivery order's payment: that is its delivery).
    static func basis(_ order: OrderSnapshot) -> Date? {
        order.deliveredAt ?? (order.isCashOnDelivery ? nil : order.paidAt)
    }

    /// Each group as one message to the customer, if they take the job's messages, about the
    /// orders `about` picks of theirs (newest first), one occurrence key an order.
    func events(_ job: JobDefinition, _ span: PlanningSpan, about: ([OrderSnapshot]) -> [OrderSnapshot] = { $0 }) -> [PlannedEvent] {
        groups(job, span).compactMap { g in
            guard span.reaches(span.input.customers[g.customerId], job, customerId: g.customerId, orders: g.orders, at: g.at),
                  let customer = span.input.customers[g.customerId] else { return nil }
            let orders = about(g.orders)
            return span.planner.event(job, customer: customer, orders: orders, at: g.at, variant: 0, keys: orders.map { "\(job.name):\($0.id)" })
        }
    }
}
