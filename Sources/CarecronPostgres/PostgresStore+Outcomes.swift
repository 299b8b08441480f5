import CarecronDomain
import CarecronStorage
import Foundation
import Logging
import PostgresNIO

/// The outcomes' sums on the shared database, as on SQLite (`OutcomeSource` says what each table
/// is), with one difference: the outbox's and the orders' statement triggers only append (a
/// statement's counts to `outcome_funnel_delta`, its customers to `outcome_marks`, neither with a
/// key), so the nodes' senders, planners and imports never wait on each other for a shared sum or
/// mark, in whatever order their statements come. The refresh, one at a time under an advisory
/// lock, folds the counts into `outcome_funnel` and recomputes the marked customers. A row a
/// transaction appends is invisible to a refresh until it commits, so none is ever lost.
enum PostgresOutcomeLedger {
    static func credited(_ r: String) -> String { "COALESCE(\(OutcomeLedgerSQL.credited(r)), false)" }
    static func flag(_ sql: String) -> String { "COALESCE(\(sql), false)::int" }
    /// The refreshes' advisory lock (ASCII "outcomes").
    static let lockKey: Int64 = 0x6F7574636F6D6573

    /// A statement's rows (`rows`) as signed counts per bucket.
    static func counts(_ rows: String, sign: String) -> String {
        """
        SELECT r.job, r.due_at / 60 AS minute, r.channel, COALESCE(r.variant, -1) AS variant, \(sign) AS planned,
               \(sign) * \(flag(OutcomeLedgerSQL.sent("r"))) AS sent, \(sign) * \(flag(OutcomeLedgerSQL.delivered("r"))) AS delivered,
               \(sign) * \(flag(OutcomeLedgerSQL.heldOut("r"))) AS held_out
        FROM \(rows) r
        """
    }

    static let countsColumns = "job, minute, channel, variant, planned, sent, delivered, held_out"
    static let sumsByBucket = "SUM(planned), SUM(sent), SUM(delivered), SUM(held_out)"
    static let nonZero = "HAVING SUM(planned) <> 0 OR SUM(sent) <> 0 OR SUM(delivered) <> 0 OR SUM(held_out) <> 0"

    /// A statement's counts appended, those that changed anything.
    static func appendCounts(_ rows: String) -> String {
        "INSERT INTO outcome_funnel_delta (\(countsColumns)) SELECT job, minute, channel, variant, \(sumsByBucket) FROM (\(rows)) x GROUP BY job, minute, channel, variant \(nonZero)"
    }

    /// Customers to recompute, appended.
    static func markChanged(_ select: String) -> String {
        "INSERT INTO outcome_marks (customer_id) SELECT DISTINCT customer_id FROM (\(select)) x WHERE customer_id IS NOT NULL"
    }

    /// The counts appended since the last fold (committed ones: a row appended meanwhile waits for the next), into the sums.
    static let fold = """
        WITH d AS (DELETE FROM outcome_funnel_delta RETURNING \(countsColumns))
        INSERT INTO outcome_funnel (\(countsColumns)) SELECT job, minute, channel, variant, \(sumsByBucket) FROM d
        GROUP BY job, minute, channel, variant \(nonZero)
        ON CONFLICT (job, minute, channel, variant) DO UPDATE SET planned = outcome_funnel.planned + excluded.planned,
            sent = outcome_funnel.sent + excluded.sent, delivered = outcome_funnel.delivered + excluded.delivered,
            held_out = outcome_funnel.held_out + excluded.held_out
        """

