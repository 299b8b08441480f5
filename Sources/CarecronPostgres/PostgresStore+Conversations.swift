import CarecronDomain
import CarecronStorage
import Foundation
import PostgresNIO

/// The care team's conversations on the shared database: a customer's messages to two nodes
/// at once join one conversation (the customer's row is locked while it is decided), and an
/// answer or a resolution locks the conversation, so it is written once.
extension PostgresStore: ConversationStore {
    static let conversationsMigration = [
        """
        CREATE TABLE conversations (
            id BIGSERIAL PRIMARY KEY, customer_id TEXT REFERENCES customers(id) ON DELETE CASCADE, from_address TEXT NOT NULL,
            channel TEXT NOT NULL, sender TEXT, kind TEXT NOT NULL CHECK (kind IN ('reply', 'complaint', 'feedback')), category TEXT,
            order_id TEXT, agent TEXT, rule TEXT, opened_at BIGINT NOT NULL, due_at BIGINT NOT NULL, last_in_at BIGINT NOT NULL,
            first_response_at BIGINT, resolved_at BIGINT, resolution TEXT, resolved_by TEXT,
            state TEXT NOT NULL CHECK (state IN ('open', 'answered', 'resolved')), contacts BIGINT NOT NULL DEFAULT 1,
            came_back BIGINT NOT NULL DEFAULT 0, updated_at BIGINT NOT NULL)
        """,
        "CREATE INDEX conversations_waiting ON conversations (state, due_at) WHERE state <> 'resolved'",
        "CREATE INDEX conversations_customer ON conversations (customer_id, id) WHERE customer_id IS NOT NULL",
        "CREATE INDEX conversations_from ON conversations (from_address, id)",
        "CREATE INDEX conversations_opened ON conversations (opened_at)",
        """
        CREATE TABLE conversation_events (
            id BIGSERIAL PRIMARY KEY, conversation_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE, at BIGINT NOT NULL,
            direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'note')), text TEXT NOT NULL, by_user TEXT, outbox_id BIGINT)
        """,
        "CREATE INDEX conversation_events_of ON conversation_events (conversation_id, id)",
    ]

    private func one(_ id: Int64, on conn: PostgresConnection) async throws -> Conversation? {
        var binds = PostgresBindings()
        binds.append(id)
        let sql = "SELECT \(ConversationSQL.columns) FROM \(ConversationSQL.from) WHERE v.id = $1"
        for try await row in try await conn.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode(ConversationSQL.Row.self) {
            return ConversationSQL.conversation(row)
        }
        return nil
    }

    private func event(_ id: Int64, _ direction: ConversationEvent.Direction, _ text: String, by: String?, at: Date, outboxId: Int64? = nil,
                       on conn: PostgresConnection) async throws {
        try await conn.query("""
            INSERT INTO conversation_events (conversation_id, at, direction, text, by_user, outbox_id)
            VALUES (\(id), \(Self.seconds(at)), \(direction.rawValue), \(text), \(by), \(outboxId))
            """, logger: logger)
    }

    public func addContact(_ c: NewContact, reopenWithin: TimeSpan) async throws -> (ContactOutcome, Conversation) {
        try await db.transaction { conn in
            let at = Self.seconds(c.at)
            if c.kind == .reply {
                // The customer's row is the lock: two replies at two nodes decide one after the other.
                if let customer = c.customerId {
                    try await conn.query("SELECT 1 FROM customers WHERE id = \(customer) FOR UPDATE", logger: self.logger)
                } else {
                    try await conn.query("SELECT pg_advisory_xact_lock(hashtext(\(c.from)))", logger: self.logger)
                }
                let rows = c.customerId == nil
                    ? try await conn.query("""
                        SELECT id, state, resolved_at FROM conversations WHERE customer_id IS NULL AND from_address = \(c.from) ORDER BY id DESC LIMIT 1
                        """, logger: self.logger)
                    : try await conn.query("""
                        SELECT id, state, resolved_at FROM conversations WHERE customer_id = \(c.customerId) ORDER BY id DESC LIMIT 1
                        """, logger: self.logger)
                var latest: (Int64, String, Int64?)?
                for try await row in rows.decode((Int64, String, Int64?).self) { latest = row }
                if let (id, state, resolved) = latest {
                    let reopen = state == ConversationState.resolved.rawValue
                    if !reopen || (resolved ?? 0) >= at - Int64(reopenWithin.seconds) {
                        try await conn.query("""
                            UPDATE conversations SET state = 'open', due_at = \(Self.seconds(c.dueAt)), last_in_at = \(at), contacts = contacts + 1,
                                came_back = CASE WHEN \(reopen) THEN 1 ELSE came_back END, resolved_at = NULL, resolution = NULL, resolved_by = NULL,
                                updated_at = \(at) WHERE id = \(id)
                            """, logger: self.logger)
                        try await self.event(id, .inbound, c.text, by: c.recordedBy, at: c.at, on: conn)
                        return (reopen ? .reopened : .appended, try await self.one(id, on: conn)!)
                    }
                }
            }
            var id: Int64 = 0
            for try await v in try await conn.query("""
                INSERT INTO conversations (customer_id, from_address, channel, sender, kind, category, order_id, agent, rule, opened_at, due_at,
                                           last_in_at, state, updated_at)
                VALUES (\(c.customerId), \(c.from), \(c.channel), \(c.sender), \(c.kind.rawValue), \(c.category?.rawValue), \(c.orderId),
                        \(c.agent?.login), \(c.agent?.rule.rawValue), \(at), \(Self.seconds(c.dueAt)), \(at), 'open', \(at))
                RETURNING id
                """, logger: self.logger).decode(Int64.self) { id = v }
            try await self.event(id, .inbound, c.text, by: c.recordedBy, at: c.at, on: conn)
            return (.opened, try await self.one(id, on: conn)!)
        }
    }

