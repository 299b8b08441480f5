import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

/// Writes one customer or order, normalised, by id: the same for CSV, JSON Lines and the HTTP
/// API. Fields that carecron keeps for itself (expiry) are never overwritten.
public struct RecordWriter: Sendable {
    let normaliser: RowNormaliser
    let holdFor: TimeSpan

    public init(normaliser: RowNormaliser, holdFor: TimeSpan) {
        self.normaliser = normaliser
        self.holdFor = holdFor
    }

    public func upsert(_ kind: ImportKind, _ fields: [String: String], db: Database, now: Int) throws -> UpsertOutcome {
        try upsert(kind, RecordFields(kind, fields), db: db, now: now)
    }

    func upsert(_ kind: ImportKind, _ fields: RecordFields, db: Database, now: Int) throws -> UpsertOutcome {
        var session = try Session(kind, db: db)
        return try store(normaliser.normalise(kind, fields), session: &session, now: now)
    }

    /// The statements records of one kind are written with, prepared once for a whole file.
    struct Session {
        fileprivate var insert: BoundStatement
        fileprivate var update: BoundStatement
        private var customerExists: BoundStatement?
        /// Every stored customer's id, read once for a big file of orders: looking each
        /// order's customer up in the table read its pages from disk one by one.
        private let customers: SeenIds?

        init(_ kind: ImportKind, db: Database, knownCustomers: SeenIds? = nil) throws {
            let sql = RecordWriter.statements[kind]!
            insert = try BoundStatement(db, sql: sql.insert)
            update = try BoundStatement(db, sql: sql.update)
            customers = knownCustomers
            if kind == .orders, knownCustomers == nil {
                customerExists = try BoundStatement(db, sql: "SELECT 1 FROM customers WHERE id = ?")
            }
        }

        mutating func hasCustomer(_ id: String) throws -> Bool {
            if let customers { return customers.contains(id) }
            customerExists!.bind(id)
            return try customerExists!.exists()
        }
    }

    /// Writes a normalised record by id; an order's customer must be stored already.
    func store(_ record: NormalisedRecord, session: inout Session, now: Int) throws -> UpsertOutcome {
        switch record {
        case .customer(let c):
            return try write(c, session: &session, now: now)
        case .order(let o):
            guard try session.hasCustomer(o.customerId) else {
                throw FieldProblem(field: "customer_id", reason: "unknown customer \"\(o.customerId)\" (import customers first)")
            }
            return try write(StoredOrder(row: o, holdFor: holdFor), session: &session, now: now)
        }
    }

    private func write(_ row: some StoredRow, session s: inout Session, now: Int) throws -> UpsertOutcome {
        s.insert.bind(row.id)
        row.bindValues(to: &s.insert)
        s.insert.bind(now)
        s.insert.bind(now)
        if try s.insert.run() == 1 { return .inserted }
        row.bindValues(to: &s.update)
        s.update.bind(now)
        s.update.bind(row.id)
        row.bindValues(to: &s.update)
        return try s.update.run() == 1 ? .updated : .unchanged
    }

    /// The columns an import writes, in the order of `upsert`'s values.
    static let columns: [ImportKind: [String]] = [
        .customers: ["full_name", "gender", "phone", "email", "birthday", "birth_md", "zalo_user_id", "tier", "opt_out", "search_name",
                     "search_given"],
        .orders: ["customer_id", "placed_at", "amount", "payment_method", "status", "paid_at", "delivered_at", "items", "agent",
                  "paid_after_expiry"],
    ]

    /// Insert if new; else update only if a value differs (so that a re-import says "unchanged").
    /// Built once: a million rows should not join the same strings a million times.
    static let statements = Dictionary(uniqueKeysWithValues: ImportKind.allCases.map { kind -> (ImportKind, (insert: String, update: String)) in
        let table = kind.rawValue, columns = Self.columns[kind]!
        return (kind, ("""
            INSERT OR IGNORE INTO \(table) (id, \(columns.joined(separator: ", ")), created_at, updated_at)
            VALUES (?, \(columns.map { _ in "?" }.joined(separator: ", ")), ?, ?)
            """, """
            UPDATE \(table) SET \(columns.map { "\($0) = ?" }.joined(separator: ", ")), updated_at = ?
            WHERE id = ? AND NOT (\(columns.map { "\($0) IS ?" }.joined(separator: " AND ")))
            """))
    })
}

/// A row as `RecordWriter.columns` lists its values.
private protocol StoredRow {
    var id: String { get }
    func bindValues(to statement: inout BoundStatement)
}

extension CustomerRow: StoredRow {
    fileprivate func bindValues(to s: inout BoundStatement) {
        s.bind(fullName); s.bind(gender.rawValue); s.bind(phone); s.bind(email); s.bind(birthday); s.bind(birthMonthDay)
        s.bind(zaloUserId); s.bind(tier); s.bind(optOut.rawValue)
        let (folded, given) = CustomerSearchSQL.columns(forName: fullName)
        s.bind(folded); s.bind(given)
    }
}

private struct StoredOrder: StoredRow {
    let row: OrderRow
    let holdFor: TimeSpan
    var id: String { row.id }

