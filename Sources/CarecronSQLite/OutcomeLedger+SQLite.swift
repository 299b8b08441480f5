import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

/// The outcomes' sums on SQLite (issue 28, item 8; `OutcomeSource` says what each table is).
enum OutcomeLedger {
    static let migration = """
        -- the outbox's rows per job, minute due, channel and variant (-1: none); inserts are added by
        -- Outbox.insert a batch at a time, changes and deletes by the triggers below
        CREATE TABLE outcome_funnel (
            job TEXT NOT NULL,
            minute INTEGER NOT NULL,
            channel TEXT NOT NULL,
            variant INTEGER NOT NULL,
            planned INTEGER NOT NULL,
            sent INTEGER NOT NULL,
            delivered INTEGER NOT NULL,
            held_out INTEGER NOT NULL,
            converted INTEGER NOT NULL DEFAULT 0,
            control_converted INTEGER NOT NULL DEFAULT 0,
            conversions INTEGER NOT NULL DEFAULT 0,
            revenue INTEGER NOT NULL DEFAULT 0,
            -- in this order: a report by job, channel or variant sums in the key's order, without sorting
            PRIMARY KEY (job, channel, variant, minute)
        ) WITHOUT ROWID;
        \(fillFunnel)
        CREATE TRIGGER outcome_funnel_update AFTER UPDATE OF state, delivery, last_error, due_at, channel, variant, job ON outbox
        WHEN OLD.job <> NEW.job OR OLD.due_at / 60 <> NEW.due_at / 60 OR OLD.channel <> NEW.channel OR OLD.variant IS NOT NEW.variant
            OR \(OutcomeLedgerSQL.sent("OLD")) <> \(OutcomeLedgerSQL.sent("NEW"))
            OR \(OutcomeLedgerSQL.delivered("OLD")) IS NOT \(OutcomeLedgerSQL.delivered("NEW"))
            OR \(OutcomeLedgerSQL.heldOut("OLD")) IS NOT \(OutcomeLedgerSQL.heldOut("NEW")) BEGIN
            \(subtract("OLD"))
            INSERT INTO outcome_funnel (job, minute, channel, variant, planned, sent, delivered, held_out)
            VALUES (NEW.job, NEW.due_at / 60, NEW.channel, COALESCE(NEW.variant, -1), 1, \(OutcomeLedgerSQL.sent("NEW")),
                    COALESCE(\(OutcomeLedgerSQL.delivered("NEW")), 0), COALESCE(\(OutcomeLedgerSQL.heldOut("NEW")), 0))
            ON CONFLICT (job, minute, channel, variant) DO UPDATE SET planned = planned + 1, sent = sent + excluded.sent,
                delivered = delivered + excluded.delivered, held_out = held_out + excluded.held_out;
        END;
        CREATE TRIGGER outcome_funnel_delete AFTER DELETE ON outbox BEGIN
            \(subtract("OLD"))
        END;

        -- each goal reached, credited to one message of the job (README, "What each message achieved");
        -- their sums are in the funnel's buckets
        CREATE TABLE outcome_conversions (
            job TEXT NOT NULL,
            order_id TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            message_id INTEGER NOT NULL,
            reached_at INTEGER NOT NULL,
            revenue INTEGER NOT NULL,
            held_out INTEGER NOT NULL,
            -- one row of each message converted: the report counts messages, not orders
            first_of_message INTEGER NOT NULL,
            -- the message's bucket
            due_at INTEGER NOT NULL,
            channel TEXT NOT NULL,
            variant INTEGER NOT NULL,
            -- an order counts once for a job; by customer first, as they are recomputed (an order
            -- moved to another customer is theirs once both are)
            PRIMARY KEY (customer_id, job, order_id)
        ) WITHOUT ROWID;
        -- the span of a report by tier (the others read the funnel's sums)
        CREATE INDEX outcome_conversions_due ON outcome_conversions(due_at);
        -- customers whose messages or orders changed since their conversions were computed
        CREATE TABLE outcome_changed (customer_id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
        \(markAllChanged)
        -- a message sent, delivered, held out or purged; the control group's rows are marked by Outbox.insert
        CREATE TRIGGER outcome_changed_outbox
        AFTER UPDATE OF state, delivery, delivered_at, sent_at, due_at, last_error, customer_id, channel, variant, order_ids, job ON outbox
        WHEN \(OutcomeLedgerSQL.credited("OLD")) OR \(OutcomeLedgerSQL.credited("NEW")) BEGIN
            INSERT OR IGNORE INTO outcome_changed (customer_id) SELECT NEW.customer_id WHERE NEW.customer_id IS NOT NULL;
            INSERT OR IGNORE INTO outcome_changed (customer_id) SELECT OLD.customer_id WHERE OLD.customer_id IS NOT NULL;
        END;
        CREATE TRIGGER outcome_changed_outbox_delete AFTER DELETE ON outbox
        WHEN OLD.customer_id IS NOT NULL AND \(OutcomeLedgerSQL.credited("OLD")) BEGIN
            INSERT OR IGNORE INTO outcome_changed (customer_id) VALUES (OLD.customer_id);
        END;
        -- an order placed, paid, delivered, withdrawn or erased
        CREATE TRIGGER outcome_changed_order AFTER INSERT ON orders BEGIN
            INSERT OR IGNORE INTO outcome_changed (customer_id) VALUES (NEW.customer_id);
        END;
        CREATE TRIGGER outcome_changed_order_update AFTER UPDATE OF status, paid_at, delivered_at, placed_at, amount, customer_id ON orders BEGIN
            INSERT OR IGNORE INTO outcome_changed (customer_id) VALUES (NEW.customer_id);
            INSERT OR IGNORE INTO outcome_changed (customer_id) VALUES (OLD.customer_id);
        END;
        CREATE TRIGGER outcome_changed_order_delete AFTER DELETE ON orders BEGIN
            INSERT OR IGNORE INTO outcome_changed (customer_id) VALUES (OLD.customer_id);
        END;
        """

