import CarecronDomain
import CarecronStorage
import Foundation
import PostgresNIO

/// The rest of the outbox's contract (`OutboxStore`) on PostgreSQL: what the dispatcher, the
/// CLI and the console ask of it. Changes of a claimed message go through its lease (`record`,
/// `unclaim`); the others are for messages nobody holds.
extension LeasedOutbox: OutboxStore {
    public func enqueue(keys: [String], job: String, customerId: String?, orderIds: [String], reminder: Int?,
                        renderings: [Rendering], dueAt: Date, now: Date) async throws -> Bool {
        try await enqueue([OutboxEntry(keys: keys, job: job, customerId: customerId, orderIds: orderIds, reminder: reminder,
                                       renderings: renderings, dueAt: dueAt)], now: now).first ?? false
    }

    public func unclaim(_ id: Int64) async throws { try await unclaim(id, reason: nil, until: nil) }

    public func postpone(_ id: Int64, reason: String, until next: Date) async throws { try await unclaim(id, reason: reason, until: next) }

    /// Nothing to do at start-up: a message left `sending` by a node that died is taken over by
    /// whichever node claims after its lease expires (`claimDue`), never while it may be on the wire.
    public func recoverInFlight(now: Date) async throws -> Int { 0 }

    public func markSent(_ id: Int64, providerId: String?, at: Date) async throws { try await recordOne(.sent(id, providerId: providerId, at: at)) }
    public func markRetry(_ id: Int64, error: String, at next: Date, now: Date) async throws {
        try await recordOne(.retry(id, error: error, next: next, now: now))
    }
    public func markDead(_ id: Int64, error: String, now: Date) async throws { try await recordOne(.dead(id, error: error, now: now)) }
    public func markCancelled(_ id: Int64, reason: String, now: Date) async throws { try await recordOne(.cancelled(id, reason: reason, now: now)) }

    /// One outcome, asked for by id: a change the machine forbids is an error; one fenced off by
    /// another node's lease is logged by `recordFenced`, as in a group.
    private func recordOne(_ outcome: OutboxOutcome) async throws {
        if try await !recordFenced([outcome]).isEmpty { try await refuseIfForbidden(outcome.transition, outcome.id) }
    }

    public func record(_ outcomes: [OutboxOutcome]) async throws {
        try await recordFenced(outcomes)
    }

    public func noteSender(_ id: Int64, sender: String) async throws { try await record([.sender(id, name: sender)]) }

    /// Switches a claimed message to its next channel after a permanent failure on this one
    /// (fenced by the lease, which it gives up: the message is planned again on the new channel).
    public func fallBack(_ m: OutboxMessage, error: String, now: Date) async throws -> Bool {
        guard let next = m.fallbacks.first, let token = leases[m.id] else { return false }
        let rest = Rendering.storedJSON(Array(m.fallbacks.dropFirst())), payload = next.storedJSON
        let why = "\(m.rendering.channel) failed: \(error); falling back to \(next.channel)", n = Self.seconds(now)
        let rows = try await releasingOnFailure([m.id]) { try await db.client.query("""
            UPDATE outbox SET state = \(unescaped: OutboxTransition.fallBack.targetSQL), channel = \(next.channel), recipient = \(next.to), subject = \(next.subject),
                body = \(next.text), payload = \(payload), fallbacks = \(rest), last_error = \(why), fallback_note = \(why), attempts = 0,
                next_attempt_at = \(n), updated_at = \(n), sender = NULL, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
            WHERE id = \(m.id) AND \(unescaped: OutboxTransition.fallBack.sourceCondition) AND lease_owner = \(owner) AND lease_token = \(token)
            RETURNING id
            """, logger: logger) }
        var changed = false
        for try await _ in rows.decode(Int64.self) { changed = true }
        forget(m.id)
        if !changed { logger.warning("fallback not recorded: the lease was lost", metadata: ["message": "\(m.id)"]) }
        return changed
    }

    public func list(state: OutboxState?, limit: Int) async throws -> [OutboxMessage] {
        let rows = state == nil
            ? try await db.client.query("SELECT * FROM outbox ORDER BY id DESC LIMIT \(Int64(limit))", logger: logger)
            : try await db.client.query("SELECT * FROM outbox WHERE state = \(state!.rawValue) ORDER BY id DESC LIMIT \(Int64(limit))",
                                        logger: logger)
        return try await messages(rows)
    }