    func bindValues(to s: inout BoundStatement) {
        let paidAfterExpiry = row.paidAt.map { $0 >= row.placedAt.addingTimeInterval(holdFor.interval) } ?? false
        s.bind(row.customerId); s.bind(Int(row.placedAt.timeIntervalSince1970)); s.bind(row.amount)
        s.bind(row.paymentMethod.rawValue); s.bind(row.status.rawValue); s.bind(row.paidAt.map { Int($0.timeIntervalSince1970) })
        s.bind(row.deliveredAt.map { Int($0.timeIntervalSince1970) }); s.bind(row.items); s.bind(row.agent); s.bind(paidAfterExpiry ? 1 : 0)
    }
}

/// Applies the shop's order events (HTTP API, platform webhooks) to the SQLite store, under
/// the rules `OrderEvents` states for every store.
struct OrderEventWriter: Sendable {
    let store: Store
    let holdFor: TimeSpan
    let clock: WallClock

    /// Applies an event at `at`; repeating one already applied changes nothing.
    func apply(_ event: OrderEvents.Event, orderId: String, at: Date) throws -> UpsertOutcome {
        try store.db.write { db in
            let row = try Row.fetchOne(db, sql: "SELECT status, placed_at, paid_at, delivered_at, expired_at, payment_method FROM orders WHERE id = ?",
                                       arguments: [orderId])
            let order = row.map {
                OrderEvents.OrderFacts(status: $0["status"], placedAt: $0["placed_at"], paidAt: $0["paid_at"], deliveredAt: $0["delivered_at"],
                           expiredAt: $0["expired_at"], paymentMethod: $0["payment_method"])
            }
            let now = Int(clock.now().timeIntervalSince1970)
            switch try OrderEvents.change(event, orderId: orderId, order: order, at: Int(at.timeIntervalSince1970), holdFor: holdFor) {
            case nil:
                return .unchanged
            case .pay(let t, let late):
                try db.execute(sql: """
                    UPDATE orders SET paid_at = ?, status = \(OrderRules.statusAfterPayment),
                        paid_after_expiry = ?, updated_at = ? WHERE id = ?
                    """, arguments: [t, late ? 1 : 0, now, orderId])
            case .deliver(let t, let paidToo):
                try db.execute(sql: """
                    UPDATE orders SET delivered_at = ?, status = 'delivered', paid_at = COALESCE(paid_at, CASE WHEN ? THEN ? END),
                        updated_at = ? WHERE id = ?
                    """, arguments: [t, paidToo, t, now, orderId])
            case .cancel(let t):
                try db.execute(sql: "UPDATE orders SET status = 'cancelled', cancelled_at = ?, updated_at = ? WHERE id = ?",
                               arguments: [t, now, orderId])
            }
            return .updated
        }
    }

}

extension Store {
    /// Applies an order event (payment, delivery, cancellation) at `at`; repeating it changes nothing.
    public func apply(_ event: OrderEvents.Event, orderId: String, at: Date, holdFor: TimeSpan, now: Date) throws -> UpsertOutcome {
        try OrderEventWriter(store: self, holdFor: holdFor, clock: WallClock { now }).apply(event, orderId: orderId, at: at)
    }

    /// Upserts one customer or order (the HTTP API's PUT), normalised as an import row.
    public func upsert(_ kind: ImportKind, _ fields: [String: String], clock: ShopClock, holdFor: TimeSpan, now: Date) throws -> UpsertOutcome {
        let writer = RecordWriter(normaliser: RowNormaliser(clock: clock), holdFor: holdFor)
        return try db.write { try writer.upsert(kind, fields, db: $0, now: Int(now.timeIntervalSince1970)) }
    }

    /// How many customers are stored (the fuzz run checks that none is lost).
    public func customerCount() throws -> Int {
        try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM customers") } ?? 0
    }

    /// Marks unpaid orders expired, once; a payment already recorded wins. Returns how many.
    public func expire(orderIds ids: [String], at: Date, now: Date) throws -> Int {
        try db.write { db in
            var n = 0
            for id in ids {
                try db.execute(sql: """
                    UPDATE orders SET expired_at = ?, status = 'expired', updated_at = ?
                    WHERE id = ? AND \(OrderRules.expirable)
                    """, arguments: [Int(at.timeIntervalSince1970), Int(now.timeIntervalSince1970), id])
                n += db.changesCount
            }
            return n
        }
    }

    /// Erases a customer's personal data and messages on request (Decree 13/2023), keeping only
    /// anonymous counts in `erasures`. True if there was such a customer.
    public func forget(customerId: String, now: Date) throws -> Bool {
        try db.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM customers WHERE id = ?", arguments: [customerId]) != nil else { return false }
            let messages = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE customer_id = ?", arguments: [customerId]) ?? 0
            // Orders and outbox rows go with the customer (ON DELETE CASCADE); their keys, which
            // would outlive them (ON DELETE SET NULL, for the retention rule), go first.
            try db.execute(sql: "DELETE FROM outbox_keys WHERE outbox_id IN (SELECT id FROM outbox WHERE customer_id = ?)", arguments: [customerId])
            try db.execute(sql: "DELETE FROM customers WHERE id = ?", arguments: [customerId])
            let day = OrderRules.erasureDay(now)
            try db.execute(sql: """
                INSERT INTO erasures (day, customers, messages) VALUES (?, 1, ?)
                ON CONFLICT(day) DO UPDATE SET customers = customers + 1, messages = messages + excluded.messages
                """, arguments: [day, messages])
            return true
        }
    }
}
