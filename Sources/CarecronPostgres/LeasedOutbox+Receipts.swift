import CarecronDomain
import CarecronStorage
import Foundation
import PostgresNIO

/// Delivery receipts on the shared outbox: the row is locked while its delivery is decided, so
/// a provider's retry arriving at two nodes at once records it once.
extension LeasedOutbox: DeliveryReceiptStore {
    /// The rows are locked in one order (by the provider's reference) and the counts after them,
    /// in one order too: two nodes' groups never wait for each other in a cycle.
    public func record(_ receipts: [DeliveryReceipt], now: Date) async throws -> [ReceiptOutcome] {
        try await db.transaction { conn in try await self.record(receipts, now: now, on: conn) }
    }

    /// Receipts and their counts inside a transaction of the caller's (a call's outcome is one).
    func record(_ receipts: [DeliveryReceipt], now: Date, on conn: PostgresConnection) async throws -> [ReceiptOutcome] {
        var out = [ReceiptOutcome](repeating: .unknown, count: receipts.count)
        var counts: [ReceiptCountChange: Int] = [:]
        for i in receipts.indices.sorted(by: { receipts[$0].reference.column.value < receipts[$1].reference.column.value }) {
            let (outcome, change) = try await record(receipts[i], now: now, on: conn)
            out[i] = outcome
            for (key, delta) in change?.deltas ?? [] { counts[key, default: 0] += delta }
        }
        for (key, delta) in counts.sorted(by: { ($0.key.channel, $0.key.status) < ($1.key.channel, $1.key.status) }) where delta != 0 {
            try await conn.query("""
                INSERT INTO delivery_counts (channel, status, messages) VALUES (\(key.channel), \(key.status), \(Int64(delta)))
                ON CONFLICT (channel, status) DO UPDATE SET messages = delivery_counts.messages + \(Int64(delta))
                """, logger: logger)
        }
        return out
    }

    private func record(_ receipt: DeliveryReceipt, now: Date, on conn: PostgresConnection) async throws -> (ReceiptOutcome, ReceiptCountChange.Move?) {
        let (column, value) = receipt.reference.column
        let rows = try await conn.query("""
            SELECT id, channel, delivery FROM outbox WHERE sender = \(receipt.sender) AND \(unescaped: column) = \(value)
            ORDER BY id DESC LIMIT 1 FOR UPDATE
            """, logger: self.logger)
        var found: (Int64, String, String?)?
        for try await row in rows.decode((Int64, String, String?).self) { found = row }
        guard let (id, channel, delivery) = found else { return (.unknown, nil) }
        let current = delivery.flatMap(DeliveryReceipt.Status.init(rawValue:))
        guard receipt.status.replaces(current) else { return (.unchanged(messageId: id), nil) }
        let n = Self.seconds(now)
        // Delivered ends a wait for the receipt; undelivered ends it now (the fallback step takes it).
        try await conn.query("""
            UPDATE outbox SET delivery = \(receipt.status.rawValue), delivered_at = \(Self.seconds(receipt.at)),
                   delivery_reason = \(receipt.reason), updated_at = \(n),
                   receipt_due_at = CASE WHEN \(receipt.status == .delivered) THEN NULL ELSE LEAST(receipt_due_at, \(n)) END
            WHERE id = \(id)
            """, logger: self.logger)
        return (.recorded(messageId: id, channel: channel), ReceiptCountChange.Move(channel: channel, from: current, to: receipt.status))
    }

    public func deliveryCounts() async throws -> [String: [DeliveryReceipt.Status: Int]] {
        var out: [String: [DeliveryReceipt.Status: Int]] = [:]
        let rows = try await db.client.query("SELECT channel, status, messages FROM delivery_counts", logger: logger)
        for try await (channel, status, n) in rows.decode((String, String, Int64).self) {
            if let s = DeliveryReceipt.Status(rawValue: status) { out[channel, default: [:]][s] = Int(n) }
        }
        return out
    }

    public func awaitingFallback(dueBy now: Date, limit: Int) async throws -> [OutboxMessage] {
        try await messages(try await db.client.query("""
            SELECT * FROM outbox WHERE receipt_due_at IS NOT NULL AND receipt_due_at <= \(Self.seconds(now))
                AND \(unescaped: OutboxTransition.notDelivered.sourceCondition) ORDER BY receipt_due_at LIMIT \(Int64(limit))
            """, logger: logger))
    }

    public func fallBackUndelivered(_ m: OutboxMessage, reason: String, at: Date, now: Date) async throws -> Bool {
        guard let next = m.fallbacks.first else {
            // Nothing to fall back to: the wait ends, or the scheduler would wake for it forever.
            try await db.client.query("UPDATE outbox SET receipt_due_at = NULL WHERE id = \(m.id)", logger: logger)
            return false
        }
        let rest = Rendering.storedJSON(Array(m.fallbacks.dropFirst())), payload = next.storedJSON
        let rows = try await db.client.query("""
            UPDATE outbox SET state = \(unescaped: OutboxTransition.notDelivered.targetSQL), channel = \(next.channel), recipient = \(next.to),
                subject = \(next.subject), body = \(next.text), payload = \(payload), fallbacks = \(rest), last_error = \(reason), fallback_note = \(reason), attempts = 0,
                next_attempt_at = \(Int64(at.timeIntervalSince1970.rounded(.up))), updated_at = \(Self.seconds(now)), sender = NULL,
                provider_message_id = NULL, sent_at = NULL, delivery = NULL, delivered_at = NULL, delivery_reason = NULL, receipt_due_at = NULL,
                lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
            WHERE id = \(m.id) AND \(unescaped: OutboxTransition.notDelivered.sourceCondition) AND receipt_due_at IS NOT NULL
                AND (delivery IS NULL OR delivery <> 'delivered')
            RETURNING id
            """, logger: logger)
        var changed = false
        for try await _ in rows.decode(Int64.self) { changed = true }
        return changed
    }

    public func nextReceiptDue() async throws -> Date? {
        let rows = try await db.client.query("SELECT MIN(receipt_due_at) FROM outbox WHERE receipt_due_at IS NOT NULL", logger: logger)
        for try await v in rows.decode(Int64?.self) { return v.map { Date(timeIntervalSince1970: TimeInterval($0)) } }
        return nil
    }
}
