import CarecronDomain
import Foundation
import GRDB

/// The check made again at the moment of sending (DOMAIN.md §1.5, §6): is the message still
/// wanted? A reason to cancel it, or nil.
public struct OutboxChecks: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    public func reasonToCancel(_ m: OutboxMessage, type: JobType?, purpose: Purpose?, now: Date) throws -> String? {
        try store.db.read { db in
            if let customerId = m.customerId {
                guard let optOut = try String.fetchOne(db, sql: "SELECT opt_out FROM customers WHERE id = ?", arguments: [customerId]) else {
                    return "customer \(customerId) no longer exists"
                }
                if optOut == "all" { return "customer opted out of all messages" }
                if optOut == "marketing", purpose == .marketing { return "customer opted out of marketing" }
            }
            guard let type, !m.orderIds.isEmpty else { return nil }
            let n = Int(now.timeIntervalSince1970)
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, status, paid_at, expired_at, delivered_at FROM orders WHERE id IN (\(m.orderIds.map { _ in "?" }.joined(separator: ",")))
                """, arguments: StatementArguments(m.orderIds))
            func settled(_ r: Row) -> String? {
                let status: String = r["status"]
                if ["cancelled", "returned"].contains(status) { return "order \(r["id"] as String) was \(status)" }
                switch type {
                case .paymentReminder, .orderExpiry:
                    if let paid = r["paid_at"] as Int?, paid <= n { return "order \(r["id"] as String) was paid" }
                    if ["paid", "delivered"].contains(status) { return "order \(r["id"] as String) was paid" }
                    if type == .paymentReminder, (r["expired_at"] as Int?) != nil || status == "expired" {
                        return "order \(r["id"] as String) expired"
                    }
                case .codConfirmation:
                    if let delivered = r["delivered_at"] as Int?, delivered <= n { return "order \(r["id"] as String) was already delivered" }
                default: break
                }
                return nil
            }
            let reasons = rows.compactMap(settled)
            if rows.isEmpty { return "the order no longer exists" }
            // A message naming several orders still goes out while one of them needs it.
            return reasons.count == rows.count ? reasons.joined(separator: "; ") : nil
        }
    }
}
