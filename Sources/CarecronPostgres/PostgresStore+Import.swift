import CarecronDomain
import CarecronStorage
import Foundation
import Logging
import PostgresNIO

// Customers and orders written by id on PostgreSQL, a batch per statement: the rows go as one
// JSON parameter (`jsonb_to_recordset`), so that a batch of 2,000 is one round trip, and the
// `RETURNING` rows say which were inserted or updated (the others were unchanged). The API's
// single upserts, the platforms' customers and `carecron import` all write through here.

/// The upserts of normalised rows, inside a caller's transaction.
enum RowUpserts {
    /// The customers' columns, as a staging table or a JSON record set holds them.
    static let customerColumns = ["id", "full_name", "gender", "phone", "email", "birthday", "birth_md", "zalo_user_id", "tier", "opt_out",
                                  "search_name", "search_given"]
    static let customerTypes = "id text, full_name text, gender text, phone text, email text, birthday text, birth_md text, zalo_user_id text, tier text, opt_out text, search_name text, search_given text"

    /// A customer's values in `customerColumns`' order.
    static func values(_ c: CustomerRow) -> [Any?] {
        let (folded, given) = CustomerSearchSQL.columns(forName: c.fullName)
        return [c.id, c.fullName, c.gender.rawValue, c.phone, c.email, c.birthday, c.birthMonthDay, c.zaloUserId, c.tier, c.optOut.rawValue,
                folded, given]
    }

    /// Inserting `source`'s rows (aliased `r`), updating a stored one only where a value differs.
    static func customersUpsert(from source: String, now: Int64) -> String {
        """
        INSERT INTO customers AS t (id, full_name, gender, phone, email, birthday, birth_md, zalo_user_id, tier, opt_out, search_name,
                                    search_given, created_at, updated_at)
        SELECT r.id, r.full_name, r.gender, r.phone, r.email, r.birthday, r.birth_md, r.zalo_user_id, r.tier, r.opt_out, r.search_name,
               r.search_given, \(now), \(now)
        FROM \(source)
        ON CONFLICT (id) DO UPDATE SET full_name = excluded.full_name, gender = excluded.gender, phone = excluded.phone,
            email = excluded.email, birthday = excluded.birthday, birth_md = excluded.birth_md, zalo_user_id = excluded.zalo_user_id,
            tier = excluded.tier, opt_out = excluded.opt_out, search_name = excluded.search_name, search_given = excluded.search_given,
            updated_at = excluded.updated_at
        WHERE (t.full_name, t.gender, t.phone, t.email, t.birthday, t.birth_md, t.zalo_user_id, t.tier, t.opt_out)
            IS DISTINCT FROM (excluded.full_name, excluded.gender, excluded.phone, excluded.email, excluded.birthday,
                              excluded.birth_md, excluded.zalo_user_id, excluded.tier, excluded.opt_out)
        RETURNING t.id, (t.xmax = 0) AS inserted
        """
    }

    static let orderColumns = ["id", "customer_id", "placed_at", "amount", "payment_method", "status", "paid_at", "delivered_at", "items", "agent",
                               "paid_after_expiry"]
    static let orderTypes = "id text, customer_id text, placed_at bigint, amount bigint, payment_method text, status text, paid_at bigint, delivered_at bigint, items text, agent text, paid_after_expiry integer"

    /// An order's values in `orderColumns`' order; paid after its hold when the payment came too late.
    static func values(_ o: OrderRow, holdFor: TimeSpan) -> [Any?] {
        func seconds(_ d: Date?) -> Int64? { d.map(PostgresStore.seconds) }
        let late = o.paidAt.map { $0 >= o.placedAt.addingTimeInterval(holdFor.interval) } ?? false
        return [o.id, o.customerId, seconds(o.placedAt), Int64(o.amount), o.paymentMethod.rawValue, o.status.rawValue, seconds(o.paidAt),
                seconds(o.deliveredAt), o.items, o.agent, late ? 1 : 0]
    }

