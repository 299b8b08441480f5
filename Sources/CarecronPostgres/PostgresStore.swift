import CarecronDomain
import CarecronStorage
import Foundation
import Logging
import PostgresNIO

/// carecron's store on a shared PostgreSQL database (issue 15). Each capability is a file of
/// its own: customers and orders here, the service's state and audit log beside it, the outbox
/// in `LeasedOutbox`. The rows mean what the SQLite store's mean (`PostgresMigrations`), and
/// the same contract tests run against both (`StoreContractTests`).
public final class PostgresStore: Sendable {
    public let db: PostgresDatabase
    /// This node's outbox: its claims are leases owned by this process.
    public let leasedOutbox: LeasedOutbox

    public init(_ db: PostgresDatabase, owner: String = LeasedOutbox.newOwner()) {
        self.db = db
        self.leasedOutbox = LeasedOutbox(db, owner: owner)
    }

    public var outbox: any OutboxStore { leasedOutbox }
    var logger: Logger { db.logger }

    static func seconds(_ d: Date) -> Int64 { LeasedOutbox.seconds(d) }
    static func date(_ s: Int64?) -> Date? { s.map { Date(timeIntervalSince1970: TimeInterval($0)) } }

    /// Whether a statement with `RETURNING` returned a row.
    func returnsRow(_ query: PostgresQuery, on conn: PostgresConnection? = nil) async throws -> Bool {
        let rows: PostgresRowSequence
        if let conn { rows = try await conn.query(query, logger: logger) } else { rows = try await db.client.query(query, logger: logger) }
        for try await _ in rows { return true }
        return false
    }
}

// MARK: - Customers and orders

extension PostgresStore: CustomerOrderStore {
    /// Inserts or updates by id, normalised as an import row; an update that would change no
    /// value is not made, so a repeat says `unchanged`.
    public func upsert(_ kind: ImportKind, _ fields: [String: String], clock: ShopClock, holdFor: TimeSpan, now: Date) async throws
        -> UpsertOutcome {
        let normaliser = RowNormaliser(clock: clock), n = Self.seconds(now)
        switch kind {
        case .customers:
            let c = try normaliser.customer(RecordFields(kind, fields))
            return try await db.client.withConnection { conn in
                try await RowUpserts.customers([c], now: n, on: conn, logger: self.logger)[c.id] ?? .unchanged
            }
        case .orders:
            let o = try normaliser.order(RecordFields(kind, fields))
            let written = try await db.client.withConnection { conn in
                try await RowUpserts.orders([o], holdFor: holdFor, now: n, on: conn, logger: self.logger)
            }
            if let refused = written.unknownCustomer[o.id] { throw refused }
            return written.outcomes[o.id] ?? .unchanged
        }
    }

    /// Applies an order event with the order's state rules (`OrderEvents.change`), the order
    /// locked while it is read and changed.
    public func apply(_ event: OrderEvents.Event, orderId: String, at: Date, holdFor: TimeSpan, now: Date) async throws -> UpsertOutcome {
        let n = Self.seconds(now)
        return try await db.transaction { conn in
            var order: OrderEvents.OrderFacts?
            let rows = try await conn.query("""
                SELECT status, placed_at, paid_at, delivered_at, expired_at, payment_method FROM orders WHERE id = \(orderId) FOR UPDATE
                """, logger: self.logger)
            for try await (status, placed, paid, delivered, expired, method) in rows.decode((String, Int64, Int64?, Int64?, Int64?, String).self) {
                order = .init(status: status, placedAt: Int(placed), paidAt: paid.map(Int.init), deliveredAt: delivered.map(Int.init),
                              expiredAt: expired.map(Int.init), paymentMethod: method)
            }
            switch try OrderEvents.change(event, orderId: orderId, order: order, at: Int(at.timeIntervalSince1970), holdFor: holdFor) {
            case nil:
                return .unchanged
            case .pay(let t, let late):
                try await conn.query("""
                    UPDATE orders SET paid_at = \(Int64(t)), status = \(unescaped: OrderRules.statusAfterPayment),
                        paid_after_expiry = \(Int32(late ? 1 : 0)), updated_at = \(n) WHERE id = \(orderId)
                    """, logger: self.logger)
            case .deliver(let t, let paidToo):
                try await conn.query("""
                    UPDATE orders SET delivered_at = \(Int64(t)), status = 'delivered',
                        paid_at = COALESCE(paid_at, CASE WHEN \(paidToo) THEN \(Int64(t)) END), updated_at = \(n) WHERE id = \(orderId)
                    """, logger: self.logger)
            case .cancel(let t):
                try await conn.query("UPDATE orders SET status = 'cancelled', cancelled_at = \(Int64(t)), updated_at = \(n) WHERE id = \(orderId)",
                                     logger: self.logger)
            }
            return .updated
        }
    }

    /// Marks unpaid orders expired, once; a payment recorded first wins. How many it marked.
    public func expire(orderIds: [String], at: Date, now: Date) async throws -> Int {
        guard !orderIds.isEmpty else { return 0 }
        let rows = try await db.client.query("""
            UPDATE orders SET expired_at = \(Self.seconds(at)), status = 'expired', updated_at = \(Self.seconds(now))
            WHERE id = ANY(\(orderIds)) AND \(unescaped: OrderRules.expirable)
            RETURNING id
            """, logger: logger)
        var n = 0
        for try await _ in rows { n += 1 }
        return n
    }

