import CarecronStorage
import Foundation
import GRDB

/// For `carecron bench outbox` (issue 14, figure 4): an outbox as months of sending leave it,
/// written in SQL in the store's own module, the only one that knows its tables.
extension Store {
    /// `rows` sent messages spread over the 89 days before `end`, with their keys, a million to
    /// a transaction, through the same table, indexes, triggers and counts as the service's own.
    /// With `sender`, each was sent by it and has the provider's id `p<i>` (receipts find them).
    @_spi(Bench) public func fillWithSentMessages(_ rows: Int, endingAt end: Date, sender: String? = nil) throws {
        let last = Int(end.timeIntervalSince1970), span = 89 * 86_400
        var first = 0
        while first < rows {
            let upTo = min(rows, first + 1_000_000)
            try self.db.write { db in
                let firstId = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM outbox") ?? 0
                try db.execute(sql: """
                    WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                    INSERT INTO outbox (idempotency_key, job, channel, recipient, body, state, attempts, due_at, next_attempt_at,
                                        created_at, updated_at, sent_at, priority, sender, provider_message_id)
                    SELECT 'old:' || i, CASE i % 3 WHEN 0 THEN 'birthday' WHEN 1 THEN 'post-sale-checkin' ELSE 'cod-confirmation' END,
                           'sms', '+849' || printf('%08d', i % 100000000), 'Tin nhắn đã gửi tháng trước', \(OutboxState.sent.sql), 1, t, t, t, t, t, 1,
                           ?, CASE WHEN ? IS NULL THEN NULL ELSE 'p' || i END
                    FROM (SELECT i, ? - (i * 7919) % ? AS t FROM n)
                    """, arguments: [first, upTo - 1, sender, sender, last, span])
                try db.execute(sql: """
                    INSERT INTO outbox_counts (job, state, messages, last_planned_at)
                    SELECT job, \(OutboxState.sent.sql), COUNT(*), MAX(created_at) FROM outbox WHERE idempotency_key LIKE 'old:%' AND id > ? GROUP BY job
                    ON CONFLICT(job, state) DO UPDATE SET messages = messages + excluded.messages,
                        last_planned_at = MAX(last_planned_at, excluded.last_planned_at)
                    """, arguments: [firstId])
                try db.execute(sql: """
                    INSERT INTO outcome_funnel (job, minute, channel, variant, planned, sent, delivered, held_out)
                    SELECT job, due_at / 60, channel, -1, COUNT(*), COUNT(*), 0, 0 FROM outbox WHERE id > ? GROUP BY job, due_at / 60, channel
                    ON CONFLICT (job, minute, channel, variant) DO UPDATE SET planned = planned + excluded.planned, sent = sent + excluded.sent
                    """, arguments: [firstId])
                try db.execute(sql: """
                    INSERT INTO outbox_keys (key, outbox_id, planned_at)
                    SELECT idempotency_key, id, created_at FROM outbox WHERE id > (SELECT COALESCE(MAX(outbox_id), 0) FROM outbox_keys)
                    """)
            }
            first = upTo
        }
    }
}

extension Store {
    /// For `carecron bench receipts`: the rows a receipt marked delivered, and the count kept for them.
    @_spi(Bench) public func countDelivered() throws -> (rows: Int, counted: Int) {
        try db.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE delivery = 'delivered'") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(messages), 0) FROM delivery_counts WHERE status = 'delivered'") ?? 0)
        }
    }
}

