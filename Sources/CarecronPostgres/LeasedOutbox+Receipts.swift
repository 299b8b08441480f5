import CarecronStorage
import Foundation
import PostgresNIO

/// Delivery receipts on the shared outbox: the row is locked while its delivery is decided, so
/// a provider's retry arriving at two nodes at once records it once.
extension LeasedOutbox: DeliveryReceiptStore {
    public func record(_ receipt: DeliveryReceipt, now: Date) async throws -> ReceiptOutcome {
        try await db.transaction { conn in
            let (column, value) = receipt.reference.column
            let rows = try await conn.query("""
                SELECT id, delivery FROM outbox WHERE sender = \(receipt.sender) AND \(unescaped: column) = \(value)
                ORDER BY id DESC LIMIT 1 FOR UPDATE
                """, logger: self.logger)
            var found: (Int64, String?)?
            for try await row in rows.decode((Int64, String?).self) { found = row }
            guard let (id, delivery) = found else { return .unknown }
            guard receipt.status.replaces(delivery.flatMap(DeliveryReceipt.Status.init(rawValue:))) else { return .unchanged(messageId: id) }
            try await conn.query("""
                UPDATE outbox SET delivery = \(receipt.status.rawValue), delivered_at = \(Int64(receipt.at.timeIntervalSince1970)),
                       delivery_reason = \(receipt.reason), updated_at = \(Int64(now.timeIntervalSince1970)) WHERE id = \(id)
                """, logger: self.logger)
            return .recorded(messageId: id)
        }
    }
}