    /// The funnel's sums of the whole outbox (into an empty table).
    static let fillFunnel = """
        INSERT INTO outcome_funnel (job, minute, channel, variant, planned, sent, delivered, held_out)
            SELECT job, due_at / 60, channel, COALESCE(variant, -1), COUNT(*), SUM(\(OutcomeLedgerSQL.sent("outbox"))),
                   COALESCE(SUM(\(OutcomeLedgerSQL.delivered("outbox"))), 0), COALESCE(SUM(\(OutcomeLedgerSQL.heldOut("outbox"))), 0)
            FROM outbox GROUP BY job, due_at / 60, channel, COALESCE(variant, -1);
        """

    /// Every customer with a message attribution reads, to be recomputed.
    static let markAllChanged = """
        INSERT OR IGNORE INTO outcome_changed (customer_id)
            SELECT DISTINCT customer_id FROM outbox WHERE customer_id IS NOT NULL AND \(OutcomeLedgerSQL.credited("outbox"));
        """

    /// A row's count taken out of its bucket.
    static func subtract(_ r: String) -> String {
        """
        UPDATE outcome_funnel SET planned = planned - 1, sent = sent - \(OutcomeLedgerSQL.sent(r)),
            delivered = delivered - COALESCE(\(OutcomeLedgerSQL.delivered(r)), 0), held_out = held_out - COALESCE(\(OutcomeLedgerSQL.heldOut(r)), 0)
        WHERE job = \(r).job AND minute = \(r).due_at / 60 AND channel = \(r).channel AND variant = COALESCE(\(r).variant, -1);
        """
    }

    /// The rows just inserted by `Outbox.insert`, added to the funnel a bucket at a time (a trigger
    /// a row would cost a campaign its speed), and the control group's customers marked.
    struct Inserted {
        struct Bucket: Hashable { let job: String, minute: Int64, channel: String, variant: Int }
        var counts: [Bucket: (planned: Int, heldOut: Int)] = [:]
        var heldOutCustomers: Set<String> = []

        mutating func add(_ e: OutboxEntry, channel: String) {
            let b = Bucket(job: e.job, minute: Int64(e.dueAt.timeIntervalSince1970) / 60, channel: channel, variant: e.variant ?? -1)
            let heldOut = e.heldOut?.hasPrefix(Holdout.recordPrefix) ?? false
            let c = counts[b] ?? (0, 0)
            counts[b] = (c.planned + 1, c.heldOut + (heldOut ? 1 : 0))
            if heldOut, let customer = e.customerId { heldOutCustomers.insert(customer) }
        }

        func write(_ db: Database) throws {
            let add = try db.cachedStatement(sql: """
                INSERT INTO outcome_funnel (job, minute, channel, variant, planned, sent, delivered, held_out) VALUES (?, ?, ?, ?, ?, 0, 0, ?)
                ON CONFLICT (job, minute, channel, variant) DO UPDATE SET planned = planned + excluded.planned, held_out = held_out + excluded.held_out
                """)
            for (b, c) in counts { try add.execute(arguments: [b.job, b.minute, b.channel, b.variant, c.planned, c.heldOut]) }
            let mark = try db.cachedStatement(sql: "INSERT OR IGNORE INTO outcome_changed (customer_id) VALUES (?)")
            for customer in heldOutCustomers { try mark.execute(arguments: [customer]) }
        }
    }

