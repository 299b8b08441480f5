import CarecronDomain
import CarecronStorage
import Foundation
import PostgresNIO

/// The outcomes report's reads on the shared database, as on SQLite.
extension PostgresStore: OutcomeSource {
    public func outcomeData(from: Date, to: Date, ordersUntil: Date) async throws -> OutcomeData {
        var data = OutcomeData()
        let rows = try await db.client.query("""
            SELECT o.id, o.job, o.customer_id, o.order_ids, o.channel, o.state, o.last_error, o.due_at, o.sent_at, o.delivery, o.delivered_at, o.variant, c.tier
            FROM outbox o LEFT JOIN customers c ON c.id = o.customer_id WHERE o.due_at >= \(Self.seconds(from)) AND o.due_at < \(Self.seconds(to))
            """, logger: logger)
        for try await r in rows.decode((Int64, String, String?, String, String, String, String?, Int64, Int64?, String?, Int64?, Int32?, String?).self) {
            data.add(id: r.0, job: r.1, customerId: r.2, orderIds: r.3, channel: r.4, state: r.5, lastError: r.6,
                     dueAt: r.7, sentAt: r.8, delivery: r.9, deliveredAt: r.10, variant: r.11.map(Int.init), tier: r.12)
        }
        func date(_ v: Int64?) -> Date? { v.map { Date(timeIntervalSince1970: TimeInterval($0)) } }
        let orders = try await db.client.query("""
            SELECT id, customer_id, placed_at, amount, status, paid_at, delivered_at FROM orders
            WHERE placed_at >= \(Self.seconds(from) - 86_400) AND placed_at < \(Self.seconds(ordersUntil))
                AND customer_id IN (\(unescaped: OutcomeData.messagedCustomers(String(Self.seconds(from)), String(Self.seconds(to)))))
            """, logger: logger)
        for try await o in orders.decode((String, String, Int64, Int64, String, Int64?, Int64?).self) {
            guard let status = OrderStatus(rawValue: o.4) else { continue }
            data.orders.append(OrderRecord(id: o.0, customerId: o.1, placedAt: date(o.2)!, amount: Int(o.3), status: status,
                                           paidAt: date(o.5), deliveredAt: date(o.6)))
        }
        return data
    }
}

extension PostgresStore: MeasureSource {
    public func retention(from: Date, to: Date, within: TimeSpan) async throws -> RetentionCount {
        var query = PostgresQuery(unsafeSQL: MeasureSQL.retention("$1", "$2", "$3"))
        query.binds.append(Self.seconds(from))
        query.binds.append(Self.seconds(to))
        query.binds.append(Int64(within.seconds))
        for try await (buyers, returned) in try await db.client.query(query, logger: logger).decode((Int64, Int64).self) {
            return RetentionCount(buyers: Int(buyers), returned: Int(returned))
        }
        return RetentionCount(buyers: 0, returned: 0)
    }

    public func spendByTier() async throws -> [TierSpend] {
        var out: [TierSpend] = []
        for try await (tier, buyers, revenue) in try await db.client.query(PostgresQuery(unsafeSQL: MeasureSQL.spendByTier), logger: logger)
            .decode((String?, Int64, Int64).self) {
            out.append(TierSpend(tier: tier, buyers: Int(buyers), revenue: Int(revenue)))
        }
        return out
    }
}
