import CarecronDomain
import CarecronStorage
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The outbox on a database that several nodes share (issue 15). Each occurrence key is planned
/// once (`INSERT … ON CONFLICT DO NOTHING` on `outbox_keys`). A claim is a lease: the rows are
/// chosen with `FOR UPDATE SKIP LOCKED`, so two nodes never take the same one; the lease names
/// its owner (a random id per process), carries a token that grows with every claim, and expires
/// in the database's clock. Every later change of a claimed row is fenced by owner and token: a
/// node whose lease was taken over (it stopped for longer than the lease) changes nothing, and
/// says so in its log. A node that dies leaves its leases to expire; any node then claims the
/// message again, and it goes out with the same idempotency key.
public final class LeasedOutbox: Sendable {
    public let db: PostgresDatabase
    /// This process's id as an owner of leases: random, never the hostname.
    public let owner: String
    public let leaseSeconds: Double
    let logger: Logger
    /// Each message this node holds: its lease token, and until when this node may still start
    /// sending it (by its own monotonic clock, a third of the lease short of the database's expiry).
    private let held = Mutex<[Int64: Hold]>([:])

    struct Hold {
        let token: Int64
        var actUntil: ContinuousClock.Instant
    }

    /// Whether the renewal task runs: from the first claim until nothing is held.
    private let renewing = Mutex(false)

    /// Whether it renews its leases by itself while it holds any (always, but in the test of a
    /// node whose renewals stopped, as a SIGSTOP stops them).
    let renewsItself: Bool

    public convenience init(_ db: PostgresDatabase, owner: String = LeasedOutbox.newOwner(), logger: Logger? = nil) {
        self.init(db, owner: owner, logger: logger, renewsItself: true)
    }

    init(_ db: PostgresDatabase, owner: String = LeasedOutbox.newOwner(), logger: Logger? = nil, renewsItself: Bool) {
        self.db = db
        self.owner = owner
        self.leaseSeconds = db.settings.leaseSeconds
        self.logger = logger ?? db.logger
        self.renewsItself = renewsItself
    }

    /// Stops holding a message's lease (its outcome is recorded, or the lease was lost).
    func forget(_ id: Int64) { held.withLock { $0[id] = nil } }

    /// A fresh id for a process: random, so that two nodes on one host (or a cloned machine) never share it.
    public static func newOwner() -> String { UUID().uuidString.lowercased() }

    /// The leases this node holds (message id and token), for renewal and the tests.
    public var leases: [Int64: Int64] { held.withLock { $0.mapValues(\.token) } }

    /// Whether this node may still start sending a message it claimed: its lease has not lapsed
    /// by this node's own clock. A node stopped (SIGSTOP, a long pause) for longer than that sends
    /// nothing when it resumes: another node may have taken the message over meanwhile.
    public func stillHolds(_ id: Int64) -> Bool {
        held.withLock { $0[id].map { ContinuousClock.now < $0.actUntil } ?? false }
    }

    func actUntil(askedAt asked: ContinuousClock.Instant) -> ContinuousClock.Instant { Self.actUntil(askedAt: asked, lease: leaseSeconds) }

    /// Until when a lease (a message's or the planner's) asked for at `asked` may be acted on, by
    /// this node's monotonic clock: a third short of its expiry, counted from before the asking,
    /// so that a slow answer or clock drift never lets a node act on what may be another's.
    static func actUntil(askedAt asked: ContinuousClock.Instant, lease: Double) -> ContinuousClock.Instant {
        asked.advanced(by: .milliseconds(Int64(lease * 1000 * 2 / 3)))
    }

    static func seconds(_ d: Date) -> Int64 { Int64(d.timeIntervalSince1970) }

    // MARK: - Planning once

    /// Adds each message unless one of its keys was ever planned, all in one transaction; which
    /// were added. Two planners writing the same occurrence at once produce one row: the second
    /// insert of a key finds it taken (`ON CONFLICT DO NOTHING`) and its message is rolled back.
    public func enqueue(_ entries: [OutboxEntry], now: Date) async throws -> [Bool] {
        guard !entries.isEmpty else { return [] }
        return try await db.transaction { conn in try await Self.insert(entries, now: now, on: conn, logger: self.logger) }
    }

