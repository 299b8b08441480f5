import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

/// The care team's calls on SQLite (issue 29): one row per call, beside its outbox row.
enum CallRecords {
    static let migration = """
        CREATE TABLE calls (
            outbox_id INTEGER PRIMARY KEY NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
            customer_id TEXT,
            job TEXT NOT NULL,
            agent TEXT NOT NULL,
            -- why this agent: 'order', 'customer' or 'least_loaded'
            rule TEXT NOT NULL,
            -- the list's order: purpose (0 transactional), the job's call priority, the orders' total
            purpose_rank INTEGER NOT NULL,
            job_priority INTEGER NOT NULL,
            amount INTEGER NOT NULL,
            assigned_at INTEGER NOT NULL,
            next_try_at INTEGER NOT NULL,
            tries INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done')),
            result TEXT,
            note TEXT,
            rating INTEGER CHECK (rating BETWEEN 1 AND 5),
            done_at INTEGER,
            done_by TEXT,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX calls_open_agent ON calls(agent, next_try_at) WHERE state = 'open';
        CREATE INDEX calls_open_due ON calls(next_try_at) WHERE state = 'open';
        CREATE INDEX calls_done ON calls(done_at) WHERE state = 'done';
        -- every outcome an agent recorded, for the call's history
        CREATE TABLE call_attempts (
            outbox_id INTEGER NOT NULL REFERENCES calls(outbox_id) ON DELETE CASCADE,
            at INTEGER NOT NULL,
            agent TEXT NOT NULL,
            result TEXT NOT NULL,
            note TEXT
        );
        CREATE INDEX call_attempts_call ON call_attempts(outbox_id, at);
        CREATE TABLE agents_away (
            agent TEXT NOT NULL,
            day TEXT NOT NULL,
            by_user TEXT NOT NULL,
            at INTEGER NOT NULL,
            PRIMARY KEY (agent, day)
        );
        """

    static func item(_ r: Row) -> CallItem {
        CallSQL.item((r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15], r[16],
                      r[17], r[18], r[19], r[20], r[21]))
    }
}

extension Store: CallStore {
    public func callFacts(customerId: String?, orderIds: [String]) async throws -> CallFacts {
        try await db.read { db in
            var facts = CallFacts()
            for id in orderIds {
                guard let row = try Row.fetchOne(db, sql: "SELECT amount, agent FROM orders WHERE id = ?", arguments: [id]) else { continue }
                facts.amount += row[0] as Int
                if facts.orderAgent == nil { facts.orderAgent = (row[1] as String?).flatMap { $0.isEmpty ? nil : $0 } }
            }
            if let customerId {
                facts.customerAgent = try String.fetchOne(db, sql: """
                    SELECT agent FROM orders WHERE customer_id = ? AND agent IS NOT NULL AND agent <> '' ORDER BY placed_at DESC, id DESC LIMIT 1
                    """, arguments: [customerId])
            }
            return facts
        }
    }

    public func callLoads() async throws -> [String: Int] {
        try await db.read { db in
            Dictionary(try Row.fetchAll(db, sql: CallSQL.loads).map { ($0[0] as String, $0[1] as Int) }, uniquingKeysWith: +)
        }
    }

    public func assignCall(_ a: CallAssignment) async throws -> CallAssignment {
        try await db.write { db in
            try db.execute(sql: """
                INSERT INTO calls (outbox_id, customer_id, job, agent, rule, purpose_rank, job_priority, amount, assigned_at, next_try_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (outbox_id) DO NOTHING
                """, arguments: [a.outboxId, a.customerId, a.job, a.agent, a.rule.rawValue, a.purposeRank, a.jobPriority, a.amount,
                                 Self.seconds(a.assignedAt), Self.seconds(a.nextTryAt), Self.seconds(a.assignedAt)])
            return try Row.fetchOne(db, sql: CallSQL.one("?"), arguments: [a.outboxId]).map(CallRecords.item)?.assignment ?? a
        }
    }

    public func calls(_ q: CallQuery) async throws -> [CallItem] {
        try await db.read { db in
            try Row.fetchAll(db, sql: CallSQL.list(agent: q.agent == nil ? nil : "?", from: "?", to: "?"), arguments: Self.listArguments(q))
                .map(CallRecords.item)
        }
    }

    /// The list's arguments in the order its placeholders come: agent, the end (open calls), the start and end (done ones).
    static func listArguments(_ q: CallQuery) -> StatementArguments {
        var arguments: StatementArguments = q.agent.map { [$0] } ?? []
        arguments += [seconds(q.to), seconds(q.from), seconds(q.to)]
        return arguments
    }

    public func call(_ outboxId: Int64) async throws -> CallItem? {
        try await db.read { db in try Row.fetchOne(db, sql: CallSQL.one("?"), arguments: [outboxId]).map(CallRecords.item) }
    }