    /// Erases a customer with their orders, messages and the messages' keys, keeping anonymous
    /// counts in `erasures` (Decree 13/2023). True if there was such a customer.
    public func forget(customerId: String, now: Date) async throws -> Bool {
        let day = OrderRules.erasureDay(now)
        return try await db.transaction { conn in
            var messages: Int64 = 0
            for try await n in try await conn.query("SELECT count(*) FROM outbox WHERE customer_id = \(customerId)", logger: self.logger)
                .decode(Int64.self) { messages = n }
            try await conn.query("DELETE FROM outbox_keys WHERE outbox_id IN (SELECT id FROM outbox WHERE customer_id = \(customerId))",
                                 logger: self.logger)
            guard try await self.returnsRow("DELETE FROM customers WHERE id = \(customerId) RETURNING id", on: conn) else { return false }
            try await conn.query("""
                INSERT INTO erasures (day, customers, messages) VALUES (\(day), 1, \(Int32(messages)))
                ON CONFLICT (day) DO UPDATE SET customers = erasures.customers + 1, messages = erasures.messages + excluded.messages
                """, logger: self.logger)
            return true
        }
    }

    public func customerCount() async throws -> Int {
        for try await n in try await db.client.query("SELECT count(*) FROM customers", logger: logger).decode(Int64.self) { return Int(n) }
        return 0
    }

    /// One customer with every order of theirs, newest first, as the planner sees them.
    public func customerWithOrders(id: String) async throws -> (customer: CustomerSnapshot, orders: [OrderSnapshot])? {
        var customer: CustomerSnapshot?
        for try await row in try await db.client.query("SELECT \(unescaped: Self.customerColumns) FROM customers WHERE id = \(id)", logger: logger) {
            customer = try Self.customer(row)
        }
        guard let customer else { return nil }
        var orders: [OrderSnapshot] = []
        for try await row in try await db.client.query("""
            SELECT \(unescaped: Self.orderColumns) FROM orders WHERE customer_id = \(id) ORDER BY placed_at DESC
            """, logger: logger) {
            orders.append(try Self.order(row, fromPlacement: true))
        }
        return (customer, orders)
    }

    /// The customer and orders of a message as they are now, read in one transaction.
    public func sendingFacts(customerId: String?, orderIds: [String], sameJob: (job: String, since: Date)?) async throws -> SendingFacts {
        try await db.transaction { conn in
            var optOut: OptOut?, lastSent: Date?, complaint = false
            if let customerId {
                for try await (v, open) in try await conn.query("""
                    SELECT opt_out, EXISTS (SELECT 1 FROM conversations v WHERE v.customer_id = c.id AND v.kind = 'complaint' AND v.state <> 'resolved')
                    FROM customers c WHERE id = \(customerId)
                    """, logger: self.logger).decode((String, Bool).self) {
                    optOut = OptOut(rawValue: v) ?? OptOut.none
                    complaint = open
                }
                if let sameJob {
                    for try await v in try await conn.query("""
                        SELECT MAX(sent_at) FROM outbox WHERE customer_id = \(customerId) AND sent_at >= \(Self.seconds(sameJob.since)) AND job = \(sameJob.job)
                        """, logger: self.logger).decode(Int64?.self) { lastSent = Self.date(v) }
                }
            }
            var orders: [OrderAtSending] = []
            if !orderIds.isEmpty {
                let rows = try await conn.query("""
                    SELECT id, status, paid_at, expired_at, delivered_at FROM orders WHERE id = ANY(\(orderIds))
                    """, logger: self.logger)
                for try await (id, status, paid, expired, delivered) in rows.decode((String, String, Int64?, Int64?, Int64?).self) {
                    orders.append(OrderAtSending(id: id, status: OrderStatus(rawValue: status), paidAt: Self.date(paid),
                                                 expiredAt: Self.date(expired), deliveredAt: Self.date(delivered)))
                }
            }
            return SendingFacts(optOut: optOut, orders: orders, lastSentOfJob: lastSent, complaintOpen: complaint)
        }
    }

    // The SQLite store's column lists, read by position by the decoders below.
    static var orderColumns: String { PlanningSQL.orderColumns }
    static var customerColumns: String { PlanningSQL.customerColumns }

    static func customer(_ row: PostgresRow) throws -> CustomerSnapshot {
        let (id, name, gender, phone, email, tier, optOut, md, zalo) = try row.decode(
            (String, String, String, String?, String?, String?, String, String?, String?).self)
        let facts = CustomerFacts(id: id, name: CustomerName(name), gender: Gender(rawValue: gender) ?? .unknown, phone: phone, email: email, tier: tier)
        return CustomerSnapshot(facts: facts, optOut: OptOut(rawValue: optOut) ?? .none, birthMonthDay: md, zaloUserId: zalo)
    }

    static func order(_ row: PostgresRow, fromPlacement: Bool) throws -> OrderSnapshot {
        let (id, customer, placedAt, amount, method, status, paid, delivered, items, agent, created, expired) = try row.decode(
            (String, String, Int64, Int64, String, String, Int64?, Int64?, String, String?, Int64, Int64?).self)
        let placed = date(placedAt)!
        return OrderSnapshot(id: id, customerId: customer, placedAt: placed, amount: Int(amount),
                             paymentMethod: PaymentMethod(rawValue: method) ?? .prepaid, status: OrderStatus(rawValue: status) ?? .pending,
                             paidAt: date(paid), deliveredAt: date(delivered), items: items, agent: agent,
                             knownAt: fromPlacement ? placed : max(placed, date(created) ?? placed),
                             expiredAt: fromPlacement ? nil : date(expired))
    }
}