    static let migration: [String] = [
        """
        CREATE TABLE outcome_funnel (
            job TEXT NOT NULL, minute BIGINT NOT NULL, channel TEXT NOT NULL, variant INTEGER NOT NULL,
            planned BIGINT NOT NULL, sent BIGINT NOT NULL, delivered BIGINT NOT NULL, held_out BIGINT NOT NULL,
            converted BIGINT NOT NULL DEFAULT 0, control_converted BIGINT NOT NULL DEFAULT 0, conversions BIGINT NOT NULL DEFAULT 0,
            revenue BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (job, channel, variant, minute))
        """,
        "CREATE TABLE outcome_funnel_delta (job TEXT NOT NULL, minute BIGINT NOT NULL, channel TEXT NOT NULL, variant INTEGER NOT NULL, planned BIGINT NOT NULL, sent BIGINT NOT NULL, delivered BIGINT NOT NULL, held_out BIGINT NOT NULL)",
        """
        CREATE TABLE outcome_conversions (
            job TEXT NOT NULL, order_id TEXT NOT NULL, customer_id TEXT NOT NULL, message_id BIGINT NOT NULL, reached_at BIGINT NOT NULL,
            revenue BIGINT NOT NULL, held_out BOOLEAN NOT NULL, first_of_message BOOLEAN NOT NULL, due_at BIGINT NOT NULL,
            channel TEXT NOT NULL, variant INTEGER NOT NULL, PRIMARY KEY (customer_id, job, order_id))
        """,
        "CREATE INDEX outcome_conversions_due ON outcome_conversions (due_at)",
        "CREATE TABLE outcome_marks (customer_id TEXT NOT NULL)",
        """
        CREATE FUNCTION carecron_outcome_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                \(appendCounts(counts("new_rows", sign: "1")));
                \(markChanged("SELECT customer_id FROM new_rows r WHERE \(credited("r"))"));
            ELSIF TG_OP = 'DELETE' THEN
                \(appendCounts(counts("old_rows", sign: "-1")));
                \(markChanged("SELECT customer_id FROM old_rows r WHERE \(credited("r"))"));
            ELSE
                \(appendCounts(counts("new_rows", sign: "1") + " UNION ALL " + counts("old_rows", sign: "-1")));
                \(markChanged("""
                    SELECT c.customer_id FROM new_rows n JOIN old_rows o ON o.id = n.id,
                        LATERAL (VALUES (n.customer_id), (o.customer_id)) AS c(customer_id)
                    WHERE (\(credited("n")) OR \(credited("o")))
                      AND (n.state, n.delivery, n.delivered_at, n.sent_at, n.due_at, n.last_error, n.customer_id, n.channel, n.variant, n.order_ids, n.job)
                          IS DISTINCT FROM (o.state, o.delivery, o.delivered_at, o.sent_at, o.due_at, o.last_error, o.customer_id, o.channel, o.variant, o.order_ids, o.job)
                    """));
            END IF;
            RETURN NULL;
        END $$
        """,
    ] + statementTriggers(on: "outbox", "carecron_outcome_outbox") + [
        """
        CREATE FUNCTION carecron_outcome_orders() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                \(markChanged("SELECT customer_id FROM new_rows"));
            ELSIF TG_OP = 'DELETE' THEN
                \(markChanged("SELECT customer_id FROM old_rows"));
            ELSE
                \(markChanged("""
                    SELECT c.customer_id FROM new_rows n JOIN old_rows o ON o.id = n.id,
                        LATERAL (VALUES (n.customer_id), (o.customer_id)) AS c(customer_id)
                    WHERE (n.status, n.paid_at, n.delivered_at, n.placed_at, n.amount, n.customer_id)
                          IS DISTINCT FROM (o.status, o.paid_at, o.delivered_at, o.placed_at, o.amount, o.customer_id)
                    """));
            END IF;
            RETURN NULL;
        END $$
        """,
    ] + statementTriggers(on: "orders", "carecron_outcome_orders") + [
        "INSERT INTO outcome_funnel (\(countsColumns)) SELECT job, minute, channel, variant, \(sumsByBucket) FROM (\(counts("outbox", sign: "1"))) x GROUP BY job, minute, channel, variant",
        markChanged("SELECT customer_id FROM outbox r WHERE \(credited("r"))"),
    ]