    /// Inserting `source`'s rows (aliased `r`); carecron's own fields (expiry, cancellation) are never overwritten.
    static func ordersUpsert(from source: String, now: Int64) -> String {
        """
        INSERT INTO orders AS t (id, customer_id, placed_at, amount, payment_method, status, paid_at, delivered_at, items, agent,
                                 paid_after_expiry, created_at, updated_at)
        SELECT r.id, r.customer_id, r.placed_at, r.amount, r.payment_method, r.status, r.paid_at, r.delivered_at, r.items, r.agent,
               r.paid_after_expiry, \(now), \(now)
        FROM \(source)
        ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, placed_at = excluded.placed_at, amount = excluded.amount,
            payment_method = excluded.payment_method, status = excluded.status, paid_at = excluded.paid_at,
            delivered_at = excluded.delivered_at, items = excluded.items, agent = excluded.agent,
            paid_after_expiry = excluded.paid_after_expiry, updated_at = excluded.updated_at
        WHERE (t.customer_id, t.placed_at, t.amount, t.payment_method, t.status, t.paid_at, t.delivered_at, t.items, t.agent,
               t.paid_after_expiry)
            IS DISTINCT FROM (excluded.customer_id, excluded.placed_at, excluded.amount, excluded.payment_method, excluded.status,
                              excluded.paid_at, excluded.delivered_at, excluded.items, excluded.agent, excluded.paid_after_expiry)
        RETURNING t.id, (t.xmax = 0) AS inserted
        """
    }

    /// Inserts or updates each customer (an update only when a value differs); each id's outcome.
    static func customers(_ rows: [CustomerRow], now: Int64, on conn: PostgresConnection, logger: Logger) async throws
        -> [String: UpsertOutcome] {
        guard !rows.isEmpty else { return [:] }
        var binds = PostgresBindings()
        binds.append(try encode(rows.map(values), columns: customerColumns))
        let result = try await conn.query(PostgresQuery(unsafeSQL: customersUpsert(from: "jsonb_to_recordset($1::jsonb) AS r(\(customerTypes))", now: now),
                                                        binds: binds), logger: logger)
        return try await outcomes(result, of: rows.map(\.id))
    }

    /// Inserts or updates each order whose customer is stored; the others are refused with the
    /// import's own sentence.
    static func orders(_ rows: [OrderRow], holdFor: TimeSpan, now: Int64, on conn: PostgresConnection, logger: Logger) async throws
        -> (outcomes: [String: UpsertOutcome], unknownCustomer: [String: FieldProblem]) {
        var known = Set<String>()
        let ids = Array(Set(rows.map(\.customerId)))
        for try await id in try await conn.query("SELECT id FROM customers WHERE id = ANY(\(ids))", logger: logger).decode(String.self) {
            known.insert(id)
        }
        var refused: [String: FieldProblem] = [:]
        let kept = rows.filter { o in
            if known.contains(o.customerId) { return true }
            refused[o.id] = unknownCustomer(o.customerId)
            return false
        }
        guard !kept.isEmpty else { return ([:], refused) }
        var binds = PostgresBindings()
        binds.append(try encode(kept.map { values($0, holdFor: holdFor) }, columns: orderColumns))
        let result = try await conn.query(PostgresQuery(unsafeSQL: ordersUpsert(from: "jsonb_to_recordset($1::jsonb) AS r(\(orderTypes))", now: now),
                                                        binds: binds), logger: logger)
        return (try await outcomes(result, of: kept.map(\.id)), refused)
    }

    static func unknownCustomer(_ id: String) -> FieldProblem {
        FieldProblem(field: "customer_id", reason: "unknown customer \"\(id)\" (import customers first)")
    }

    /// Each id's outcome: inserted or updated as `RETURNING` said, unchanged when it said nothing.
    static func outcomes(_ rows: PostgresRowSequence, of ids: [String]) async throws -> [String: UpsertOutcome] {
        var out = Dictionary(uniqueKeysWithValues: ids.map { ($0, UpsertOutcome.unchanged) })
        for try await (id, inserted) in rows.decode((String, Bool).self) { out[id] = inserted ? .inserted : .updated }
        return out
    }

    static func encode(_ rows: [[Any?]], columns: [String]) throws -> String {
        let objects = rows.map { values in Dictionary(uniqueKeysWithValues: zip(columns, values.map { $0 ?? NSNull() })) }
        return String(decoding: try JSONSerialization.data(withJSONObject: objects), as: UTF8.self)
    }
}
