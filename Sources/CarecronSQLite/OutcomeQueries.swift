import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

/// The outcomes report's reads on SQLite: one pass over the span's rows, one over its orders.
extension Store: OutcomeSource {
    public func outcomeData(from: Date, to: Date, ordersUntil: Date) async throws -> OutcomeData {
        try await db.read { db in
            var data = OutcomeData()
            let rows = try Row.fetchCursor(db, sql: """
                SELECT o.id, o.job, o.customer_id, o.order_ids, o.channel, o.state, o.last_error, o.due_at, o.sent_at, o.delivery, o.delivered_at, o.variant, c.tier
                FROM outbox o LEFT JOIN customers c ON c.id = o.customer_id WHERE o.due_at >= ? AND o.due_at < ?
                """, arguments: [Int64(from.timeIntervalSince1970), Int64(to.timeIntervalSince1970)])
            while let r = try rows.next() {
                data.add(id: r[0], job: r[1], customerId: r[2], orderIds: r[3], channel: r[4], state: r[5], lastError: r[6],
                         dueAt: r[7], sentAt: r[8], delivery: r[9], deliveredAt: r[10], variant: r[11], tier: r[12])
            }
            func date(_ v: Int64?) -> Date? { v.map { Date(timeIntervalSince1970: TimeInterval($0)) } }
            let orders = try Row.fetchCursor(db, sql: """
                SELECT id, customer_id, placed_at, amount, status, paid_at, delivered_at FROM orders WHERE placed_at >= ? AND placed_at < ?
                    AND customer_id IN (\(OutcomeData.messagedCustomers("?", "?")))
                """, arguments: [Int64(from.timeIntervalSince1970) - 86_400, Int64(ordersUntil.timeIntervalSince1970),
                                 Int64(from.timeIntervalSince1970), Int64(to.timeIntervalSince1970)])
            while let o = try orders.next() {
                guard let status = OrderStatus(rawValue: o[4]) else { continue }
                data.orders.append(OrderRecord(id: o[0], customerId: o[1], placedAt: date(o[2])!, amount: o[3], status: status,
                                               paidAt: date(o[5]), deliveredAt: date(o[6])))
            }
            return data
        }
    }
}

extension Store: MeasureSource {
    public func retention(from: Date, to: Date, within: TimeSpan) async throws -> RetentionCount {
        try await db.read { db in
            let row = try Row.fetchOne(db, sql: MeasureSQL.retention("?", "?", "?"),
                                       arguments: [Int64(from.timeIntervalSince1970), Int64(to.timeIntervalSince1970), within.seconds])
            return RetentionCount(buyers: row?[0] ?? 0, returned: row?[1] ?? 0)
        }
    }

    public func spendByTier() async throws -> [TierSpend] {
        try await db.read { db in
            try Row.fetchAll(db, sql: MeasureSQL.spendByTier).map { TierSpend(tier: $0[0], buyers: $0[1], revenue: $0[2]) }
        }
    }
}