    /// A function run after each insert, update and delete statement on `table`, with the statement's rows.
    /// Created before the sums are filled: their lock on the table holds until the migration
    /// commits, so no other node's write falls between the fill and the triggers.
    static func statementTriggers(on table: String, _ function: String) -> [String] {
        [("insert", "INSERT", "NEW TABLE AS new_rows"), ("update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
         ("delete", "DELETE", "OLD TABLE AS old_rows")].map { name, event, rows in
            "CREATE TRIGGER outcome_\(table)_\(name) AFTER \(event) ON \(table) REFERENCING \(rows) FOR EACH STATEMENT EXECUTE FUNCTION \(function)()"
        }
    }

    static func date(_ v: Int64?) -> Date? { v.map { Date(timeIntervalSince1970: TimeInterval($0)) } }

    static func attributionData(_ conn: PostgresConnection, customers: [String], logger: Logger) async throws -> OutcomeData {
        var data = OutcomeData()
        let rows = try await conn.query("""
            SELECT id, job, customer_id, order_ids, channel, state, last_error, due_at, sent_at, delivery, delivered_at, variant FROM outbox r
            WHERE customer_id = ANY(\(customers)) AND \(unescaped: credited("r"))
            """, logger: logger)
        for try await r in rows.decode((Int64, String, String, String, String, String, String?, Int64, Int64?, String?, Int64?, Int32?).self) {
            data.add(id: r.0, job: r.1, customerId: r.2, orderIds: r.3, channel: r.4, state: r.5, lastError: r.6,
                     dueAt: r.7, sentAt: r.8, delivery: r.9, deliveredAt: r.10, variant: r.11.map(Int.init))
        }
        let orders = try await conn.query("""
            SELECT id, customer_id, placed_at, amount, status, paid_at, delivered_at FROM orders WHERE customer_id = ANY(\(customers))
            """, logger: logger)
        for try await o in orders.decode((String, String, Int64, Int64, String, Int64?, Int64?).self) {
            guard let status = OrderStatus(rawValue: o.4) else { continue }
            data.orders.append(OrderRecord(id: o.0, customerId: o.1, placedAt: date(o.2)!, amount: Int(o.3), status: status, paidAt: date(o.5), deliveredAt: date(o.6)))
        }
        return data
    }
}

extension PostgresStore: OutcomeSource {
    public func refreshConversions(goals: OutcomeGoals, limit: Int) async throws -> (done: Int, more: Bool) {
        let logger = self.logger
        return try await db.transaction { conn in
            // One refresh at a time: a fold and a recomputation never meet another's.
            try await conn.query("SELECT pg_advisory_xact_lock(\(PostgresOutcomeLedger.lockKey))", logger: logger)
            try await conn.query(PostgresQuery(unsafeSQL: PostgresOutcomeLedger.fold), logger: logger)
            var stored: String?
            for try await v in try await conn.query("SELECT value FROM service_state WHERE key = \(OutcomeGoals.stateKey)", logger: logger).decode(String.self) {
                stored = v
            }
            if stored != goals.fingerprint {
                try await conn.query("DELETE FROM outcome_conversions", logger: logger)
                try await conn.query("""
                    UPDATE outcome_funnel SET converted = 0, control_converted = 0, conversions = 0, revenue = 0
                    WHERE converted <> 0 OR control_converted <> 0 OR conversions <> 0 OR revenue <> 0
                    """, logger: logger)
                try await conn.query(PostgresQuery(unsafeSQL: PostgresOutcomeLedger.markChanged(
                    "SELECT customer_id FROM outbox r WHERE \(PostgresOutcomeLedger.credited("r"))")), logger: logger)
                try await conn.query("""
                    INSERT INTO service_state (key, value) VALUES (\(OutcomeGoals.stateKey), \(goals.fingerprint))
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """, logger: logger)
            }
            // The marks of `limit` customers (a customer marked twice is taken whole).
            var customers: [String] = []
            for try await c in try await conn.query("""
                WITH chosen AS (SELECT DISTINCT customer_id FROM outcome_marks ORDER BY customer_id LIMIT \(limit))
                DELETE FROM outcome_marks m USING chosen WHERE m.customer_id = chosen.customer_id RETURNING m.customer_id
                """, logger: logger).decode(String.self) { customers.append(c) }
            customers = Array(Set(customers)).sorted()
            guard !customers.isEmpty else { return (0, false) }
            let rows = try await PostgresOutcomeLedger.attributionData(conn, customers: customers, logger: logger).conversions(goals)
            func theirConversions(sign: Int) async throws {
                var query = PostgresQuery(unsafeSQL: OutcomeLedgerSQL.addConversions("customer_id = ANY($1)", sign: sign, .postgres))
                query.binds.append(customers)
                try await conn.query(query, logger: logger)
            }
            try await theirConversions(sign: -1)
            try await conn.query("DELETE FROM outcome_conversions WHERE customer_id = ANY(\(customers))", logger: logger)
            for first in stride(from: 0, to: rows.count, by: 2_000) {
                let json = String(decoding: try JSONSerialization.data(withJSONObject: rows[first..<min(rows.count, first + 2_000)].map { r -> [String: Any] in
                    ["job": r.job, "order_id": r.orderId, "customer_id": r.customerId, "message_id": r.messageId, "reached_at": r.reachedAt,
                     "revenue": r.revenue, "held_out": r.heldOut, "first_of_message": r.firstOfMessage, "due_at": r.minute * 60,
                     "channel": r.channel, "variant": r.variant ?? -1]
                }), as: UTF8.self)
                try await conn.query("""
                    INSERT INTO outcome_conversions (job, order_id, customer_id, message_id, reached_at, revenue, held_out, first_of_message, due_at, channel, variant)
                    SELECT job, order_id, customer_id, message_id, reached_at, revenue, held_out, first_of_message, due_at, channel, variant
                    FROM jsonb_to_recordset(\(json)::jsonb) AS r(job text, order_id text, customer_id text, message_id bigint, reached_at bigint,
                        revenue bigint, held_out boolean, first_of_message boolean, due_at bigint, channel text, variant integer)
                    """, logger: logger)
            }
            try await theirConversions(sign: 1)
            var left = false
            for try await e in try await conn.query("SELECT EXISTS (SELECT 1 FROM outcome_marks)", logger: logger).decode(Bool.self) { left = e }
            return (customers.count, left)
        }
    }

