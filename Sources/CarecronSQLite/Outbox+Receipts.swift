import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

/// Delivery receipts on the SQLite outbox.
enum OutboxReceipts {
    static let migration = """
        ALTER TABLE outbox ADD COLUMN delivery TEXT CHECK (delivery IN ('delivered', 'undelivered'));
        ALTER TABLE outbox ADD COLUMN delivered_at INTEGER;
        ALTER TABLE outbox ADD COLUMN delivery_reason TEXT;
        -- a receipt finds its message by the sender and the provider's id
        CREATE INDEX outbox_provider ON outbox(sender, provider_message_id) WHERE provider_message_id IS NOT NULL;
        """

    /// Waiting for a receipt before falling back, and the receipts' counts per channel (v14).
    static let fallbackMigration = """
        -- a sent message with a fallback channel waits for its receipt until then (the job's fallbackAfter)
        ALTER TABLE outbox ADD COLUMN receipt_due_at INTEGER;
        -- why it left its first channel (kept once it is sent on the next)
        ALTER TABLE outbox ADD COLUMN fallback_note TEXT;
        -- which of its job's template variants it was written with, 0-based (the report's arms)
        ALTER TABLE outbox ADD COLUMN variant INTEGER;
        -- the fallback step's query: waits that ended, oldest first
        CREATE INDEX outbox_awaiting_receipt ON outbox(receipt_due_at) WHERE receipt_due_at IS NOT NULL;
        -- receipts recorded per channel and status (status, the metrics): a few rows, not a scan
        CREATE TABLE delivery_counts (
            channel TEXT NOT NULL,
            status TEXT NOT NULL,
            messages INTEGER NOT NULL,
            PRIMARY KEY (channel, status)
        ) WITHOUT ROWID;
        INSERT INTO delivery_counts (channel, status, messages)
            SELECT channel, delivery, COUNT(*) FROM outbox WHERE delivery IS NOT NULL GROUP BY channel, delivery;
        """
}

extension Outbox: DeliveryReceiptStore {
    public func record(_ receipts: [DeliveryReceipt], now: Date) async throws -> [ReceiptOutcome] {
        try await store.db.write { db in try Self.record(receipts, now: now, in: db) }
    }

    /// Receipts and their counts inside a transaction of the caller's (a call's outcome is one).
    static func record(_ receipts: [DeliveryReceipt], now: Date, in db: Database) throws -> [ReceiptOutcome] {
        var counts: [ReceiptCountChange: Int] = [:]
        let outcomes = try receipts.map { receipt in
            let (outcome, move) = try record(receipt, now: now, in: db)
            for (key, delta) in move?.deltas ?? [] { counts[key, default: 0] += delta }
            return outcome
        }
        let add = try db.cachedStatement(sql: """
            INSERT INTO delivery_counts (channel, status, messages) VALUES (?, ?, ?)
            ON CONFLICT(channel, status) DO UPDATE SET messages = messages + excluded.messages
            """)
        for (key, delta) in counts where delta != 0 { try add.execute(arguments: [key.channel, key.status, delta]) }
        return outcomes
    }

    private static func record(_ receipt: DeliveryReceipt, now: Date, in db: Database) throws -> (ReceiptOutcome, ReceiptCountChange.Move?) {
        let (column, value) = receipt.reference.column
        let find = try db.cachedStatement(sql: "SELECT id, channel, delivery FROM outbox WHERE sender = ? AND \(column) = ? ORDER BY id DESC LIMIT 1")
        guard let row = try Row.fetchOne(find, arguments: [receipt.sender, value]) else { return (.unknown, nil) }
        let id: Int64 = row["id"], channel: String = row["channel"]
        let current = (row["delivery"] as String?).flatMap(DeliveryReceipt.Status.init(rawValue:))
        guard receipt.status.replaces(current) else { return (.unchanged(messageId: id), nil) }
        let n = Int64(now.timeIntervalSince1970)
        // Delivered ends a wait for the receipt; undelivered ends it now (the fallback step takes it).
        try db.cachedStatement(sql: """
            UPDATE outbox SET delivery = ?, delivered_at = ?, delivery_reason = ?, updated_at = ?,
                receipt_due_at = CASE WHEN ? THEN NULL ELSE MIN(receipt_due_at, ?) END
            WHERE id = ?
            """).execute(arguments: [receipt.status.rawValue, Int64(receipt.at.timeIntervalSince1970), receipt.reason, n,
                                     receipt.status == .delivered, n, id])
        return (.recorded(messageId: id, channel: channel), ReceiptCountChange.Move(channel: channel, from: current, to: receipt.status))
    }

    public func deliveryCounts() async throws -> [String: [DeliveryReceipt.Status: Int]] {
        try await store.db.read { db in
            var out: [String: [DeliveryReceipt.Status: Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT channel, status, messages FROM delivery_counts") {
                if let s = DeliveryReceipt.Status(rawValue: row["status"]) { out[row["channel"], default: [:]][s] = row["messages"] }
            }
            return out
        }
    }

    public func awaitingFallback(dueBy now: Date, limit: Int) async throws -> [OutboxMessage] {
        try await store.db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM outbox INDEXED BY outbox_awaiting_receipt WHERE receipt_due_at IS NOT NULL AND receipt_due_at <= ?
                    AND \(OutboxTransition.notDelivered.sourceCondition) ORDER BY receipt_due_at LIMIT ?
                """, arguments: [Int64(now.timeIntervalSince1970), limit]).map(Self.message)
        }
    }

    public func fallBackUndelivered(_ m: OutboxMessage, reason: String, at: Date, now: Date) async throws -> Bool {
        guard let next = m.fallbacks.first else {
            // Nothing to fall back to: the wait ends, or the scheduler would wake for it forever.
            try await store.db.write { try $0.execute(sql: "UPDATE outbox SET receipt_due_at = NULL WHERE id = ?", arguments: [m.id]) }
            return false
        }
        let rest = Rendering.storedJSON(Array(m.fallbacks.dropFirst()))
        return try await store.db.write { db in
            try db.execute(sql: """
                UPDATE outbox SET state = \(OutboxTransition.notDelivered.targetSQL), channel = ?, recipient = ?, subject = ?, body = ?,
                    payload = ?, fallbacks = ?, last_error = ?, fallback_note = ?, attempts = 0, next_attempt_at = ?, updated_at = ?, sender = NULL,
                    provider_message_id = NULL, sent_at = NULL, delivery = NULL, delivered_at = NULL, delivery_reason = NULL,
                    receipt_due_at = NULL
                WHERE id = ? AND \(OutboxTransition.notDelivered.sourceCondition) AND receipt_due_at IS NOT NULL
                    AND (delivery IS NULL OR delivery <> 'delivered')
                """, arguments: [next.channel, next.to, next.subject, next.text, next.storedJSON, rest, reason, reason,
                                 Int64(at.timeIntervalSince1970.rounded(.up)), Int64(now.timeIntervalSince1970), m.id])
            return db.changesCount == 1
        }
    }

    public func nextReceiptDue() async throws -> Date? {
        try await store.db.read { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(receipt_due_at) FROM outbox WHERE receipt_due_at IS NOT NULL")
                .map { Date(timeIntervalSince1970: TimeInterval($0)) }
        }
    }
}
