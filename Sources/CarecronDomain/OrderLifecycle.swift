/// What a shop platform's order says, in carecron's statuses, and which changes of status are
/// possible. Platforms deliver webhooks late and out of order, so a stale "pending" must never
/// undo a payment or a cancellation: a status only moves forward.
public enum OrderLifecycle {
    /// Shopify's and Haravan's `financial_status`, each mapped on purpose (README, "Shop platforms").
    public static let financialStatuses: [String: OrderStatus] = [
        "pending": .pending,
        // The gateway holds the money; it is captured later. The customer has paid: no reminder.
        "authorized": .paid,
        // A deposit: the customer has committed; the rest is settled at delivery, not reminded.
        "partially_paid": .paid,
        "paid": .paid,
        "partially_refunded": .paid,
        "refunded": .returned,
        // The authorisation was cancelled: no sale.
        "voided": .cancelled,
    ]

    public struct Unknown: Error, Equatable, Sendable {
        public let value: String
    }

    /// The status an order's platform facts mean: cancelled once it has `cancelled_at`, and an
    /// unpaid order the shop closed (archived) is cancelled too.
    public static func status(financial: String?, cancelled: Bool, closed: Bool) throws(Unknown) -> OrderStatus {
        let key = (financial ?? "pending").lowercased()
        guard let status = financialStatuses[key] else { throw Unknown(value: key) }
        if cancelled, status != .returned { return .cancelled }
        if closed, status == .pending { return .cancelled }
        return status
    }

    /// Where each status may go next. `expired` is carecron's own (unpaid past `holdFor`): a late
    /// payment is kept (DOMAIN.md §2), a stale "pending" is not.
    static let next: [OrderStatus: Set<OrderStatus>] = [
        .pending: [.paid, .delivered, .cancelled, .returned, .expired],
        .expired: [.paid, .delivered, .cancelled, .returned],
        .paid: [.delivered, .cancelled, .returned],
        .delivered: [.returned],
        .cancelled: [],
        .returned: [],
    ]

    /// The status after a platform says `incoming` about an order stored as `stored`: the
    /// incoming one if the order can get there, else the stored one.
    public static func merge(stored: OrderStatus, incoming: OrderStatus) -> OrderStatus {
        stored == incoming || next[stored]?.contains(incoming) == true ? incoming : stored
    }
}
