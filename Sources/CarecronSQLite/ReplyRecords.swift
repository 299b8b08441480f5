import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

/// Customers' replies on SQLite (issue 27).
enum ReplyRecords {
    static let migration = """
        CREATE TABLE replies (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            sender TEXT NOT NULL,
            channel TEXT NOT NULL,
            provider_message_id TEXT,
            from_address TEXT NOT NULL,
            -- NULL: nobody has this phone or Zalo id (kept, shown as unmatched); erased with the customer
            customer_id TEXT REFERENCES customers(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            opt_out TEXT CHECK (opt_out IN ('marketing', 'all')),
            cancelled INTEGER NOT NULL DEFAULT 0,
            -- a provider's retry of the same reply
            UNIQUE (sender, provider_message_id)
        );
        CREATE INDEX replies_customer ON replies(customer_id, received_at) WHERE customer_id IS NOT NULL;
        CREATE INDEX replies_received ON replies(received_at);
        -- a Zalo reply finds its customer by the Zalo user id
        CREATE INDEX customers_zalo ON customers(zalo_user_id) WHERE zalo_user_id IS NOT NULL;
        """

    static let columns = """
        r.id, r.sender, r.channel, r.from_address, r.customer_id, c.full_name, r.text, r.received_at, r.opt_out, r.cancelled
        """

    static func reply(_ row: Row) -> StoredReply {
        StoredReply(id: row[0], sender: row[1], channel: row[2], from: row[3], customerId: row[4], customerName: row[5], text: row[6],
                    receivedAt: Date(timeIntervalSince1970: TimeInterval(row[7] as Int64)),
                    optOut: (row[8] as String?).flatMap(OptOut.init(rawValue:)), cancelled: row[9])
    }
}

extension Store: ReplyStore {
    public func record(_ reply: InboundReply, optOut: OptOutScope?, now: Date) async throws -> ReplyOutcome {
        try await db.write { db in
            if let providerId = reply.providerId, let known = try Row.fetchOne(db, sql: """
                SELECT \(ReplyRecords.columns) FROM replies r LEFT JOIN customers c ON c.id = r.customer_id
                WHERE r.sender = ? AND r.provider_message_id = ?
                """, arguments: [reply.sender, providerId]) {
                return .duplicate(ReplyRecords.reply(known))
            }
            let customer = try Self.customer(sending: reply.from, in: db)
            var cancelled = 0
            if let optOut, let id = customer?.id {
                try db.execute(sql: "UPDATE customers SET opt_out = ? WHERE id = ? AND opt_out <> 'all'", arguments: [optOut.optOut.rawValue, id])
                cancelled = try Self.cancelQueued(of: id, optOut, now: now, in: db)
                try db.execute(sql: "INSERT INTO audit (at, user, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
                               arguments: [Int64(now.timeIntervalSince1970), "reply:\(reply.sender)", "opt-out", id,
                                           optOut.auditDetail(reply: reply.text, cancelled: cancelled)])
            }
            try db.execute(sql: """
                INSERT INTO replies (sender, channel, provider_message_id, from_address, customer_id, text, received_at, opt_out, cancelled)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [reply.sender, reply.channel, reply.providerId, reply.from.address, customer?.id, reply.text,
                                 Int64(reply.at.timeIntervalSince1970), customer == nil ? nil : optOut?.optOut.rawValue, cancelled])
            return .stored(StoredReply(id: db.lastInsertedRowID, sender: reply.sender, channel: reply.channel, from: reply.from.address,
                                       customerId: customer?.id, customerName: customer?.name, text: reply.text, receivedAt: reply.at,
                                       optOut: customer == nil ? nil : optOut?.optOut, cancelled: cancelled))
        }
    }

    private static func customer(sending from: InboundReply.From, in db: Database) throws -> (id: String, name: String)? {
        let sql = switch from {
        case .phone: "SELECT id, full_name FROM customers WHERE phone = ? ORDER BY id LIMIT 1"
        case .zaloUser: "SELECT id, full_name FROM customers WHERE zalo_user_id = ? ORDER BY id LIMIT 1"
        }
        return try Row.fetchOne(db, sql: sql, arguments: [from.address]).map { ($0[0], $0[1]) }
    }

    /// Cancels what the opt-out forbids and is not sent yet; returns how many.
    private static func cancelQueued(of customerId: String, _ scope: OptOutScope, now: Date, in db: Database) throws -> Int {
        let jobs = scope.advertisingJobs
        let which = scope.optOut == .all ? "" : "AND (campaign IS NOT NULL\(jobs.isEmpty ? "" : " OR job IN (\(jobs.map { _ in "?" }.joined(separator: ", ")))"))"
        let args: [DatabaseValueConvertible?] = [scope.reason, Int64(now.timeIntervalSince1970), customerId] + (scope.optOut == .all ? [] : jobs)
        try db.execute(sql: """
            UPDATE outbox SET state = \(OutboxTransition.optOut.targetSQL), last_error = ?, updated_at = ?
            WHERE customer_id = ? AND \(OutboxTransition.optOut.sourceCondition) \(which)
            """, arguments: StatementArguments(args))
        return db.changesCount
    }

    public func setOptOut(customerId: String, to scope: OptOutScope, user: String, now: Date) async throws -> OptOutChange? {
        try await db.write { db in
            guard let old = try String.fetchOne(db, sql: "SELECT opt_out FROM customers WHERE id = ?", arguments: [customerId])
                .flatMap(OptOut.init(rawValue:)) else { return nil }
            guard old != scope.optOut else { return OptOutChange(previous: old, cancelled: 0) }
            try db.execute(sql: "UPDATE customers SET opt_out = ? WHERE id = ?", arguments: [scope.optOut.rawValue, customerId])
            let cancelled = scope.optOut == .none ? 0 : try Self.cancelQueued(of: customerId, scope, now: now, in: db)
            try db.execute(sql: "INSERT INTO audit (at, user, action, subject, detail) VALUES (?, ?, 'opt-out set', ?, ?)",
                           arguments: [Int64(now.timeIntervalSince1970), user, customerId, scope.setDetail(previous: old, cancelled: cancelled)])
            return OptOutChange(previous: old, cancelled: cancelled)
        }
    }

    public func replies(customerId: String?, limit: Int) async throws -> [StoredReply] {
        try await db.read { db in
            let rows = customerId == nil
                ? try Row.fetchAll(db, sql: "SELECT \(ReplyRecords.columns) FROM replies r LEFT JOIN customers c ON c.id = r.customer_id ORDER BY r.id DESC LIMIT ?",
                                   arguments: [limit])
                : try Row.fetchAll(db, sql: """
                    SELECT \(ReplyRecords.columns) FROM replies r LEFT JOIN customers c ON c.id = r.customer_id
                    WHERE r.customer_id = ? ORDER BY r.id DESC LIMIT ?
                    """, arguments: [customerId, limit])
            return rows.map(ReplyRecords.reply)
        }
    }
}