    public func recordCall(_ r: CallRecord) async throws -> Bool {
        try await db.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT k.state, o.channel, o.delivery, o.state, o.provider_message_id, k.tries FROM calls k JOIN outbox o ON o.id = k.outbox_id
                WHERE k.outbox_id = ?
                """, arguments: [r.outboxId]),
                  row[0] as String == "open", row[1] as String == ChannelKind.call.rawValue, (row[2] as String?) == nil,
                  row[3] as String == OutboxState.sent.rawValue, (row[4] as String?) == CallRecord.reference(r.outboxId),
                  r.triesBefore.map({ $0 == row[5] as Int }) ?? true else { return false }
            let at = Self.seconds(r.at), unanswered = r.result == .noAnswer ? 1 : 0
            try db.execute(sql: "INSERT INTO call_attempts (outbox_id, at, agent, result, note) VALUES (?, ?, ?, ?, ?)",
                           arguments: [r.outboxId, at, r.by, r.result.rawValue, r.note])
            switch r.effect {
            case .tryAgain(let next):
                try db.execute(sql: """
                    UPDATE calls SET tries = tries + ?, next_try_at = ?, result = ?, note = COALESCE(?, note), updated_at = ? WHERE outbox_id = ?
                    """, arguments: [unanswered, Self.seconds(next), r.result.rawValue, r.note, at, r.outboxId])
                if let until = r.waitUntil {
                    try db.execute(sql: "UPDATE outbox SET receipt_due_at = MAX(receipt_due_at, ?) WHERE id = ? AND receipt_due_at IS NOT NULL",
                                   arguments: [Self.seconds(until), r.outboxId])
                }
            case .reached, .unreachable:
                try db.execute(sql: """
                    UPDATE calls SET state = 'done', tries = tries + ?, result = ?, note = COALESCE(?, note), rating = ?, done_at = ?, done_by = ?,
                        updated_at = ? WHERE outbox_id = ?
                    """, arguments: [unanswered, r.result.rawValue, r.note, r.rating, at, r.by, at, r.outboxId])
                // Found by its reference, checked above: recorded, or nothing of the outcome is.
                if let receipt = r.receipt {
                    guard case .recorded = try Outbox.record([receipt], now: r.at, in: db)[0] else { throw CallNotRecorded(outboxId: r.outboxId) }
                }
            }
            return true
        }
    }

    public func reassignCall(_ outboxId: Int64, to agent: String, rule: AssignmentRule, now: Date) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "UPDATE calls SET agent = ?, rule = ?, updated_at = ? WHERE outbox_id = ? AND state = 'open'",
                           arguments: [agent, rule.rawValue, Self.seconds(now), outboxId])
            return db.changesCount == 1
        }
    }

    public func agentsAway(on day: LocalDate) async throws -> Set<String> {
        try await db.read { db in Set(try String.fetchAll(db, sql: "SELECT agent FROM agents_away WHERE day = ?", arguments: [day.description])) }
    }

    public func setAway(_ agent: String, on day: LocalDate, away: Bool, by user: String, now: Date) async throws {
        try await db.write { db in
            if away {
                try db.execute(sql: "INSERT INTO agents_away (agent, day, by_user, at) VALUES (?, ?, ?, ?) ON CONFLICT (agent, day) DO NOTHING",
                               arguments: [agent, day.description, user, Self.seconds(now)])
            } else {
                try db.execute(sql: "DELETE FROM agents_away WHERE agent = ? AND day = ?", arguments: [agent, day.description])
            }
        }
    }

    static func seconds(_ d: Date) -> Int64 { Int64(d.timeIntervalSince1970) }
}

extension Store: CustomerRecentSource {
    public func recent(customerIds: [String]) async throws -> [String: CustomerRecent] {
        guard !customerIds.isEmpty else { return [:] }
        return try await db.read { db in
            let ids = "IN (\(customerIds.map { _ in "?" }.joined(separator: ", ")))", arguments = StatementArguments(customerIds)
            func date(_ s: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(s)) }
            var out: [String: CustomerRecent] = [:]
            for r in try Row.fetchAll(db, sql: CallSQL.recentOrders(ids), arguments: arguments) {
                out[r[0], default: CustomerRecent()].orders.append(.init(id: r[1], placedAt: date(r[2]), amount: r[3], status: r[4], items: r[5]))
            }
            for r in try Row.fetchAll(db, sql: CallSQL.recentMessages(ids), arguments: arguments) {
                out[r[0], default: CustomerRecent()].messages.append(.init(id: r[1], job: r[2], channel: r[3],
                                                                           state: OutboxState(rawValue: r[4]) ?? .planned, at: date(r[5])))
            }
            for r in try Row.fetchAll(db, sql: CallSQL.recentReplies(ids), arguments: arguments) {
                out[r[0], default: CustomerRecent()].replies.append(.init(at: date(r[1]), text: r[2]))
            }
            return out
        }
    }
}