    /// Puts dead, failed or cancelled messages back in line, now (all dead ones without ids).
    public func retry(ids: [Int64]?, now: Date) async throws -> Int {
        let n = Self.seconds(now)
        let rows: PostgresRowSequence
        if let ids {
            rows = try await db.client.query("""
                UPDATE outbox SET state = \(unescaped: OutboxTransition.retryByHand.targetSQL), attempts = 0, next_attempt_at = \(n), updated_at = \(n)
                WHERE id = ANY(\(ids)) AND \(unescaped: OutboxTransition.retryByHand.sourceCondition) RETURNING id
                """, logger: logger)
        } else {
            rows = try await db.client.query("""
                UPDATE outbox SET state = \(unescaped: OutboxTransition.retryByHand.targetSQL), attempts = 0, next_attempt_at = \(n), updated_at = \(n)
                WHERE \(unescaped: OutboxState.sqlCondition([.dead])) RETURNING id
                """, logger: logger)
        }
        var count = 0
        for try await _ in rows.decode(Int64.self) { count += 1 }
        return count
    }

    public func drop(_ id: Int64, now: Date) async throws -> Bool {
        let rows = try await db.client.query("""
            UPDATE outbox SET state = \(unescaped: OutboxTransition.drop.targetSQL), last_error = 'dropped by hand', updated_at = \(Self.seconds(now))
            WHERE id = \(id) AND \(unescaped: OutboxTransition.drop.sourceCondition) RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(Int64.self) { return true }
        return false
    }

    public func lastPlannedByJob() async throws -> [String: (Date, Int)] {
        let rows = try await db.client.query("""
            SELECT job, MAX(last)::bigint, SUM(n)::bigint FROM (
                SELECT job, MAX(created_at) AS last, COUNT(*) AS n FROM outbox GROUP BY job
                UNION ALL SELECT job, MAX(last_planned_at), SUM(messages) FROM outbox_purged GROUP BY job) t
            GROUP BY job
            """, logger: logger)
        var out: [String: (Date, Int)] = [:]
        for try await (job, last, n) in rows.decode((String, Int64, Int64).self) {
            out[job] = (Date(timeIntervalSince1970: TimeInterval(last)), Int(n))
        }
        return out
    }

    public func history(_ query: OutboxHistoryQuery) async throws -> [OutboxMessage] {
        let q = OutboxHistorySQL(query, dialect: .postgres)
        return try await messages(try await db.client.query(PostgresStore.query((q.sql, q.arguments)), logger: logger))
    }

    public func planned(keys: [String]) async throws -> [String: PlannedMessageState] {
        guard !keys.isEmpty else { return [:] }
        var out: [String: PlannedMessageState] = [:]
        let rows = try await db.client.query("""
            SELECT k.key, o.id, o.state FROM outbox_keys k JOIN outbox o ON o.id = k.outbox_id WHERE k.key = ANY(\(keys))
            """, logger: logger)
        for try await (key, id, state) in rows.decode((String, Int64, String).self) {
            if let s = OutboxState(rawValue: state) { out[key] = PlannedMessageState(id: id, state: s) }
        }
        return out
    }

    public func messages(customerId: String, limit: Int) async throws -> [OutboxMessage] {
        try await messages(try await db.client.query("SELECT * FROM outbox WHERE customer_id = \(customerId) ORDER BY id DESC LIMIT \(Int64(limit))",
                                           logger: logger))
    }

    public func countsByJob(since: Date) async throws -> [String: [OutboxState: Int]] {
        let rows = try await db.client.query("""
            SELECT job, state, COUNT(*)::bigint FROM outbox WHERE created_at >= \(Self.seconds(since)) GROUP BY job, state
            """, logger: logger)
        var out: [String: [OutboxState: Int]] = [:]
        for try await (job, state, n) in rows.decode((String, String, Int64).self) {
            if let s = OutboxState(rawValue: state) { out[job, default: [:]][s] = Int(n) }
        }
        return out
    }

    func messages(_ rows: PostgresRowSequence) async throws -> [OutboxMessage] {
        var out: [OutboxMessage] = []
        for try await row in rows { out.append(try Self.message(row.makeRandomAccess())) }
        return out
    }
}
