import CarecronDomain
import CarecronStorage
import Foundation
import PostgresNIO

// What the planner reads, on PostgreSQL: the very statements the SQLite store runs
// (`PlanningSQL.statements`, plain SQL with the span's bounds written in), so that both
// stores give the planner the same input.

extension PostgresStore: PlanningSource {
    public func planningInput(from: Date, to: Date, lookback: TimeInterval, holdFor: TimeInterval, checkinDays: ClosedRange<Int>, clock: ShopClock,
                              ordersFromPlacement: Bool, overdueOrders: Bool) async throws -> PlanningInput {
        let sql = PlanningSQL.statements(from: from, to: to, lookback: lookback, holdFor: holdFor, checkinDays: checkinDays, clock: clock,
                                             overdueOrders: overdueOrders)
        // One snapshot for every query, as SQLite's one read transaction gives.
        return try await db.transaction { conn in
            try await conn.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: self.logger)
            var orders: [String: OrderSnapshot] = [:]
            for statement in sql.orders {
                for try await row in try await conn.query(PostgresQuery(unsafeSQL: statement), logger: self.logger) {
                    let o = try Self.order(row, fromPlacement: ordersFromPlacement)
                    orders[o.id] = o
                }
            }
            var customers: [String: CustomerSnapshot] = [:]
            let ids = Array(Set(orders.values.map(\.customerId))).sorted()
            if !ids.isEmpty {
                for try await row in try await conn.query("SELECT \(unescaped: Self.customerColumns) FROM customers WHERE id = ANY(\(ids))",
                                                          logger: self.logger) {
                    let c = try Self.customer(row)
                    customers[c.id] = c
                }
            }
            for try await row in try await conn.query(PostgresQuery(unsafeSQL: sql.birthdays), logger: self.logger) {
                let c = try Self.customer(row)
                customers[c.id] = c
            }
            var sent: [String: Date] = [:]
            for try await (key, at) in try await conn.query(PostgresQuery(unsafeSQL: sql.remindersSent), logger: self.logger)
                .decode((String, Int64).self) { sent[key] = Date(timeIntervalSince1970: TimeInterval(at)) }
            return PlanningInput(customers: customers, orders: orders.values.sorted { $0.id < $1.id }, reminderSentAt: sent)
        }
    }

    /// Advances with every statement that changes customers, orders or the outbox, whoever runs it.
    public func dataVersion() async throws -> Int {
        for try await v in try await db.client.query("SELECT last_value FROM data_version", logger: logger).decode(Int64.self) { return Int(v) }
        return 0
    }
}
