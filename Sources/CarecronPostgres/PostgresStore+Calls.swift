import CarecronDomain
import CarecronStorage
import Foundation
import PostgresNIO

/// The care team's calls on the shared database: a call is handed to its agent once whichever
/// node's dispatcher hands it (the outbox id is the key), and an outcome locks the call's row,
/// so two agents' buttons, or two nodes, record it once.
extension PostgresStore: CallStore {
    static let callsMigration = [
        """
        CREATE TABLE calls (
            outbox_id BIGINT PRIMARY KEY REFERENCES outbox(id) ON DELETE CASCADE, customer_id TEXT, job TEXT NOT NULL,
            agent TEXT NOT NULL, rule TEXT NOT NULL, purpose_rank BIGINT NOT NULL, job_priority BIGINT NOT NULL, amount BIGINT NOT NULL,
            assigned_at BIGINT NOT NULL, next_try_at BIGINT NOT NULL, tries BIGINT NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done')), result TEXT, note TEXT,
            rating BIGINT CHECK (rating BETWEEN 1 AND 5), done_at BIGINT, done_by TEXT, updated_at BIGINT NOT NULL)
        """,
        "CREATE INDEX calls_open_agent ON calls (agent, next_try_at) WHERE state = 'open'",
        "CREATE INDEX calls_open_due ON calls (next_try_at) WHERE state = 'open'",
        "CREATE INDEX calls_done ON calls (done_at) WHERE state = 'done'",
        """
        CREATE TABLE call_attempts (
            outbox_id BIGINT NOT NULL REFERENCES calls(outbox_id) ON DELETE CASCADE, at BIGINT NOT NULL, agent TEXT NOT NULL,
            result TEXT NOT NULL, note TEXT)
        """,
        "CREATE INDEX call_attempts_call ON call_attempts (outbox_id, at)",
        "CREATE TABLE agents_away (agent TEXT NOT NULL, day TEXT NOT NULL, by_user TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (agent, day))",
    ]

    public func callFacts(customerId: String?, orderIds: [String]) async throws -> CallFacts {
        var facts = CallFacts()
        let rows = try await db.client.query("SELECT id, amount, agent FROM orders WHERE id = ANY(\(orderIds))", logger: logger)
        var found: [String: (Int, String?)] = [:]
        for try await (id, amount, agent) in rows.decode((String, Int, String?).self) { found[id] = (amount, agent) }
        for id in orderIds {
            guard let (amount, agent) = found[id] else { continue }
            facts.amount += amount
            if facts.orderAgent == nil, let agent, !agent.isEmpty { facts.orderAgent = agent }
        }
        if let customerId {
            for try await agent in try await db.client.query("""
                SELECT agent FROM orders WHERE customer_id = \(customerId) AND agent IS NOT NULL AND agent <> '' ORDER BY placed_at DESC, id DESC LIMIT 1
                """, logger: logger).decode(String.self) { facts.customerAgent = agent }
        }
        return facts
    }

