import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

/// The care team's conversations on SQLite (issue 29).
enum ConversationRecords {
    static let migration = """
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            -- NULL: nobody has this phone or Zalo id; erased with the customer
            customer_id TEXT REFERENCES customers(id) ON DELETE CASCADE,
            from_address TEXT NOT NULL,
            channel TEXT NOT NULL,
            -- the sender that carried the customer's message: the answer goes back through it
            sender TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('reply', 'complaint', 'feedback')),
            category TEXT,
            order_id TEXT,
            agent TEXT,
            rule TEXT,
            opened_at INTEGER NOT NULL,
            -- the care team's answer is due by then (the customer's latest message's)
            due_at INTEGER NOT NULL,
            last_in_at INTEGER NOT NULL,
            first_response_at INTEGER,
            resolved_at INTEGER,
            resolution TEXT,
            resolved_by TEXT,
            state TEXT NOT NULL CHECK (state IN ('open', 'answered', 'resolved')),
            -- how many times the customer wrote in it; more than one is not a first-contact resolution
            contacts INTEGER NOT NULL DEFAULT 1,
            came_back INTEGER NOT NULL DEFAULT 0,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX conversations_waiting ON conversations(state, due_at) WHERE state <> 'resolved';
        CREATE INDEX conversations_customer ON conversations(customer_id, id) WHERE customer_id IS NOT NULL;
        CREATE INDEX conversations_from ON conversations(from_address, id);
        CREATE INDEX conversations_opened ON conversations(opened_at);
        CREATE TABLE conversation_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            at INTEGER NOT NULL,
            direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'note')),
            text TEXT NOT NULL,
            by_user TEXT,
            outbox_id INTEGER
        );
        CREATE INDEX conversation_events_of ON conversation_events(conversation_id, id);
        """

    static func conversation(_ r: Row) -> Conversation {
        ConversationSQL.conversation((r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15],
                                      r[16], r[17], r[18], r[19], r[20], r[21]))
    }

    static func one(_ id: Int64, in db: Database) throws -> Conversation? {
        try Row.fetchOne(db, sql: "SELECT \(ConversationSQL.columns) FROM \(ConversationSQL.from) WHERE v.id = ?", arguments: [id]).map(conversation)
    }

    static func event(_ id: Int64, _ direction: ConversationEvent.Direction, _ text: String, by: String?, at: Date, outboxId: Int64? = nil,
                      in db: Database) throws {
        try db.execute(sql: "INSERT INTO conversation_events (conversation_id, at, direction, text, by_user, outbox_id) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [id, Store.seconds(at), direction.rawValue, text, by, outboxId])
    }
}

extension Store: ConversationStore {
    public func addContact(_ c: NewContact, reopenWithin: TimeSpan) async throws -> (ContactOutcome, Conversation) {
        try await db.write { db in
            let at = Self.seconds(c.at)
            if c.kind == .reply, let (id, state, resolved) = try Self.latest(of: c, in: db) {
                let reopen = state == ConversationState.resolved.rawValue
                if !reopen || (resolved ?? 0) >= at - Int64(reopenWithin.seconds) {
                    try db.execute(sql: """
                        UPDATE conversations SET state = 'open', due_at = ?, last_in_at = ?, contacts = contacts + 1,
                            came_back = came_back OR ?, resolved_at = NULL, resolution = NULL, resolved_by = NULL, updated_at = ? WHERE id = ?
                        """, arguments: [Self.seconds(c.dueAt), at, reopen, at, id])
                    try ConversationRecords.event(id, .inbound, c.text, by: c.recordedBy, at: c.at, in: db)
                    return (reopen ? .reopened : .appended, try ConversationRecords.one(id, in: db)!)
                }
            }
            try db.execute(sql: """
                INSERT INTO conversations (customer_id, from_address, channel, sender, kind, category, order_id, agent, rule, opened_at, due_at,
                                           last_in_at, state, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)
                """, arguments: [c.customerId, c.from, c.channel, c.sender, c.kind.rawValue, c.category?.rawValue, c.orderId, c.agent?.login,
                                 c.agent?.rule.rawValue, at, Self.seconds(c.dueAt), at, at])
            let id = db.lastInsertedRowID
            try ConversationRecords.event(id, .inbound, c.text, by: c.recordedBy, at: c.at, in: db)
            return (.opened, try ConversationRecords.one(id, in: db)!)
        }
    }

    /// The customer's (or the address's) latest conversation a reply may join: its id, state and resolution time.
    private static func latest(of c: NewContact, in db: Database) throws -> (Int64, String, Int64?)? {
        let row = c.customerId == nil
            ? try Row.fetchOne(db, sql: "SELECT id, state, resolved_at FROM conversations WHERE customer_id IS NULL AND from_address = ? ORDER BY id DESC LIMIT 1",
                               arguments: [c.from])
            : try Row.fetchOne(db, sql: "SELECT id, state, resolved_at FROM conversations WHERE customer_id = ? ORDER BY id DESC LIMIT 1",
                               arguments: [c.customerId])
        return row.map { ($0[0], $0[1], $0[2]) }
    }