    /// The inserts of `enqueue`, inside a caller's transaction (a campaign's page and its progress are one).
    static func insert(_ entries: [OutboxEntry], now: Date, on conn: PostgresConnection, logger: Logger) async throws -> [Bool] {
        let n = seconds(now)
        var added: [Bool] = []
        for e in entries {
            guard let first = e.renderings.first, !e.keys.isEmpty else { added.append(false); continue }
            try await conn.query("SAVEPOINT entry", logger: logger)
            let key = e.keys.joined(separator: "+"), orderIds = e.orderIds.joined(separator: ",")
            let state = e.initialState.rawValue, due = seconds(e.dueAt)
            let fallbacks = Rendering.storedJSON(Array(e.renderings.dropFirst())), payload = first.storedJSON
            let reminder = e.reminder.map(Int64.init), expires = e.expiresAt.map(seconds)
            let rows = try await conn.query("""
                INSERT INTO outbox (idempotency_key, job, customer_id, order_ids, reminder, channel, recipient, subject, body,
                                    payload, state, attempts, due_at, next_attempt_at, created_at, updated_at, fallbacks,
                                    priority, campaign, expires_at, last_error, variant)
                VALUES (\(key), \(e.job), \(e.customerId), \(orderIds), \(reminder), \(first.channel), \(first.to), \(first.subject),
                        \(first.text), \(payload), \(state), 0, \(due), \(due), \(n), \(n), \(fallbacks), \(Int64(e.priority)),
                        \(e.campaign), \(expires), \(e.heldOut), \(e.variant.map(Int32.init)))
                ON CONFLICT (idempotency_key) DO NOTHING
                RETURNING id
                """, logger: logger)
            var id: Int64?
            for try await v in rows.decode(Int64.self) { id = v }
            var fresh = id != nil
            if let id {
                for k in e.keys {
                    let taken = try await conn.query("""
                        INSERT INTO outbox_keys (key, outbox_id, planned_at) VALUES (\(k), \(id), \(n))
                        ON CONFLICT (key) DO NOTHING RETURNING key
                        """, logger: logger)
                    var inserted = false
                    for try await _ in taken.decode(String.self) { inserted = true }
                    if !inserted { fresh = false; break }
                }
            }
            try await conn.query(PostgresQuery(unsafeSQL: fresh ? "RELEASE SAVEPOINT entry" : "ROLLBACK TO SAVEPOINT entry"), logger: logger)
            added.append(fresh)
        }
        let count = added.filter { $0 }.count
        if count > 0 { try await OutboxWakeups.notify(on: conn, payload: "planned \(count)", logger: logger) }
        return added
    }

    // MARK: - Claims as leases

