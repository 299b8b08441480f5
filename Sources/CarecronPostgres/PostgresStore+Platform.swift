import CarecronDomain
import CarecronStorage
import Foundation
import PostgresNIO

// The shop platforms' orders (Shopify, Haravan webhooks) on PostgreSQL, under the same rule as
// the SQLite store's (`PlatformOrderRule`), the order locked while it is read and written.

extension PostgresStore {
    public func platformOrders(clock: ShopClock, holdFor: TimeSpan) -> any PlatformOrderStore {
        PostgresPlatformOrders(store: self, normaliser: RowNormaliser(clock: clock), holdFor: holdFor)
    }
}

struct PostgresPlatformOrders: PlatformOrderStore {
    let store: PostgresStore
    let normaliser: RowNormaliser
    let holdFor: TimeSpan
    var client: PostgresClient { store.db.client }

    func apply(_ u: PlatformOrderUpdate, now: Date) async throws -> PlatformOrderOutcome {
        let order = try normaliser.order(u.order)
        let n = PostgresStore.seconds(now)
        let customer = try normaliser.customerKeepingOrder(u.customer)
        return try await store.db.transaction { conn in
            _ = try await RowUpserts.customers([customer], now: n, on: conn, logger: store.logger)
            var stored: PlatformOrderRule.Stored?
            let rows = try await conn.query("""
                SELECT status, paid_at, cancelled_at, expired_at, source_updated_at FROM orders WHERE id = \(order.id) FOR UPDATE
                """, logger: store.logger)
            for try await (status, paid, cancelled, expired, source) in rows.decode((String, Int64?, Int64?, Int64?, Int64?).self) {
                stored = .init(status: OrderStatus(rawValue: status) ?? .pending, paidAt: paid, cancelledAt: cancelled, expiredAt: expired,
                               sourceUpdatedAt: source)
            }
            let v: PlatformOrderRule.Values
            switch PlatformOrderRule.resolve(u, order: order, stored: stored, holdFor: holdFor, now: now) {
            case .stale(let at): return .stale(storedUpdatedAt: at)
            case .write(let values): v = values
            }
            let placed = PostgresStore.seconds(order.placedAt), late: Int32 = v.paidAfterExpiry ? 1 : 0
            if stored == nil {
                try await conn.query("""
                    INSERT INTO orders (id, customer_id, placed_at, amount, payment_method, status, paid_at, cancelled_at, items,
                                        paid_after_expiry, source_updated_at, created_at, updated_at)
                    VALUES (\(order.id), \(order.customerId), \(placed), \(Int64(order.amount)), \(order.paymentMethod.rawValue),
                            \(v.status.rawValue), \(v.paidAt), \(v.cancelledAt), \(order.items), \(late), \(v.sourceUpdatedAt), \(n), \(n))
                    """, logger: store.logger)
                return .inserted
            }
            // Delivery, the care agent and carecron's expiry are not the platform's to overwrite here.
            let changed = try await store.returnsRow("""
                UPDATE orders AS t SET customer_id = \(order.customerId), placed_at = \(placed), amount = \(Int64(order.amount)),
                    payment_method = \(order.paymentMethod.rawValue), status = \(v.status.rawValue), paid_at = \(v.paidAt),
                    cancelled_at = \(v.cancelledAt), items = \(order.items), paid_after_expiry = \(late),
                    source_updated_at = COALESCE(\(v.sourceUpdatedAt), t.source_updated_at), updated_at = \(n)
                WHERE t.id = \(order.id) AND (t.customer_id, t.placed_at, t.amount, t.payment_method, t.status, t.paid_at, t.cancelled_at,
                                              t.items, t.paid_after_expiry, t.source_updated_at)
                    IS DISTINCT FROM (\(order.customerId), \(placed), \(Int64(order.amount)), \(order.paymentMethod.rawValue),
                                      \(v.status.rawValue), \(v.paidAt), \(v.cancelledAt), \(order.items), \(late),
                                      COALESCE(\(v.sourceUpdatedAt), t.source_updated_at))
                RETURNING t.id
                """, on: conn)
            return changed ? .updated : .unchanged
        }
    }

    func storedUpdatedAt(orderId: String) async throws -> Date? {
        for try await v in try await client.query("SELECT source_updated_at FROM orders WHERE id = \(orderId)", logger: store.logger)
            .decode(Int64?.self) { return PostgresStore.date(v) }
        return nil
    }

    func noteUpdated(orderId: String, at: Date?) async throws {
        guard let at else { return }
        try await client.query("""
            UPDATE orders SET source_updated_at = GREATEST(COALESCE(source_updated_at, 0), \(PostgresStore.seconds(at))) WHERE id = \(orderId)
            """, logger: store.logger)
    }

    func exists(orderId: String) async throws -> Bool { try await store.returnsRow("SELECT 1 FROM orders WHERE id = \(orderId)") }

    func seen(webhook id: String) async throws -> Bool { try await store.returnsRow("SELECT 1 FROM webhook_events WHERE id = \(id)") }

    func remember(webhook id: String, topic: String, at: Date) async throws {
        try await client.query("""
            INSERT INTO webhook_events (id, topic, received_at) VALUES (\(id), \(topic), \(PostgresStore.seconds(at))) ON CONFLICT (id) DO NOTHING
            """, logger: store.logger)
    }
}