    public func outcomeBuckets(from: Date, to: Date, time: BucketTime, byTier: Bool) async throws -> [OutcomeBucket] {
        var query = PostgresQuery(unsafeSQL: byTier ? OutcomeLedgerSQL.bucketsByTier(from: "$1", to: "$2", .postgres)
                                                    : OutcomeLedgerSQL.buckets(time: time, from: "$1", to: "$2", .postgres))
        query.binds.append(Self.seconds(from))
        query.binds.append(Self.seconds(to))
        var out: [OutcomeBucket] = []
        if byTier {
            for try await r in try await db.client.query(query, logger: logger).decode((String, String, Int32, String, Int64, Int64?, Int64?, Int64?, Int64?, Int64?, Int64?, Int64?).self) {
                out.append(OutcomeBucket(job: r.0, channel: r.1, variant: Int(r.2), key: 0, tier: r.3,
                                         sums: [r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11].map { Int($0 ?? 0) }))
            }
        } else {
            for try await r in try await db.client.query(query, logger: logger).decode((String, String, Int32, Int64, Int64?, Int64?, Int64?, Int64?, Int64?, Int64?, Int64?, Int64?).self) {
                out.append(OutcomeBucket(job: r.0, channel: r.1, variant: Int(r.2), key: r.3,
                                         sums: [r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11].map { Int($0 ?? 0) }))
            }
        }
        return out
    }

    public func attributionData(customers: [String]) async throws -> OutcomeData {
        let logger = self.logger
        return try await db.transaction { conn in try await PostgresOutcomeLedger.attributionData(conn, customers: customers, logger: logger) }
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
