import CarecronDomain
import Foundation

/// The planner's reads as SQL both dialects run unchanged (plain SQL, the span's bounds written
/// in as numbers): the SQLite and PostgreSQL stores plan from the same rows.
public enum PlanningSQL {
    /// The planner's queries for a span: the orders it may act on (placed in the replay or a hold
    /// before it, delivered or paid in a check-in's reach, every order of a customer who paid in
    /// it), their customers (fetched by id), and the customers whose birthday falls in the span.
    public static func statements(from: Date, to: Date, lookback: TimeInterval, holdFor: TimeInterval, checkinDays: ClosedRange<Int>,
                           clock: ShopClock, overdueOrders: Bool = true) -> (orders: [String], birthdays: String, remindersSent: String) {
        let start = from.addingTimeInterval(-lookback)
        let s = Int(start.timeIntervalSince1970), e = Int(to.timeIntervalSince1970)
        // An order placed a hold before the replay has expired by its start: no reminder, expiry
        // or confirmation of it is left to replay.
        let placedFrom = s - Int(holdFor.rounded(.up))
        // A check-in (a survey) is due on the local day N days after delivery (or payment), N
        // within `checkinDays` over the jobs: the replay's first day, less the longest N and one
        // for the day's start, is as far back as one can be due; the span's end less the
        // shortest N, as late as one can have been delivered.
        let checkinStart = s - (checkinDays.upperBound + 1) * 86_400, checkinEnd = e - checkinDays.lowerBound * 86_400 + 86_400
        var orders = [
            "SELECT \(orderColumns) FROM orders WHERE placed_at >= \(placedFrom) AND placed_at < \(e)",
            "SELECT \(orderColumns) FROM orders WHERE delivered_at IS NOT NULL AND delivered_at >= \(checkinStart) AND delivered_at < \(checkinEnd)",
            // A delivered order's check-in counts from its delivery (the query above), not its payment.
            "SELECT \(orderColumns) FROM orders WHERE paid_at IS NOT NULL AND paid_at >= \(checkinStart) AND paid_at < \(checkinEnd) AND delivered_at IS NULL",
            // Every order of a customer who paid in the span: their total spend decides their tier.
            """
            SELECT \(orderColumns) FROM orders WHERE customer_id IN
                (SELECT customer_id FROM orders WHERE paid_at IS NOT NULL AND paid_at >= \(s) AND paid_at < \(e))
            """,
        ]
        if overdueOrders {
            // Prepaid orders still unpaid although their hold ended before the replay (a shop's
            // first import of old pending orders, a long outage): no replay reaches their expiry,
            // so they expire at the first step (`OrderExpiryRules`). Once expired they are not read again.
            orders.append("""
                SELECT \(orderColumns) FROM orders WHERE \(OrderRules.expirable)
                    AND placed_at < \(placedFrom) AND payment_method <> 'cod'
                """)
        }
        let monthDays = monthDays(from: start, to: to, clock: clock)
        let birthdays = "SELECT \(customerColumns) FROM customers WHERE birth_md IN (\(monthDays.map { "'\($0)'" }.joined(separator: ",")))"
        // Reminders sent since the orders' window began (outbox_reminders_sent), by occurrence key.
        let remindersSent = """
            SELECT k.key, o.sent_at FROM outbox o JOIN outbox_keys k ON k.outbox_id = o.id
            WHERE o.reminder IS NOT NULL AND o.sent_at IS NOT NULL AND o.sent_at >= \(placedFrom)
            """
        return (orders, birthdays, remindersSent)
    }

    /// "MM-DD" of every local day in the span, and Feb 29 where Feb 28 stands in for it.
    public static func monthDays(from: Date, to: Date, clock: ShopClock) -> [String] {
        var out = Set<String>()
        var day = clock.localDate(of: from)
        let last = clock.localDate(of: to)
        while day <= last, out.count < 367 {
            out.insert(day.monthDay)
            if day.month == 2, day.day == 28 { out.insert("02-29") }
            day = day.adding(days: 1)
        }
        return out.sorted()
    }


    // Columns named once and read by position: at a million customers, looking each column up
    // by name was a fifth of the loading time.
    public static let orderColumns = "id, customer_id, placed_at, amount, payment_method, status, paid_at, delivered_at, items, agent, created_at, expired_at"
    public static let customerColumns = "id, full_name, gender, phone, email, tier, opt_out, birth_md, zalo_user_id"
}