    public func callLoads() async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for try await (agent, n) in try await db.client.query(PostgresQuery(unsafeSQL: CallSQL.loads), logger: logger).decode((String, Int).self) {
            out[agent] = n
        }
        return out
    }

    public func assignCall(_ a: CallAssignment) async throws -> CallAssignment {
        try await db.transaction { conn in
            try await conn.query("""
                INSERT INTO calls (outbox_id, customer_id, job, agent, rule, purpose_rank, job_priority, amount, assigned_at, next_try_at, updated_at)
                VALUES (\(a.outboxId), \(a.customerId), \(a.job), \(a.agent), \(a.rule.rawValue), \(a.purposeRank), \(a.jobPriority), \(a.amount),
                        \(Self.seconds(a.assignedAt)), \(Self.seconds(a.nextTryAt)), \(Self.seconds(a.assignedAt)))
                ON CONFLICT (outbox_id) DO NOTHING
                """, logger: self.logger)
            return try await self.call(a.outboxId, on: conn)?.assignment ?? a
        }
    }

    public func calls(_ q: CallQuery) async throws -> [CallItem] {
        var binds = PostgresBindings()
        if let agent = q.agent { binds.append(agent) }
        let first = binds.count + 1
        binds.append(Self.seconds(q.to))
        binds.append(Self.seconds(q.from))
        let sql = CallSQL.list(agent: q.agent == nil ? nil : "$1", from: "$\(first + 1)", to: "$\(first)")
        var out: [CallItem] = []
        for try await row in try await db.client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode(CallSQL.Row.self) {
            out.append(CallSQL.item(row))
        }
        return out
    }

    public func call(_ outboxId: Int64) async throws -> CallItem? {
        try await db.client.withConnection { try await self.call(outboxId, on: $0) }
    }

    func call(_ outboxId: Int64, on conn: PostgresConnection) async throws -> CallItem? {
        var binds = PostgresBindings()
        binds.append(outboxId)
        for try await row in try await conn.query(PostgresQuery(unsafeSQL: CallSQL.one("$1"), binds: binds), logger: logger).decode(CallSQL.Row.self) {
            return CallSQL.item(row)
        }
        return nil
    }

    public func recordCall(_ r: CallRecord) async throws -> Bool {
        try await db.transaction { conn in
            var open = false
            for try await (state, channel, delivery, sent, reference, tries) in try await conn.query("""
                SELECT k.state, o.channel, o.delivery, o.state, o.provider_message_id, k.tries FROM calls k JOIN outbox o ON o.id = k.outbox_id
                WHERE k.outbox_id = \(r.outboxId) FOR UPDATE OF k, o
                """, logger: self.logger).decode((String, String, String?, String, String?, Int).self) {
                open = state == "open" && channel == ChannelKind.call.rawValue && delivery == nil && sent == OutboxState.sent.rawValue
                    && reference == CallRecord.reference(r.outboxId) && (r.triesBefore.map { $0 == tries } ?? true)
            }
            guard open else { return false }
            let at = Self.seconds(r.at), unanswered = r.result == .noAnswer ? 1 : 0
            try await conn.query("""
                INSERT INTO call_attempts (outbox_id, at, agent, result, note) VALUES (\(r.outboxId), \(at), \(r.by), \(r.result.rawValue), \(r.note))
                """, logger: self.logger)
            switch r.effect {
            case .tryAgain(let next):
                try await conn.query("""
                    UPDATE calls SET tries = tries + \(unanswered), next_try_at = \(Self.seconds(next)), result = \(r.result.rawValue),
                        note = COALESCE(\(r.note), note), updated_at = \(at) WHERE outbox_id = \(r.outboxId)
                    """, logger: self.logger)
                if let until = r.waitUntil {
                    try await conn.query("""
                        UPDATE outbox SET receipt_due_at = GREATEST(receipt_due_at, \(Self.seconds(until))) WHERE id = \(r.outboxId) AND receipt_due_at IS NOT NULL
                        """, logger: self.logger)
                }
            case .reached, .unreachable:
                try await conn.query("""
                    UPDATE calls SET state = 'done', tries = tries + \(unanswered), result = \(r.result.rawValue), note = COALESCE(\(r.note), note),
                        rating = \(r.rating), done_at = \(at), done_by = \(r.by), updated_at = \(at) WHERE outbox_id = \(r.outboxId)
                    """, logger: self.logger)
                // Found by its reference, checked above: recorded, or nothing of the outcome is.
                if let receipt = r.receipt {
                    guard case .recorded = try await self.leasedOutbox.record([receipt], now: r.at, on: conn)[0] else { throw CallNotRecorded(outboxId: r.outboxId) }
                }
            }
            return true
        }
    }

    public func reassignCall(_ outboxId: Int64, to agent: String, rule: AssignmentRule, now: Date) async throws -> Bool {
        try await returnsRow("""
            UPDATE calls SET agent = \(agent), rule = \(rule.rawValue), updated_at = \(Self.seconds(now))
            WHERE outbox_id = \(outboxId) AND state = 'open' RETURNING outbox_id
            """)
    }

    public func agentsAway(on day: LocalDate) async throws -> Set<String> {
        var out: Set<String> = []
        for try await agent in try await db.client.query("SELECT agent FROM agents_away WHERE day = \(day.description)", logger: logger)
            .decode(String.self) { out.insert(agent) }
        return out
    }

    public func setAway(_ agent: String, on day: LocalDate, away: Bool, by user: String, now: Date) async throws {
        if away {
            try await db.client.query("""
                INSERT INTO agents_away (agent, day, by_user, at) VALUES (\(agent), \(day.description), \(user), \(Self.seconds(now)))
                ON CONFLICT (agent, day) DO NOTHING
                """, logger: logger)
        } else {
            try await db.client.query("DELETE FROM agents_away WHERE agent = \(agent) AND day = \(day.description)", logger: logger)
        }
    }
}

extension PostgresStore: CustomerRecentSource {
    public func recent(customerIds: [String]) async throws -> [String: CustomerRecent] {
        guard !customerIds.isEmpty else { return [:] }
        func date(_ s: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(s)) }
        func query(_ sql: String) -> PostgresQuery {
            var binds = PostgresBindings()
            binds.append(customerIds)
            return PostgresQuery(unsafeSQL: sql, binds: binds)
        }
        var out: [String: CustomerRecent] = [:]
        for try await (c, id, placed, amount, status, items) in try await db.client.query(query(CallSQL.recentOrders("= ANY($1)")), logger: logger)
            .decode((String, String, Int64, Int, String, String).self) {
            out[c, default: CustomerRecent()].orders.append(.init(id: id, placedAt: date(placed), amount: amount, status: status, items: items))
        }
        for try await (c, id, job, channel, state, at) in try await db.client.query(query(CallSQL.recentMessages("= ANY($1)")), logger: logger)
            .decode((String, Int64, String, String, String, Int64).self) {
            out[c, default: CustomerRecent()].messages.append(.init(id: id, job: job, channel: channel, state: OutboxState(rawValue: state) ?? .planned, at: date(at)))
        }
        for try await (c, at, text) in try await db.client.query(query(CallSQL.recentReplies("= ANY($1)")), logger: logger).decode((String, Int64, String).self) {
            out[c, default: CustomerRecent()].replies.append(.init(at: date(at), text: text))
        }
        return out
    }
}