    /// The rows attribution reads for some customers (`OutcomeData.add` keeps the sent and the
    /// control group's). By the customer's index, named: with the states in the query, SQLite
    /// chose the state index and read every sent message of the shop for each batch.
    static func attributionData(_ db: Database, customers: [String]) throws -> OutcomeData {
        var data = OutcomeData()
        let list = try String(data: JSONEncoder().encode(customers), encoding: .utf8)!
        let rows = try Row.fetchCursor(db, sql: """
            SELECT id, job, customer_id, order_ids, channel, state, last_error, due_at, sent_at, delivery, delivered_at, variant
            FROM outbox INDEXED BY outbox_customer_sent WHERE customer_id IN (SELECT value FROM json_each(?))
            """, arguments: [list])
        while let r = try rows.next() {
            data.add(id: r[0], job: r[1], customerId: r[2], orderIds: r[3], channel: r[4], state: r[5], lastError: r[6],
                     dueAt: r[7], sentAt: r[8], delivery: r[9], deliveredAt: r[10], variant: r[11])
        }
        func date(_ v: Int64?) -> Date? { v.map { Date(timeIntervalSince1970: TimeInterval($0)) } }
        let orders = try Row.fetchCursor(db, sql: """
            SELECT id, customer_id, placed_at, amount, status, paid_at, delivered_at FROM orders WHERE customer_id IN (SELECT value FROM json_each(?))
            """, arguments: [list])
        while let o = try orders.next() {
            guard let status = OrderStatus(rawValue: o[4]) else { continue }
            data.orders.append(OrderRecord(id: o[0], customerId: o[1], placedAt: date(o[2])!, amount: o[3], status: status, paidAt: date(o[5]), deliveredAt: date(o[6])))
        }
        return data
    }
}

extension Store: OutcomeSource {
    public func refreshConversions(goals: OutcomeGoals, limit: Int) async throws -> (done: Int, more: Bool) {
        try await db.write { db in
            if try String.fetchOne(db, sql: "SELECT value FROM service_state WHERE key = ?", arguments: [OutcomeGoals.stateKey]) != goals.fingerprint {
                try db.execute(sql: """
                    DELETE FROM outcome_conversions;
                    UPDATE outcome_funnel SET converted = 0, control_converted = 0, conversions = 0, revenue = 0
                        WHERE converted <> 0 OR control_converted <> 0 OR conversions <> 0 OR revenue <> 0;
                    \(OutcomeLedger.markAllChanged)
                    INSERT INTO service_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value;
                    """, arguments: [OutcomeGoals.stateKey, goals.fingerprint])
            }
            let customers = try String.fetchAll(db, sql: "SELECT customer_id FROM outcome_changed LIMIT ?", arguments: [limit])
            guard !customers.isEmpty else { return (0, false) }
            let rows = try OutcomeLedger.attributionData(db, customers: customers).conversions(goals)
            let list = try String(data: JSONEncoder().encode(customers), encoding: .utf8)!, theirs = "customer_id IN (SELECT value FROM json_each(?))"
            try db.execute(sql: OutcomeLedgerSQL.addConversions(theirs, sign: -1, .sqlite), arguments: [list])
            try db.execute(sql: "DELETE FROM outcome_conversions WHERE \(theirs)", arguments: [list])
            let insert = try db.cachedStatement(sql: """
                INSERT INTO outcome_conversions (job, order_id, customer_id, message_id, reached_at, revenue, held_out, first_of_message, due_at, channel, variant)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for r in rows {
                try insert.execute(arguments: [r.job, r.orderId, r.customerId, r.messageId, r.reachedAt, r.revenue, r.heldOut, r.firstOfMessage,
                                               r.minute * 60, r.channel, r.variant ?? -1])
            }
            try db.execute(sql: OutcomeLedgerSQL.addConversions(theirs, sign: 1, .sqlite), arguments: [list])
            try db.execute(sql: "DELETE FROM outcome_changed WHERE \(theirs)", arguments: [list])
            let left = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM outcome_changed)") ?? false
            return (customers.count, left)
        }
    }

    public func outcomeBuckets(from: Date, to: Date, time: BucketTime, byTier: Bool) async throws -> [OutcomeBucket] {
        let sql = byTier ? OutcomeLedgerSQL.bucketsByTier(from: "?", to: "?", .sqlite) : OutcomeLedgerSQL.buckets(time: time, from: "?", to: "?", .sqlite)
        let (a, b) = (Int64(from.timeIntervalSince1970), Int64(to.timeIntervalSince1970))
        return try await db.read { db in
            try Row.fetchAll(db, sql: sql, arguments: byTier ? [a, b, a, b] : [a, b]).map { r in
                OutcomeBucket(job: r[0], channel: r[1], variant: r[2], key: byTier ? 0 : r[3], tier: byTier ? r[3] : nil,
                              sums: (4..<12).map { (r[$0] as Int?) ?? 0 })
            }
        }
    }

    public func attributionData(customers: [String]) async throws -> OutcomeData {
        try await db.read { try OutcomeLedger.attributionData($0, customers: customers) }
    }
}
