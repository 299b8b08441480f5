import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

extension Store {
    /// The customer and orders of a message as they are now, for the re-check at sending
    /// (`StillWanted`). One read transaction: both come from the same moment.
    public func sendingFacts(customerId: String?, orderIds: [String], sameJob: (job: String, since: Date)? = nil) throws -> SendingFacts {
        try db.read { db in
            var optOut: OptOut?, lastSent: Date?, complaint = false
            if let customerId {
                if let row = try Row.fetchOne(db, sql: """
                    SELECT opt_out, EXISTS (SELECT 1 FROM conversations v WHERE v.customer_id = c.id AND v.kind = 'complaint' AND v.state <> 'resolved')
                    FROM customers c WHERE id = ?
                    """, arguments: [customerId]) {
                    optOut = OptOut(rawValue: row[0]) ?? OptOut.none
                    complaint = row[1]
                }
                if let sameJob {
                    lastSent = try Int64.fetchOne(db, sql: "SELECT MAX(sent_at) FROM outbox WHERE customer_id = ? AND sent_at >= ? AND job = ?",
                                                  arguments: [customerId, Int64(sameJob.since.timeIntervalSince1970), sameJob.job])
                        .map { Date(timeIntervalSince1970: TimeInterval($0)) }
                }
            }
            guard !orderIds.isEmpty else { return SendingFacts(optOut: optOut, orders: [], lastSentOfJob: lastSent, complaintOpen: complaint) }
            func date(_ v: Int64?) -> Date? { v.map { Date(timeIntervalSince1970: TimeInterval($0)) } }
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, status, paid_at, expired_at, delivered_at FROM orders WHERE id IN (\(orderIds.map { _ in "?" }.joined(separator: ",")))
                """, arguments: StatementArguments(orderIds))
            let orders = rows.map { r in
                OrderAtSending(id: r["id"], status: OrderStatus(rawValue: r["status"]), paidAt: date(r["paid_at"]),
                               expiredAt: date(r["expired_at"]), deliveredAt: date(r["delivered_at"]))
            }
            return SendingFacts(optOut: optOut, orders: orders, lastSentOfJob: lastSent, complaintOpen: complaint)
        }
    }
}
