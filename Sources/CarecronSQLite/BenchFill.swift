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