    public func conversations(_ q: ConversationQuery) async throws -> [Conversation] {
        var binds = PostgresBindings(), n = 0
        func next(_ value: String) -> String {
            binds.append(value)
            n += 1
            return "$\(n)"
        }
        let states = q.states.map { next($0.rawValue) }
        let agent = q.agent.map(next), customer = q.customerId.map(next)
        let sql = ConversationSQL.list(states: states, agent: agent, customer: customer) + " ORDER BY \(ConversationSQL.order) LIMIT \(q.limit)"
        var out: [Conversation] = []
        for try await row in try await db.client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode(ConversationSQL.Row.self) {
            out.append(ConversationSQL.conversation(row))
        }
        return out
    }

    public func conversation(_ id: Int64) async throws -> (Conversation, [ConversationEvent])? {
        try await db.client.withConnection { conn in
            guard let c = try await self.one(id, on: conn) else { return nil }
            var events: [ConversationEvent] = []
            for try await (at, direction, text, by, outbox) in try await conn.query("""
                SELECT at, direction, text, by_user, outbox_id FROM conversation_events WHERE conversation_id = \(id) ORDER BY id
                """, logger: self.logger).decode((Int64, String, String, String?, Int64?).self) {
                events.append(ConversationEvent(at: Date(timeIntervalSince1970: TimeInterval(at)),
                                                direction: ConversationEvent.Direction(rawValue: direction) ?? .note, text: text, by: by, outboxId: outbox))
            }
            return (c, events)
        }
    }

    public func answer(_ id: Int64, text: String, by user: String, entry: OutboxEntry, at: Date) async throws -> Int64? {
        try await db.transaction { conn in
            var state: String?
            for try await s in try await conn.query("SELECT state FROM conversations WHERE id = \(id) FOR UPDATE", logger: self.logger)
                .decode(String.self) { state = s }
            guard let state, state != ConversationState.resolved.rawValue,
                  try await LeasedOutbox.insert([entry], now: at, on: conn, logger: self.logger).first == true else { return nil }
            var outboxId: Int64?
            for try await v in try await conn.query("SELECT id FROM outbox WHERE idempotency_key = \(entry.keys.joined(separator: "+"))",
                                                    logger: self.logger).decode(Int64.self) { outboxId = v }
            guard let outboxId else { return nil }
            let n = Self.seconds(at)
            try await conn.query("""
                UPDATE conversations SET state = 'answered', first_response_at = COALESCE(first_response_at, \(n)), updated_at = \(n) WHERE id = \(id)
                """, logger: self.logger)
            try await self.event(id, .outbound, text, by: user, at: at, outboxId: outboxId, on: conn)
            return outboxId
        }
    }

    public func resolve(_ id: Int64, resolution: String, by user: String, at: Date) async throws -> Bool {
        try await db.transaction { conn in
            let n = Self.seconds(at)
            guard try await self.returnsRow("""
                UPDATE conversations SET state = 'resolved', resolved_at = \(n), resolution = \(resolution), resolved_by = \(user), updated_at = \(n)
                WHERE id = \(id) AND state <> 'resolved' RETURNING id
                """, on: conn) else { return false }
            try await self.event(id, .note, resolution, by: user, at: at, on: conn)
            return true
        }
    }

    public func conversationCounts(now: Date) async throws -> (open: Int, overdue: Int) {
        for try await (open, overdue) in try await db.client.query("""
            SELECT COUNT(*), COUNT(*) FILTER (WHERE due_at < \(Self.seconds(now))) FROM conversations WHERE state = 'open'
            """, logger: logger).decode((Int, Int).self) { return (open, overdue) }
        return (0, 0)
    }

    public func conversationLoads() async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for try await (agent, n) in try await db.client.query("""
            SELECT agent, COUNT(*) FROM conversations WHERE state <> 'resolved' AND agent IS NOT NULL GROUP BY agent
            """, logger: logger).decode((String, Int).self) { out[agent] = n }
        return out
    }

    public func openComplaints() async throws -> Set<String> {
        var out: Set<String> = []
        for try await id in try await db.client.query("""
            SELECT DISTINCT customer_id FROM conversations WHERE state <> 'resolved' AND kind = 'complaint' AND customer_id IS NOT NULL
            """, logger: logger).decode(String.self) { out.insert(id) }
        return out
    }

    public func conversationFacts(openedFrom from: Date, to: Date) async throws -> [ConversationFacts] {
        var out: [ConversationFacts] = []
        for try await (opened, first, resolved, contacts, cameBack) in try await db.client.query("""
            SELECT opened_at, first_response_at, resolved_at, contacts, came_back FROM conversations
            WHERE opened_at >= \(Self.seconds(from)) AND opened_at < \(Self.seconds(to))
            """, logger: logger).decode((Int64, Int64?, Int64?, Int, Int).self) {
            func date(_ s: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(s)) }
            out.append(ConversationFacts(openedAt: date(opened), firstResponseAt: first.map(date), resolvedAt: resolved.map(date), contacts: contacts,
                                         cameBack: cameBack != 0))
        }
        return out
    }
}
