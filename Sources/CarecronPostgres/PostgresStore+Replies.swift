import CarecronDomain
import CarecronStorage
import Foundation
import PostgresNIO

/// Customers' replies on the shared database: the reply, the customer's opt-out, the cancelled
/// messages and the audit line commit together, so every node's next claim sees the opt-out.
extension PostgresStore: ReplyStore {
    private static let replyColumns = """
        r.id, r.sender, r.channel, r.from_address, r.customer_id, c.full_name, r.text, r.received_at, r.opt_out, r.cancelled
        """

    private typealias ReplyRow = (Int64, String, String, String, String?, String?, String, Int64, String?, Int32)

    private static func reply(_ r: ReplyRow) -> StoredReply {
        StoredReply(id: r.0, sender: r.1, channel: r.2, from: r.3, customerId: r.4, customerName: r.5, text: r.6,
                    receivedAt: Date(timeIntervalSince1970: TimeInterval(r.7)), optOut: r.8.flatMap(OptOut.init(rawValue:)), cancelled: Int(r.9))
    }

    public func record(_ reply: InboundReply, optOut: OptOutScope?, now: Date) async throws -> ReplyOutcome {
        try await db.transaction { conn in
            if let providerId = reply.providerId {
                // A provider's retry arriving at two nodes at once: the unique key decides, the second waits and finds it.
                let known = try await conn.query("""
                    SELECT \(unescaped: Self.replyColumns) FROM replies r LEFT JOIN customers c ON c.id = r.customer_id
                    WHERE r.sender = \(reply.sender) AND r.provider_message_id = \(providerId)
                    """, logger: self.logger)
                for try await row in known.decode(ReplyRow.self) { return .duplicate(Self.reply(row)) }
            }
            let column = if case .phone = reply.from { "phone" } else { "zalo_user_id" }
            var customer: (String, String)?
            for try await row in try await conn.query("""
                SELECT id, full_name FROM customers WHERE \(unescaped: column) = \(reply.from.address) ORDER BY id LIMIT 1 FOR UPDATE
                """, logger: self.logger).decode((String, String).self) { customer = row }
            var cancelled = 0
            let n = Self.seconds(now)
            if let optOut, let (id, _) = customer {
                try await conn.query("UPDATE customers SET opt_out = \(optOut.optOut.rawValue) WHERE id = \(id) AND opt_out <> 'all'", logger: self.logger)
                cancelled = try await Self.cancelQueued(of: id, optOut, now: n, conn: conn, logger: self.logger)
                try await conn.query("""
                    INSERT INTO audit (at, "user", action, subject, detail)
                    VALUES (\(n), \("reply:\(reply.sender)"), 'opt-out', \(id),
                            \(optOut.auditDetail(reply: reply.text, cancelled: cancelled)))
                    """, logger: self.logger)
            }
            let kept = customer == nil ? nil : optOut?.optOut.rawValue
            var newId: Int64 = 0
            for try await id in try await conn.query("""
                INSERT INTO replies (sender, channel, provider_message_id, from_address, customer_id, text, received_at, opt_out, cancelled)
                VALUES (\(reply.sender), \(reply.channel), \(reply.providerId), \(reply.from.address), \(customer?.0), \(reply.text),
                        \(Self.seconds(reply.at)), \(kept), \(Int32(cancelled)))
                RETURNING id
                """, logger: self.logger).decode(Int64.self) { newId = id }
            return .stored(StoredReply(id: newId, sender: reply.sender, channel: reply.channel, from: reply.from.address,
                                       customerId: customer?.0, customerName: customer?.1, text: reply.text, receivedAt: reply.at,
                                       optOut: kept.flatMap(OptOut.init(rawValue:)), cancelled: cancelled))
        }
    }

    /// Cancels what the opt-out forbids and is not sent yet; returns how many.
    private static func cancelQueued(of customerId: String, _ scope: OptOutScope, now: Int64, conn: PostgresConnection,
                                     logger: Logger) async throws -> Int {
        let rows = scope.optOut == .all
            ? try await conn.query("""
                UPDATE outbox SET state = \(unescaped: OutboxTransition.optOut.targetSQL), last_error = \(scope.reason), updated_at = \(now)
                WHERE customer_id = \(customerId) AND \(unescaped: OutboxTransition.optOut.sourceCondition) RETURNING id
                """, logger: logger)
            : try await conn.query("""
                UPDATE outbox SET state = \(unescaped: OutboxTransition.optOut.targetSQL), last_error = \(scope.reason), updated_at = \(now)
                WHERE customer_id = \(customerId) AND \(unescaped: OutboxTransition.optOut.sourceCondition)
                    AND (campaign IS NOT NULL OR job = ANY(\(scope.advertisingJobs))) RETURNING id
                """, logger: logger)
        var n = 0
        for try await _ in rows.decode(Int64.self) { n += 1 }
        return n
    }

    public func setOptOut(customerId: String, to scope: OptOutScope, user: String, now: Date) async throws -> OptOutChange? {
        try await db.transaction { conn in
            var old: OptOut?
            for try await v in try await conn.query("SELECT opt_out FROM customers WHERE id = \(customerId) FOR UPDATE", logger: self.logger)
                .decode(String.self) { old = OptOut(rawValue: v) }
            guard let old else { return nil }
            guard old != scope.optOut else { return OptOutChange(previous: old, cancelled: 0) }
            try await conn.query("UPDATE customers SET opt_out = \(scope.optOut.rawValue) WHERE id = \(customerId)", logger: self.logger)
            let n = Self.seconds(now)
            let cancelled = scope.optOut == .none ? 0 : try await Self.cancelQueued(of: customerId, scope, now: n, conn: conn, logger: self.logger)
            try await conn.query("""
                INSERT INTO audit (at, "user", action, subject, detail)
                VALUES (\(n), \(user), 'opt-out set', \(customerId), \(scope.setDetail(previous: old, cancelled: cancelled)))
                """, logger: self.logger)
            return OptOutChange(previous: old, cancelled: cancelled)
        }
    }

    public func replies(customerId: String?, limit: Int) async throws -> [StoredReply] {
        let rows = customerId == nil
            ? try await db.client.query("""
                SELECT \(unescaped: Self.replyColumns) FROM replies r LEFT JOIN customers c ON c.id = r.customer_id ORDER BY r.id DESC LIMIT \(Int64(limit))
                """, logger: logger)
            : try await db.client.query("""
                SELECT \(unescaped: Self.replyColumns) FROM replies r LEFT JOIN customers c ON c.id = r.customer_id
                WHERE r.customer_id = \(customerId) ORDER BY r.id DESC LIMIT \(Int64(limit))
                """, logger: logger)
        var out: [StoredReply] = []
        for try await row in rows.decode(ReplyRow.self) { out.append(Self.reply(row)) }
        return out
    }
}