extension Store {
    /// For `carecron bench report` (issue 28, item 8): 90 days of a shop's orders and messages, as
    /// its outcomes report reads them. `orders` orders over the 90 days before `end` (`H<i>`, of
    /// customers `C<j>` as `bench generate` names them): 60% paid within hours, 20% delivered,
    /// 15% left unpaid, 5% cancelled. `rows` outbox rows over the same days: 40% payment
    /// reminders of those orders (three hours after the order), 20% birthday greetings in two
    /// variants, 20% check-ins, 10% COD confirmations, 10% a campaign; one in twenty held out as
    /// a control group, one in twenty cancelled, the rest sent, 70% with a delivery receipt.
    @_spi(Bench) public func fillWithOutcomeHistory(customers: Int, orders: Int, rows: Int, endingAt end: Date) throws {
        let last = Int(end.timeIntervalSince1970), span = 90 * 86_400
        try db.write { db in
            try db.execute(sql: """
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                INSERT INTO orders (id, customer_id, placed_at, amount, payment_method, status, paid_at, delivered_at, items, created_at, updated_at)
                SELECT 'H' || i, 'C' || ((i * 7) % ?), t, 100000 + (i % 40) * 50000, CASE WHEN i % 10 < 3 THEN 'cod' ELSE 'bank_transfer' END,
                       CASE WHEN i % 20 < 12 THEN 'paid' WHEN i % 20 < 16 THEN 'delivered' WHEN i % 20 < 19 THEN 'pending' ELSE 'cancelled' END,
                       CASE WHEN i % 20 < 16 THEN t + 600 + (i % 36) * 1200 END,
                       CASE WHEN i % 20 BETWEEN 12 AND 15 THEN t + 86400 * (1 + i % 4) END,
                       'Son môi', t, t
                FROM (SELECT i, ? - (i * 7919) % ? AS t FROM n)
                """, arguments: [orders - 1, customers, last, span])
        }
        var first = 0
        while first < rows {
            let upTo = min(rows, first + 1_000_000)
            try db.write { db in
                try db.execute(sql: """
                    WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?),
                    m AS (
                        SELECT i, CASE WHEN i % 10 < 4 THEN 'payment-reminder' WHEN i % 10 < 6 THEN 'birthday' WHEN i % 10 < 8 THEN 'post-sale-checkin'
                                       WHEN i % 10 = 8 THEN 'cod-confirmation' ELSE 'win-back' END AS job,
                               i % ? AS k, ? - (i * 7919) % ? AS t FROM n)
                    INSERT INTO outbox (idempotency_key, job, customer_id, order_ids, reminder, channel, recipient, body, state, attempts, due_at,
                                        next_attempt_at, last_error, created_at, updated_at, sent_at, priority, sender, variant, delivery, delivered_at)
                    SELECT 'hist:' || i, job,
                           CASE WHEN job IN ('payment-reminder', 'cod-confirmation') THEN 'C' || ((k * 7) % ?) ELSE 'C' || (i % ?) END,
                           CASE WHEN job IN ('payment-reminder', 'cod-confirmation') THEN 'H' || k ELSE '' END,
                           CASE WHEN job = 'payment-reminder' THEN 1 + i % 2 END,
                           CASE WHEN i % 3 = 0 THEN 'zalo' ELSE 'sms' END, '+84912000000', 'Tin nhắn', 
                           CASE WHEN i % 20 < 2 THEN 'cancelled' ELSE 'sent' END, 1, due, due,
                           CASE i % 20 WHEN 0 THEN 'control group (holdout 5%: planned, not sent, to measure the job)' WHEN 1 THEN 'the order was paid' END,
                           due, due, CASE WHEN i % 20 >= 2 THEN due END, 1, 'gw', CASE WHEN job = 'birthday' THEN i % 2 END,
                           CASE WHEN i % 20 >= 2 AND i % 10 < 7 THEN 'delivered' END, CASE WHEN i % 20 >= 2 AND i % 10 < 7 THEN due + 30 END
                    FROM (SELECT i, job, k, CASE WHEN job IN ('payment-reminder', 'cod-confirmation') THEN ? - (k * 7919) % ? + 10800 ELSE t END AS due FROM m)
                    """, arguments: [first, upTo - 1, orders, last, span, customers, customers, last, span])
            }
            first = upTo
        }
        try db.write { db in
            try db.execute(sql: """
                DELETE FROM outbox_counts;
                INSERT INTO outbox_counts (job, state, messages, last_planned_at) SELECT job, state, COUNT(*), MAX(created_at) FROM outbox GROUP BY job, state;
                INSERT OR IGNORE INTO outbox_keys (key, outbox_id, planned_at) SELECT idempotency_key, id, created_at FROM outbox WHERE idempotency_key LIKE 'hist:%';
                DELETE FROM outcome_funnel;
                DELETE FROM outcome_conversions;
                \(OutcomeLedger.fillFunnel)
                \(OutcomeLedger.markAllChanged)
                """)
        }
    }
}

