import Algorithms
import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

/// Loads what the planner needs for a span of time with indexed queries only: orders by placement,
/// delivery and payment time, customers by id and by birthday month-day. Nothing scans every customer.
public struct PlanningQueries {
    public let store: Store

    public init(store: Store) { self.store = store }

    /// Customers and orders that can have events in [from, to), replaying `lookback` before it.
    /// With `ordersFromPlacement`, orders exist from `placed_at` (simulate); otherwise from when
    /// carecron learnt of them (the running service).
    public func input(from: Date, to: Date, lookback: TimeInterval, holdFor: TimeInterval, checkinDays: ClosedRange<Int>, clock: ShopClock,
                      ordersFromPlacement: Bool = true, overdueOrders: Bool = true) throws -> PlanningInput {
        let sql = PlanningSQL.statements(from: from, to: to, lookback: lookback, holdFor: holdFor, checkinDays: checkinDays, clock: clock,
                                  overdueOrders: overdueOrders)
        return try store.db.read { db in
            var orders: [String: OrderSnapshot] = [:]
            for sql in sql.orders {
                let rows = try Row.fetchCursor(db, sql: sql)
                while let row = try rows.next() {
                    let o = Self.order(row, fromPlacement: ordersFromPlacement)
                    orders[o.id] = o
                }
            }
            var customers: [String: CustomerSnapshot] = [:]
            let ids = Set(orders.values.map(\.customerId))
            // In id order: each chunk reads its own stretch of the customers table.
            for chunk in ids.sorted().chunks(ofCount: 900).map(Array.init) {
                let sql = "SELECT \(PlanningSQL.customerColumns) FROM customers WHERE id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))"
                let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(chunk))
                while let row = try rows.next() {
                    let c = Self.customer(row)
                    customers[c.id] = c
                }
            }
            let rows = try Row.fetchCursor(db, sql: sql.birthdays)
            while let row = try rows.next() {
                let c = Self.customer(row)
                customers[c.id] = c
            }
            var sent: [String: Date] = [:]
            let reminders = try Row.fetchCursor(db, sql: sql.remindersSent)
            while let row = try reminders.next() { sent[row[0]] = Date(timeIntervalSince1970: TimeInterval(row[1] as Int64)) }
            return PlanningInput(customers: customers, orders: orders.values.sorted { $0.id < $1.id }, reminderSentAt: sent)
        }
    }

    /// Every query the planner runs for a span as plain SQL, the customers fetched by id as one
    /// subquery: what the bench times bare in the `sqlite3` shell beside `carecron simulate`.
    public static func shellStatements(from: Date, to: Date, lookback: TimeInterval, holdFor: TimeInterval, checkinDays: ClosedRange<Int>,
                                       clock: ShopClock) -> [String] {
        let sql = PlanningSQL.statements(from: from, to: to, lookback: lookback, holdFor: holdFor, checkinDays: checkinDays, clock: clock)
        let customersOfOrders = "SELECT * FROM customers WHERE id IN (SELECT customer_id FROM (\(sql.orders.joined(separator: " UNION "))))"
        return sql.orders + [customersOfOrders, sql.birthdays, sql.remindersSent]
    }

    static func order(_ row: Row, fromPlacement: Bool) -> OrderSnapshot {
        func date(_ i: Int) -> Date? { (row[i] as Int64?).map { Date(timeIntervalSince1970: TimeInterval($0)) } }
        let placed = date(2)!
        return OrderSnapshot(id: row[0], customerId: row[1], placedAt: placed, amount: row[3],
                             paymentMethod: PaymentMethod(rawValue: row[4]) ?? .prepaid, status: OrderStatus(rawValue: row[5]) ?? .pending, paidAt: date(6),
                             deliveredAt: date(7), items: row[8], agent: row[9],
                             knownAt: fromPlacement ? placed : max(placed, date(10) ?? placed),
                             expiredAt: fromPlacement ? nil : date(11))
    }

    static func customer(_ row: Row) -> CustomerSnapshot {
        let facts = CustomerFacts(id: row[0], name: CustomerName(row[1]),
                                  gender: Gender(rawValue: row[2]) ?? .unknown,
                                  phone: row[3], email: row[4], tier: row[5])
        return CustomerSnapshot(facts: facts, optOut: OptOut(rawValue: row[6]) ?? .none,
                                birthMonthDay: row[7], zaloUserId: row[8])
    }
}

// Stored as their raw values, as the files spell them.
extension OrderStatus: DatabaseValueConvertible {}
extension PaymentMethod: DatabaseValueConvertible {}