    /// Takes up to `limit` due messages: the most urgent purpose first, then by due time, and
    /// any whose lease has expired (a node died or stopped holding it). Each becomes `sending`
    /// under this node's lease, with a new token and one more attempt.
    public func claimDue(now: Date, limit: Int) async throws -> [OutboxMessage] {
        let n = Self.seconds(now), asked = ContinuousClock.now
        let rows = try await db.client.query("""
            WITH due AS (
                SELECT id FROM outbox
                WHERE (\(unescaped: OutboxTransition.claim.sourceCondition) AND next_attempt_at <= \(n))
                   OR (\(unescaped: OutboxTransition.takeOver.sourceCondition) AND lease_expires_at < now())
                ORDER BY priority, next_attempt_at, id
                LIMIT \(Int64(limit))
                FOR UPDATE SKIP LOCKED)
            UPDATE outbox o SET state = \(unescaped: OutboxTransition.claim.targetSQL), attempts = o.attempts + 1, updated_at = \(n),
                last_error = CASE WHEN \(unescaped: OutboxState.sqlCondition(OutboxTransition.takeOver.from, column: "o.state"))
                    THEN 'outcome unknown: the node holding it stopped; retried with the same idempotency key' ELSE o.last_error END,
                lease_owner = \(owner), lease_token = nextval('outbox_lease_token'),
                lease_expires_at = now() + make_interval(secs => \(leaseSeconds))
            FROM due WHERE o.id = due.id
            RETURNING o.*
            """, logger: logger)
        var out: [(OutboxMessage, Int64)] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            out.append((try Self.message(r), try r["lease_token"].decode(Int64.self)))
        }
        let until = actUntil(askedAt: asked)
        held.withLock { for (m, token) in out { $0[m.id] = Hold(token: token, actUntil: until) } }
        if !out.isEmpty, renewsItself { keepRenewing() }
        return out.map(\.0).sorted { ($0.priority, $0.nextAttemptAt, $0.id) < ($1.priority, $1.nextAttemptAt, $1.id) }
    }

    /// Renews this node's leases every third of the lease for as long as it holds any, whoever
    /// claimed them (the service or `outbox send`): a long send keeps its message.
    private func keepRenewing() {
        let start = renewing.withLock { running in
            defer { running = true }
            return !running
        }
        guard start else { return }
        Task {
            while true {
                try? await Task.sleep(for: .milliseconds(Int64(leaseSeconds * 1000 / 3)))
                // Checked under the flag's lock, after a claim records its leases and before it
                // looks at the flag: a claim never finds the task stopping without seeing its leases.
                let done = renewing.withLock { running in
                    let idle = db.isClosed || held.withLock { $0.isEmpty }
                    if idle { running = false }
                    return idle
                }
                if done { return }
                do { try await renewLeases() } catch {
                    logger.error("could not renew the leases of messages being sent: \(PostgresErrors.sentence(error))", metadata: ["owner": "\(owner)"])
                }
            }
        }
    }

    /// Extends this node's leases (a long send keeps its message); how many it still holds.
    /// A lease found taken over is dropped from this node's list.
    @discardableResult
    public func renewLeases() async throws -> Int {
        let mine = leases, asked = ContinuousClock.now
        guard !mine.isEmpty else { return 0 }
        let ids = mine.keys.sorted(), tokens = ids.map { mine[$0]! }
        // Rows locked in id order, as `recordFenced` changes them: the two never deadlock. A row
        // still under this lease but no longer sending was just finished here, not lost.
        let rows = try await db.client.query("""
            WITH mine AS (SELECT * FROM unnest(\(ids)::bigint[], \(tokens)::bigint[]) AS h(id, token)),
            locked AS (SELECT o.id FROM outbox o JOIN mine ON o.id = mine.id
                       WHERE o.lease_owner = \(owner) AND o.lease_token = mine.token AND \(unescaped: OutboxState.sqlCondition([.sending], column: "o.state"))
                       ORDER BY o.id FOR UPDATE OF o),
            renewed AS (UPDATE outbox o SET lease_expires_at = now() + make_interval(secs => \(leaseSeconds))
                        FROM locked WHERE o.id = locked.id RETURNING o.id)
            SELECT mine.id, renewed.id IS NOT NULL,
                   EXISTS (SELECT 1 FROM outbox x WHERE x.id = mine.id AND x.lease_owner = \(owner) AND x.lease_token = mine.token)
            FROM mine LEFT JOIN renewed ON renewed.id = mine.id
            """, logger: logger)
        var kept: [Int64] = [], taken: [Int64] = []
        for try await (id, renewed, ours) in rows.decode((Int64, Bool, Bool).self) {
            if renewed { kept.append(id) } else if !ours { taken.append(id) }
        }
        let until = actUntil(askedAt: asked)
        // Only what is still held under the same token: an outcome recorded meanwhile let it go.
        let lost = held.withLock { h -> [Int64] in
            for id in kept { h[id]?.actUntil = until }
            let lost = taken.filter { h[$0]?.token == mine[$0] }
            for id in lost { h[id] = nil }
            return lost
        }
        if !lost.isEmpty {
            logger.warning("leases lost before they could be renewed: another node took these messages over",
                           metadata: ["messages": "\(lost.sorted())"])
        }
        return kept.count
    }

    /// Runs a fenced change of messages this node holds; if it fails for good, this node stops
    /// holding them: their leases lapse and any node sends them again with the same idempotency
    /// key, rather than this one renewing a lease for an outcome it can no longer record.
    func releasingOnFailure<T>(_ ids: [Int64], _ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do { return try await body() } catch {
                attempt += 1
                // Two transactions waiting for each other, or a serialization conflict: the
                // database rolled this one back whole, and it may simply be run again.
                if attempt < 3, let state = (error as? PSQLError)?.serverInfo?[.sqlState], ["40P01", "40001"].contains(state) { continue }
                held.withLock { for id in ids { $0[id] = nil } }
                logger.error("could not record what became of these messages; another node sends them again once their leases lapse",
                             metadata: ["messages": "\(Array(Set(ids)).sorted())", "error": "\(PostgresErrors.sentence(error))"])
                throw error
            }
        }
    }

    /// Records what became of claimed messages, in one transaction, each change fenced by this
    /// node's lease: a message whose lease was taken over is left as the new holder has it.
    /// Returns the ids whose change was refused.
    @discardableResult
    public func recordFenced(_ outcomes: [OutboxOutcome]) async throws -> [Int64] {
        guard !outcomes.isEmpty else { return [] }
        let tokens = leases
        // In id order (stable for one message's outcomes), as `renewLeases` locks them.
        let ordered = outcomes.enumerated().sorted { ($0.element.id, $0.offset) < ($1.element.id, $1.offset) }.map(\.element)
        let refused: [Int64] = try await releasingOnFailure(outcomes.map(\.id)) { try await db.transaction { conn in
            var refused: [Int64] = []
            for outcome in ordered {
                guard let token = tokens[outcome.id] else { refused.append(outcome.id); continue }
                let rows = try await conn.query(Self.change(outcome, owner: self.owner, token: token), logger: self.logger)
                var changed = false
                for try await _ in rows.decode(Int64.self) { changed = true }
                if !changed { refused.append(outcome.id) }
            }
            return refused
        } }
        let finished = Set(outcomes.filter { if case .sender = $0 { return false } else { return true } }.map(\.id))
        held.withLock { for id in finished { $0[id] = nil } }
        if !refused.isEmpty {
            logger.warning("outcome not recorded: the lease was lost (another node took the message over)",
                           metadata: ["messages": "\(Array(Set(refused)).sorted())", "owner": "\(owner)"])
        }
        return refused
    }

    /// Hands back a claimed message never sent (the attempt not counted), fenced like an outcome.
    public func unclaim(_ id: Int64, reason: String? = nil, until next: Date? = nil) async throws {
        guard let token = leases[id] else { return }
        let nextAt = next.map { Int64($0.timeIntervalSince1970.rounded(.up)) }
        _ = try await releasingOnFailure([id]) { try await db.client.query("""
            UPDATE outbox SET state = \(unescaped: OutboxTransition.handBackTargetSQL), attempts = attempts - 1,
                last_error = COALESCE(\(reason), last_error), next_attempt_at = COALESCE(\(nextAt), next_attempt_at),
                lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
            WHERE id = \(id) AND \(unescaped: OutboxTransition.handBack.sourceCondition) AND lease_owner = \(owner) AND lease_token = \(token)
            """, logger: logger) }
        forget(id)
    }

    /// The fenced `UPDATE` of one outcome: it changes the row only while this node's lease holds
    /// and the machine allows the outcome's transition.
    static func change(_ outcome: OutboxOutcome, owner: String, token: Int64) -> PostgresQuery {
        let t = outcome.transition, from = t.sourceCondition
        switch outcome {
        case .sender(let id, let name):
            return """
                UPDATE outbox SET sender = COALESCE(sender, \(name))
                WHERE id = \(id) AND \(unescaped: from) AND lease_owner = \(owner) AND lease_token = \(token) RETURNING id
                """
        case .sent(let id, let providerId, let at, let receiptDue):
            return """
                UPDATE outbox SET state = \(unescaped: t.targetSQL), sent_at = \(seconds(at)), provider_message_id = \(providerId),
                    last_error = NULL, updated_at = \(seconds(at)), lease_expires_at = NULL,
                    receipt_due_at = \(receiptDue.map { Int64($0.timeIntervalSince1970.rounded(.up)) })
                WHERE id = \(id) AND \(unescaped: from) AND lease_owner = \(owner) AND lease_token = \(token) RETURNING id
                """
        case .retry(let id, let error, let next, let now):
            // Rounded up: whole seconds must never make a retry due before its time.
            return """
                UPDATE outbox SET state = \(unescaped: t.targetSQL), last_error = \(error),
                    next_attempt_at = \(Int64(next.timeIntervalSince1970.rounded(.up))), updated_at = \(seconds(now)), lease_expires_at = NULL
                WHERE id = \(id) AND \(unescaped: from) AND lease_owner = \(owner) AND lease_token = \(token) RETURNING id
                """
        case .dead(let id, let error, let now), .cancelled(let id, let error, let now):
            return """
                UPDATE outbox SET state = \(unescaped: t.targetSQL), last_error = \(error), updated_at = \(seconds(now)), lease_expires_at = NULL
                WHERE id = \(id) AND \(unescaped: from) AND lease_owner = \(owner) AND lease_token = \(token) RETURNING id
                """
        }
    }

    /// Where a message stands now (nil: no such message), to tell a change the machine forbids
    /// from one another node's lease fenced off.
    func state(of id: Int64) async throws -> OutboxState? {
        for try await s in try await db.client.query("SELECT state FROM outbox WHERE id = \(id)", logger: logger).decode(String.self) {
            return OutboxState(rawValue: s)
        }
        return nil
    }

    /// Throws if the machine forbids `transition` for the message as it stands.
    func refuseIfForbidden(_ transition: OutboxTransition, _ id: Int64) async throws {
        if let refused = transition.refusal(of: id, in: try await state(of: id)) { throw refused }
    }

    // MARK: - Reading

    public func message(_ id: Int64) async throws -> OutboxMessage? {
        for try await row in try await db.client.query("SELECT * FROM outbox WHERE id = \(id)", logger: logger) {
            return try Self.message(row.makeRandomAccess())
        }
        return nil
    }

    /// Messages by state.
    public func counts() async throws -> [OutboxState: Int] {
        var out: [OutboxState: Int] = [:]
        let rows = try await db.client.query("""
            SELECT state, SUM(n)::bigint FROM (SELECT state, COUNT(*) AS n FROM outbox GROUP BY state
                                               UNION ALL SELECT state, messages FROM outbox_purged) t GROUP BY state
            """, logger: logger)
        for try await (state, n) in rows.decode((String, Int64).self) {
            if let s = OutboxState(rawValue: state) { out[s] = Int(n) }
        }
        return out
    }

    /// The earliest instant a message is due, for the scheduler's sleep.
    public func nextDue() async throws -> Date? {
        let rows = try await db.client.query("SELECT MIN(next_attempt_at) FROM outbox WHERE \(unescaped: OutboxTransition.claim.sourceCondition)", logger: logger)
        for try await v in rows.decode(Int64?.self) { return v.map { Date(timeIntervalSince1970: TimeInterval($0)) } }
        return nil
    }

    static func message(_ r: PostgresRandomAccessRow) throws -> OutboxMessage {
        let payload = try r["payload"].decode(String?.self)
        let rendering = try payload.map { try JSONDecoder().decode(Rendering.self, from: Data($0.utf8)) }
            ?? Rendering(channel: try r["channel"].decode(String.self), to: try r["recipient"].decode(String.self),
                         subject: try r["subject"].decode(String?.self), text: try r["body"].decode(String.self), params: [:], templateId: nil)
        let fallbacks = try JSONDecoder().decode([Rendering].self, from: Data(try r["fallbacks"].decode(String.self).utf8))
        func date(_ c: String) throws -> Date? { try r[c].decode(Int64?.self).map { Date(timeIntervalSince1970: TimeInterval($0)) } }
        let orderIds = try r["order_ids"].decode(String.self)
        var message = OutboxMessage(id: try r["id"].decode(Int64.self), key: try r["idempotency_key"].decode(String.self),
                             job: try r["job"].decode(String.self), customerId: try r["customer_id"].decode(String?.self),
                             orderIds: orderIds.isEmpty ? [] : orderIds.split(separator: ",").map(String.init),
                             reminder: try r["reminder"].decode(Int32?.self).map(Int.init), rendering: rendering, fallbacks: fallbacks,
                             state: OutboxState(rawValue: try r["state"].decode(String.self)) ?? .planned,
                             attempts: Int(try r["attempts"].decode(Int32.self)), dueAt: try date("due_at")!,
                             nextAttemptAt: try date("next_attempt_at")!, lastError: try r["last_error"].decode(String?.self),
                             providerMessageId: try r["provider_message_id"].decode(String?.self), sentAt: try date("sent_at"),
                             priority: Int(try r["priority"].decode(Int32.self)), campaign: try r["campaign"].decode(String?.self),
                             expiresAt: try date("expires_at"), sender: try r["sender"].decode(String?.self))
        // Rows read with the whole row (`SELECT *`) carry the receipt's columns.
        if r.contains("delivery") {
            message.delivery = try r["delivery"].decode(String?.self).flatMap(DeliveryReceipt.Status.init(rawValue:))
            message.deliveredAt = try date("delivered_at")
            message.deliveryReason = try r["delivery_reason"].decode(String?.self)
            message.fallbackNote = try r["fallback_note"].decode(String?.self)
        }
        return message
    }
}