    public func conversations(_ q: ConversationQuery) async throws -> [Conversation] {
        try await db.read { db in
            var arguments = StatementArguments(q.states.map(\.rawValue))
            if let agent = q.agent { arguments += [agent] }
            if let customer = q.customerId { arguments += [customer] }
            arguments += [q.limit]
            let sql = ConversationSQL.list(states: q.states.map { _ in "?" }, agent: q.agent == nil ? nil : "?", customer: q.customerId == nil ? nil : "?")
            return try Row.fetchAll(db, sql: sql + " ORDER BY \(ConversationSQL.order) LIMIT ?", arguments: arguments).map(ConversationRecords.conversation)
        }
    }

    public func conversation(_ id: Int64) async throws -> (Conversation, [ConversationEvent])? {
        try await db.read { db in
            guard let c = try ConversationRecords.one(id, in: db) else { return nil }
            let events = try Row.fetchAll(db, sql: """
                SELECT at, direction, text, by_user, outbox_id FROM conversation_events WHERE conversation_id = ? ORDER BY id
                """, arguments: [id]).map { r in
                ConversationEvent(at: Date(timeIntervalSince1970: TimeInterval(r[0] as Int64)),
                                  direction: ConversationEvent.Direction(rawValue: r[1]) ?? .note, text: r[2], by: r[3], outboxId: r[4])
            }
            return (c, events)
        }
    }

    public func answer(_ id: Int64, text: String, by user: String, entry: OutboxEntry, at: Date) async throws -> Int64? {
        try await db.write { db in
            guard let c = try ConversationRecords.one(id, in: db), c.state != .resolved else { return nil }
            guard try Outbox.insert([entry], now: at, in: db).first == true,
                  let outboxId = try Int64.fetchOne(db, sql: "SELECT outbox_id FROM outbox_keys WHERE key = ?", arguments: [entry.keys[0]]) else { return nil }
            let n = Self.seconds(at)
            try db.execute(sql: """
                UPDATE conversations SET state = 'answered', first_response_at = COALESCE(first_response_at, ?), updated_at = ? WHERE id = ?
                """, arguments: [n, n, id])
            try ConversationRecords.event(id, .outbound, text, by: user, at: at, outboxId: outboxId, in: db)
            return outboxId
        }
    }

    public func resolve(_ id: Int64, resolution: String, by user: String, at: Date) async throws -> Bool {
        try await db.write { db in
            let n = Self.seconds(at)
            try db.execute(sql: """
                UPDATE conversations SET state = 'resolved', resolved_at = ?, resolution = ?, resolved_by = ?, updated_at = ?
                WHERE id = ? AND state <> 'resolved'
                """, arguments: [n, resolution, user, n, id])
            guard db.changesCount == 1 else { return false }
            try ConversationRecords.event(id, .note, resolution, by: user, at: at, in: db)
            return true
        }
    }

    public func conversationCounts(now: Date) async throws -> (open: Int, overdue: Int) {
        try await db.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT COUNT(*), COALESCE(SUM(due_at < ?), 0) FROM conversations INDEXED BY conversations_waiting WHERE state <> 'resolved' AND state = 'open'
                """, arguments: [Self.seconds(now)])!
            return (row[0], row[1])
        }
    }

    public func conversationLoads() async throws -> [String: Int] {
        try await db.read { db in
            Dictionary(try Row.fetchAll(db, sql: "SELECT agent, COUNT(*) FROM conversations WHERE state <> 'resolved' AND agent IS NOT NULL GROUP BY agent")
                .map { ($0[0] as String, $0[1] as Int) }, uniquingKeysWith: +)
        }
    }

    public func openComplaints() async throws -> Set<String> {
        try await db.read { db in
            Set(try String.fetchAll(db, sql: """
                SELECT DISTINCT customer_id FROM conversations WHERE state <> 'resolved' AND kind = 'complaint' AND customer_id IS NOT NULL
                """))
        }
    }

    public func conversationFacts(openedFrom from: Date, to: Date) async throws -> [ConversationFacts] {
        try await db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT opened_at, first_response_at, resolved_at, contacts, came_back FROM conversations WHERE opened_at >= ? AND opened_at < ?
                """, arguments: [Self.seconds(from), Self.seconds(to)]).map { r in
                func date(_ s: Int64?) -> Date? { s.map { Date(timeIntervalSince1970: TimeInterval($0)) } }
                return ConversationFacts(openedAt: date(r[0])!, firstResponseAt: date(r[1]), resolvedAt: date(r[2]), contacts: r[3], cameBack: (r[4] as Int) != 0)
            }
        }
    }
}
