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
}

extension Outbox: DeliveryReceiptStore {
    public func record(_ receipt: DeliveryReceipt, now: Date) async throws -> ReceiptOutcome {
        try await store.db.write { db in
            let (column, value) = receipt.reference.column
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, delivery FROM outbox WHERE sender = ? AND \(column) = ? ORDER BY id DESC LIMIT 1
                """, arguments: [receipt.sender, value]) else { return .unknown }
            let id: Int64 = row["id"]
            let current = (row["delivery"] as String?).flatMap(DeliveryReceipt.Status.init(rawValue:))
            guard receipt.status.replaces(current) else { return .unchanged(messageId: id) }
            try db.execute(sql: "UPDATE outbox SET delivery = ?, delivered_at = ?, delivery_reason = ?, updated_at = ? WHERE id = ?",
                           arguments: [receipt.status.rawValue, Int64(receipt.at.timeIntervalSince1970), receipt.reason,
                                       Int64(now.timeIntervalSince1970), id])
            return .recorded(messageId: id)
        }
    }
}
