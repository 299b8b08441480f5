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
    /// Inserts or updates each customer (an update only when a value differs); each id's outcome.
    static func customers(_ rows: [CustomerRow], now: Int64, on conn: PostgresConnection, logger: Logger) async throws
        -> [String: UpsertOutcome] {
        guard !rows.isEmpty else { return [:] }
        let json = try encode(rows.map { c -> [String: Any?] in
            let (folded, given) = CustomerSearchSQL.columns(forName: c.fullName)
            return ["id": c.id, "full_name": c.fullName, "gender": c.gender.rawValue, "phone": c.phone, "email": c.email,
                    "birthday": c.birthday, "birth_md": c.birthMonthDay, "zalo_user_id": c.zaloUserId, "tier": c.tier,
                    "opt_out": c.optOut.rawValue, "search_name": folded, "search_given": given]
        })
        let result = try await conn.query("""
            INSERT INTO customers AS t (id, full_name, gender, phone, email, birthday, birth_md, zalo_user_id, tier, opt_out, search_name,
                                        search_given, created_at, updated_at)
            SELECT r.id, r.full_name, r.gender, r.phone, r.email, r.birthday, r.birth_md, r.zalo_user_id, r.tier, r.opt_out, r.search_name,
                   r.search_given, \(now), \(now)
            FROM jsonb_to_recordset(\(json)::jsonb) AS r(id text, full_name text, gender text, phone text, email text, birthday text,
                                                         birth_md text, zalo_user_id text, tier text, opt_out text, search_name text,
                                                         search_given text)
            ON CONFLICT (id) DO UPDATE SET full_name = excluded.full_name, gender = excluded.gender, phone = excluded.phone,
                email = excluded.email, birthday = excluded.birthday, birth_md = excluded.birth_md, zalo_user_id = excluded.zalo_user_id,
                tier = excluded.tier, opt_out = excluded.opt_out, search_name = excluded.search_name, search_given = excluded.search_given,
                updated_at = excluded.updated_at
            WHERE (t.full_name, t.gender, t.phone, t.email, t.birthday, t.birth_md, t.zalo_user_id, t.tier, t.opt_out)
                IS DISTINCT FROM (excluded.full_name, excluded.gender, excluded.phone, excluded.email, excluded.birthday,
                                  excluded.birth_md, excluded.zalo_user_id, excluded.tier, excluded.opt_out)
            RETURNING t.id, (t.xmax = 0)
            """, logger: logger)
        return try await outcomes(result, of: rows.map(\.id))
    }

    /// Inserts or updates each order whose customer is stored; the others are refused with the
    /// import's own sentence. Carecron's own fields (expiry, cancellation) are never overwritten.
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
            refused[o.id] = FieldProblem(field: "customer_id", reason: "unknown customer \"\(o.customerId)\" (import customers first)")
            return false
        }
        guard !kept.isEmpty else { return ([:], refused) }
        func seconds(_ d: Date?) -> Int64? { d.map(PostgresStore.seconds) }
        let json = try encode(kept.map { o -> [String: Any?] in
            let late = o.paidAt.map { $0 >= o.placedAt.addingTimeInterval(holdFor.interval) } ?? false
            return ["id": o.id, "customer_id": o.customerId, "placed_at": seconds(o.placedAt), "amount": o.amount,
                    "payment_method": o.paymentMethod.rawValue, "status": o.status.rawValue, "paid_at": seconds(o.paidAt),
                    "delivered_at": seconds(o.deliveredAt), "items": o.items, "agent": o.agent, "paid_after_expiry": late ? 1 : 0]
        })
        let result = try await conn.query("""
            INSERT INTO orders AS t (id, customer_id, placed_at, amount, payment_method, status, paid_at, delivered_at, items, agent,
                                     paid_after_expiry, created_at, updated_at)
            SELECT r.id, r.customer_id, r.placed_at, r.amount, r.payment_method, r.status, r.paid_at, r.delivered_at, r.items, r.agent,
                   r.paid_after_expiry, \(now), \(now)
            FROM jsonb_to_recordset(\(json)::jsonb) AS r(id text, customer_id text, placed_at bigint, amount bigint, payment_method text,
                                                         status text, paid_at bigint, delivered_at bigint, items text, agent text,
                                                         paid_after_expiry integer)
            ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, placed_at = excluded.placed_at, amount = excluded.amount,
                payment_method = excluded.payment_method, status = excluded.status, paid_at = excluded.paid_at,
                delivered_at = excluded.delivered_at, items = excluded.items, agent = excluded.agent,
                paid_after_expiry = excluded.paid_after_expiry, updated_at = excluded.updated_at
            WHERE (t.customer_id, t.placed_at, t.amount, t.payment_method, t.status, t.paid_at, t.delivered_at, t.items, t.agent,
                   t.paid_after_expiry)
                IS DISTINCT FROM (excluded.customer_id, excluded.placed_at, excluded.amount, excluded.payment_method, excluded.status,
                                  excluded.paid_at, excluded.delivered_at, excluded.items, excluded.agent, excluded.paid_after_expiry)
            RETURNING t.id, (t.xmax = 0)
            """, logger: logger)
        return (try await outcomes(result, of: kept.map(\.id)), refused)
    }

    /// Each id's outcome: inserted or updated as `RETURNING` said, unchanged when it said nothing.
    static func outcomes(_ rows: PostgresRowSequence, of ids: [String]) async throws -> [String: UpsertOutcome] {
        var out = Dictionary(uniqueKeysWithValues: ids.map { ($0, UpsertOutcome.unchanged) })
        for try await (id, inserted) in rows.decode((String, Bool).self) { out[id] = inserted ? .inserted : .updated }
        return out
    }

    static func encode(_ rows: [[String: Any?]]) throws -> String {
        let objects = rows.map { $0.mapValues { $0 ?? NSNull() } }
        return String(decoding: try JSONSerialization.data(withJSONObject: objects), as: UTF8.self)
    }
}

