import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

/// The platforms' orders in the store: applied only if not older than what is stored, the status
/// moved only forward, paid and cancelled times kept consistent with it; and the webhook
/// deliveries already applied, by id.
public struct PlatformOrders: Sendable {
    public let store: Store
    let normaliser: RowNormaliser
    let holdFor: TimeSpan

    public init(store: Store, clock: ShopClock, holdFor: TimeSpan) {
        self.store = store
        self.normaliser = RowNormaliser(clock: clock)
        self.holdFor = holdFor
    }

    public func apply(_ u: PlatformOrderUpdate, now: Date) throws -> PlatformOrderOutcome {
        let order = try normaliser.order(u.order)
        let customer = try normaliser.customerKeepingOrder(u.customer)
        let writer = RecordWriter(normaliser: normaliser, holdFor: holdFor)
        return try store.db.write { db in
            var session = try RecordWriter.Session(.customers, db: db)
            _ = try writer.store(.customer(customer), session: &session, now: Int(now.timeIntervalSince1970))
            let stored = try Row.fetchOne(db, sql: "SELECT status, paid_at, cancelled_at, expired_at, source_updated_at FROM orders WHERE id = ?",
                                          arguments: [order.id]).map {
                PlatformOrderRule.Stored(status: OrderStatus(rawValue: $0["status"]) ?? .pending, paidAt: $0["paid_at"],
                                         cancelledAt: $0["cancelled_at"], expiredAt: $0["expired_at"], sourceUpdatedAt: $0["source_updated_at"])
            }
            let v: PlatformOrderRule.Values
            switch PlatformOrderRule.resolve(u, order: order, stored: stored, holdFor: holdFor, now: now) {
            case .stale(let at): return .stale(storedUpdatedAt: at)
            case .write(let values): v = values
            }
            let values: [DatabaseValueConvertible?] = [order.customerId, Int64(order.placedAt.timeIntervalSince1970), order.amount,
                                                       order.paymentMethod, v.status, v.paidAt, v.cancelledAt, order.items,
                                                       v.paidAfterExpiry ? 1 : 0, v.sourceUpdatedAt]
            let n = Int64(now.timeIntervalSince1970)
            if stored == nil {
                try db.execute(sql: """
                    INSERT INTO orders (id, customer_id, placed_at, amount, payment_method, status, paid_at, cancelled_at, items,
                                        paid_after_expiry, source_updated_at, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: StatementArguments([order.id] + values + [n, n]))
                return .inserted
            }
            // Delivery, the care agent and carecron's expiry are not the platform's to overwrite here.
            try db.execute(sql: """
                UPDATE orders SET customer_id = ?, placed_at = ?, amount = ?, payment_method = ?, status = ?, paid_at = ?,
                    cancelled_at = ?, items = ?, paid_after_expiry = ?, source_updated_at = COALESCE(?, source_updated_at), updated_at = ?
                WHERE id = ? AND NOT (customer_id IS ? AND placed_at IS ? AND amount IS ? AND payment_method IS ? AND status IS ?
                    AND paid_at IS ? AND cancelled_at IS ? AND items IS ? AND paid_after_expiry IS ? AND source_updated_at IS COALESCE(?, source_updated_at))
                """, arguments: StatementArguments(values + [n, order.id] + values))
            return db.changesCount == 1 ? .updated : .unchanged
        }
    }

    /// When the platform last changed a stored order, if it said.
    public func storedUpdatedAt(orderId: String) throws -> Date? {
        try store.db.read { db in
            try Int64.fetchOne(db, sql: "SELECT source_updated_at FROM orders WHERE id = ?", arguments: [orderId])
                .map { Date(timeIntervalSince1970: TimeInterval($0)) }
        }
    }

    /// Records the platform's `updated_at` after an event (paid, fulfilled, cancelled) was applied.
    public func noteUpdated(orderId: String, at: Date?) throws {
        guard let at else { return }
        try store.db.write { db in
            try db.execute(sql: "UPDATE orders SET source_updated_at = MAX(COALESCE(source_updated_at, 0), ?) WHERE id = ?",
                           arguments: [Int64(at.timeIntervalSince1970), orderId])
        }
    }

    public func exists(orderId: String) throws -> Bool {
        try store.db.read { try Bool.fetchOne($0, sql: "SELECT 1 FROM orders WHERE id = ?", arguments: [orderId]) ?? false }
    }

    // MARK: Deliveries already applied

    public func seen(webhook id: String) throws -> Bool {
        try store.db.read { try Bool.fetchOne($0, sql: "SELECT 1 FROM webhook_events WHERE id = ?", arguments: [id]) ?? false }
    }

    public func remember(webhook id: String, topic: String, at: Date) throws {
        try store.db.write {
            try $0.execute(sql: "INSERT OR IGNORE INTO webhook_events (id, topic, received_at) VALUES (?, ?, ?)",
                           arguments: [id, topic, Int(at.timeIntervalSince1970)])
        }
    }
}