extension Store {
    /// For `carecron bench report`: a day's changes as the report meets them, one order in `every`
    /// paid a second later (its customer's conversions to be recomputed); how many customers that marked.
    @_spi(Bench) public func touchOrders(every: Int) throws -> Int {
        try db.write { db in
            try db.execute(sql: "UPDATE orders SET paid_at = paid_at + 1 WHERE paid_at IS NOT NULL AND CAST(substr(id, 2) AS INTEGER) % ? = 0", arguments: [every])
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outcome_changed") ?? 0
        }
    }
}

extension Store {
    /// For `carecron bench calls`: a day of `today` calls handed to `agents` and open, and
    /// `historyDays` days before it of as many calls each, done. The calls' customers are C0…,
    /// as `bench generate` names them; each call is an outbox row of the `call` channel, sent
    /// to the care team's desk.
    @_spi(Bench) public func fillWithCalls(today: Int, historyDays: Int, agents: Int, dayStart: Date, customers: Int) throws {
        let start = Int64(dayStart.timeIntervalSince1970)
        for back in stride(from: historyDays, through: 0, by: -1) {
            let day = start - Int64(back) * 86_400, open = back == 0
            try db.write { db in
                let firstId = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM outbox") ?? 0
                // Due between 08:00 and 16:00, the day's calls spread over it.
                try db.execute(sql: """
                    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
                    INSERT INTO outbox (idempotency_key, job, customer_id, order_ids, channel, recipient, body, state, attempts, due_at, next_attempt_at,
                                        created_at, updated_at, sent_at, priority, sender, delivery, delivered_at)
                    SELECT 'bench-call:' || ? || ':' || i, CASE i % 3 WHEN 0 THEN 'post-sale-checkin' ELSE 'cod-confirmation' END,
                           'C' || ((i * 7919 + ?) % ?), '', 'call', '+849' || printf('%08d', i), 'Chào chị, em gọi từ Hoa Sen xác nhận đơn hàng của chị ạ.',
                           \(OutboxState.sent.sql), 1, t, t, t, t, t, CASE i % 3 WHEN 0 THEN 1 ELSE 0 END, 'calls',
                           CASE WHEN ? THEN NULL ELSE 'delivered' END, CASE WHEN ? THEN NULL ELSE t + 600 END
                    FROM (SELECT i, ? + 28800 + (i * 28800) / ? AS t FROM n)
                    """, arguments: [today, day, back, customers, open, open, day, today])
                try db.execute(sql: "UPDATE outbox SET provider_message_id = 'call:' || id WHERE id > ?", arguments: [firstId])
                try db.execute(sql: """
                    INSERT INTO calls (outbox_id, customer_id, job, agent, rule, purpose_rank, job_priority, amount, assigned_at, next_try_at, tries,
                                       state, result, done_at, done_by, updated_at)
                    SELECT id, customer_id, job, 'a' || printf('%02d', id % ? + 1), 'least_loaded', priority, 5, 500000 + (id * 7919) % 5000000,
                           due_at, due_at, CASE WHEN ? THEN 0 ELSE 1 END, CASE WHEN ? THEN 'open' ELSE 'done' END,
                           CASE WHEN ? THEN NULL ELSE 'reached' END, CASE WHEN ? THEN NULL ELSE due_at + 600 END,
                           CASE WHEN ? THEN NULL ELSE 'a' || printf('%02d', id % ? + 1) END, due_at
                    FROM outbox WHERE id > ?
                    """, arguments: [agents, open, open, open, open, open, agents, firstId])
                try db.execute(sql: """
                    INSERT INTO outbox_keys (key, outbox_id, planned_at) SELECT idempotency_key, id, created_at FROM outbox WHERE id > ?
                    """, arguments: [firstId])
                // The day's customers take calls: one who refused everything would have had none handed out.
                if open {
                    try db.execute(sql: """
                        UPDATE customers SET opt_out = 'none' WHERE opt_out = 'all' AND id IN (SELECT customer_id FROM outbox WHERE id > ?)
                        """, arguments: [firstId])
                }
            }
        }
    }
}