extension PostgresStore: FileImportStore {
    /// Strict mode met a bad row: everything is rolled back, the counts kept for the summary.
    private struct StrictRollback: Error { let report: ImportReport }

    /// The file in one transaction, a batch (2,000 rows) per statement; nothing of it is
    /// written if the import fails, or in strict mode if any row is bad.
    public func importFile(_ file: ImportFile, strict: Bool, clock: ShopClock, holdFor: TimeSpan, now: Date,
                           progress: (@Sendable (Int, Int) -> Void)?) async throws -> ImportReport {
        let batches = file.batches(RowNormaliser(clock: clock))
        defer { batches.cancel() }
        let n = Self.seconds(now)
        var report = ImportReport()
        var problems: [ReadBatch.Problem] = []
        do {
            report = try await db.transaction { conn in
                var report = ImportReport()
                while let batch = try batches.next() {
                    problems += batch.problems
                    var lines: [String: Int] = [:], customers: [CustomerRow] = [], orders: [OrderRow] = []
                    for (line, record) in batch.records {
                        switch record {
                        case .customer(let c): customers.append(c); lines[c.id] = line
                        case .order(let o): orders.append(o); lines[o.id] = line
                        }
                    }
                    var outcomes = try await RowUpserts.customers(customers, now: n, on: conn, logger: self.logger)
                    if !orders.isEmpty {
                        let written = try await RowUpserts.orders(orders, holdFor: holdFor, now: n, on: conn, logger: self.logger)
                        outcomes.merge(written.outcomes) { a, _ in a }
                        for (id, p) in written.unknownCustomer { problems.append(.init(line: lines[id] ?? 0, text: p.description)) }
                    }
                    for o in outcomes.values {
                        switch o {
                        case .inserted: report.inserted += 1
                        case .updated: report.updated += 1
                        case .unchanged: report.unchanged += 1
                        }
                    }
                    progress?(batch.progress.read, batch.progress.total)
                }
                if strict, !problems.isEmpty { throw StrictRollback(report: report) }
                return report
            }
        } catch let rollback as StrictRollback {
            report = rollback.report
            report.rolledBack = true
        }
        report.setProblems(problems, file: file.name)
        return report
    }
}
