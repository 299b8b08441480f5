import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

extension Store {
    /// One customer with every order of theirs (newest first), as the planner sees them.
    public func customerWithOrders(id: String) throws -> (customer: CustomerSnapshot, orders: [OrderSnapshot])? {
        try db.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(PlanningSQL.customerColumns) FROM customers WHERE id = ?",
                                             arguments: [id]) else { return nil }
            let orders = try Row.fetchAll(db, sql: "SELECT \(PlanningSQL.orderColumns) FROM orders WHERE customer_id = ? ORDER BY placed_at DESC",
                                          arguments: [id]).map { PlanningQueries.order($0, fromPlacement: true) }
            return (PlanningQueries.customer(row), orders)
        }
    }
}

extension Outbox {
    /// A customer's messages, newest first.
    public func messages(customerId: String, limit: Int) throws -> [OutboxMessage] {
        try store.db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM outbox WHERE customer_id = ? ORDER BY id DESC LIMIT ?", arguments: [customerId, limit])
                .map(Self.message)
        }
    }
}
