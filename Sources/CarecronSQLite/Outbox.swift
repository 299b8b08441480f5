import Algorithms
import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

/// The outbox: every planned message with its state, written before anything is sent, so that a
/// crash loses nothing and sends nothing twice (README, "Delivery guarantee").
public struct Outbox: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    private static let decoder = JSONDecoder()

    /// Adds a message unless one of its occurrence keys is already planned; true if added.
    @discardableResult
    public func enqueue(keys: [String], job: String, customerId: String?, orderIds: [String], reminder: Int?,
                        renderings: [Rendering], dueAt: Date, now: Date) throws -> Bool {
        try enqueue([OutboxEntry(keys: keys, job: job, customerId: customerId, orderIds: orderIds, reminder: reminder,
                                 renderings: renderings, dueAt: dueAt)], now: now).first ?? false
    }

    /// Adds each message unless one of its occurrence keys is already planned; which were added.
    /// Guarantee: one write transaction for the whole batch; within it, the check of existing
    /// keys and the inserts of each message run back to back under SQLite's single writer, and
    /// `outbox_keys.key` is unique, so no occurrence is ever planned twice, whoever plans.
    @discardableResult
    public func enqueue(_ entries: [OutboxEntry], now: Date) throws -> [Bool] {
        guard !entries.isEmpty else { return [] }
        return try store.db.write { try Self.insert(entries, now: now, in: $0) }
    }

    /// The inserts of `enqueue`, inside a caller's write transaction (a campaign's page and its progress are one).
    static func insert(_ entries: [OutboxEntry], now: Date, in db: Database) throws -> [Bool] {
        let n = Int(now.timeIntervalSince1970)
        let known = try db.cachedStatement(sql: "SELECT 1 FROM outbox_keys WHERE key = ?")
        let insert = try db.cachedStatement(sql: """
            INSERT INTO outbox (idempotency_key, job, customer_id, order_ids, reminder, channel, recipient, subject, body,
                                payload, state, attempts, due_at, next_attempt_at, created_at, updated_at, fallbacks,
                                priority, campaign, expires_at, last_error, variant)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let key = try db.cachedStatement(sql: "INSERT INTO outbox_keys (key, outbox_id, planned_at) VALUES (?, ?, ?)")
        var added: [Bool] = []
        added.reserveCapacity(entries.count)
        var counted: [String: [String: (n: Int, last: Int)]] = [:]
        var outcomes = OutcomeLedger.Inserted()
        for e in entries {
            guard let first = e.renderings.first, !e.keys.isEmpty,
                  try e.keys.allSatisfy({ try Bool.fetchOne(known, arguments: [$0]) == nil }) else {
                added.append(false)
                continue
            }
            let state = e.initialState.rawValue
            let params = first.storedJSON
            let fallbacks = Rendering.storedJSON(Array(e.renderings.dropFirst()))
            let due = Int(e.dueAt.timeIntervalSince1970)
            try insert.execute(arguments: [e.keys.joined(separator: "+"), e.job, e.customerId, e.orderIds.joined(separator: ","), e.reminder,
                                           first.channel, first.to, first.subject, first.text, params, state,
                                           due, due, n, n, fallbacks, e.priority, e.campaign,
                                           e.expiresAt.map { Int($0.timeIntervalSince1970) }, e.heldOut, e.variant])
            let id = db.lastInsertedRowID
            for k in e.keys { try key.execute(arguments: [k, id, n]) }
            let counts = counted[state]?[e.job]?.n ?? 0
            counted[state, default: [:]][e.job] = (counts + 1, n)
            outcomes.add(e, channel: first.channel)
            added.append(true)
        }
        try OutboxRetention.add(counted, to: "outbox_counts", in: db)
        try outcomes.write(db)
        return added
    }

    /// Whether an occurrence was ever planned (whatever became of it).
    public func isPlanned(_ key: String) throws -> Bool {
        try store.db.read { try Bool.fetchOne($0, sql: "SELECT 1 FROM outbox_keys WHERE key = ?", arguments: [key]) ?? false }
    }

    /// Takes up to `limit` due messages for sending, the most urgent purpose first (a payment
    /// reminder before a campaign's backlog), then by due time: they become `sending`, with one more attempt.
    /// Guarantee: one `UPDATE … RETURNING` statement, so two dispatchers never take the same
    /// message. Single-node assumption: SQLite runs one writer at a time, so the subquery's rows
    /// are still due when they are changed; a shared database needs `FOR UPDATE SKIP LOCKED` in
    /// the subquery, and a lease (an owner and an expiry) for a node that dies holding a claim.
    public func claimDue(now: Date, limit: Int) throws -> [OutboxMessage] {
        let n = Int(now.timeIntervalSince1970)
        // One statement: the rows chosen are the rows changed, whoever else claims at the same time.
        let rows = try store.db.write { db in
            try Row.fetchAll(db, sql: """
                UPDATE outbox SET state = \(OutboxTransition.claim.targetSQL), attempts = attempts + 1, updated_at = ?
                WHERE id IN (SELECT id FROM outbox INDEXED BY outbox_claim
                             WHERE \(OutboxTransition.claim.sourceCondition) AND next_attempt_at <= ?
                             ORDER BY priority, next_attempt_at, id LIMIT ?)
                RETURNING *
                """, arguments: [n, n, limit])
        }
        // RETURNING gives no order: the claim's order is the priority and due order.
        return try rows.map(Self.message).sorted { ($0.priority, $0.nextAttemptAt, $0.id) < ($1.priority, $1.nextAttemptAt, $1.id) }
    }

    /// Hands back a claimed message that was never sent: as it was before `claimDue` took it.
    public func unclaim(_ id: Int64) throws { try handBack(id, reason: nil, until: nil) }

    /// Hands back a claimed message that cannot be sent yet for a reason of carecron's own (its
    /// sender is unavailable): the attempt is not counted, so it never dies of waiting.
    public func postpone(_ id: Int64, reason: String, until next: Date) throws { try handBack(id, reason: reason, until: next) }

    /// A claimed message back as it was before the claim (the attempt not counted), with a
    /// reason and a later time if given.
    private func handBack(_ id: Int64, reason: String?, until next: Date?) throws {
        try store.db.write { db in
            try db.execute(sql: """
                UPDATE outbox SET state = \(OutboxTransition.handBackTargetSQL), attempts = attempts - 1,
                    last_error = COALESCE(?, last_error), next_attempt_at = COALESCE(?, next_attempt_at)
                WHERE id = ? AND \(OutboxTransition.handBack.sourceCondition)
                """, arguments: [reason, next.map { Int($0.timeIntervalSince1970.rounded(.up)) }, id])
        }
    }

    /// After a guarded change of one message: throws if the machine forbade it (no row changed
    /// because the message was not in a state the transition leaves from, or does not exist).
    static func refuseUnchanged(_ transition: OutboxTransition, _ id: Int64, in db: Database) throws {
        guard db.changesCount == 0 else { return }
        let state = try String.fetchOne(db, sql: "SELECT state FROM outbox WHERE id = ?", arguments: [id]).flatMap(OutboxState.init)
        if let refused = transition.refusal(of: id, in: state) { throw refused }
    }

    /// After a crash, messages left `sending` have an unknown outcome: they are tried again, with
    /// the same idempotency key, so that a provider that honours it sends them once.
    @discardableResult
    public func recoverInFlight(now: Date) throws -> Int {
        try store.db.write { db in
            try db.execute(sql: """
                UPDATE outbox SET state = \(OutboxTransition.recover.targetSQL), next_attempt_at = ?, updated_at = ?,
                    last_error = 'outcome unknown: carecron stopped while sending; retried with the same idempotency key'
                WHERE \(OutboxTransition.recover.sourceCondition)
                """, arguments: [Int(now.timeIntervalSince1970), Int(now.timeIntervalSince1970)])
            return db.changesCount
        }
    }

    public func markSent(_ id: Int64, providerId: String?, at: Date) throws { try recordOne(.sent(id, providerId: providerId, at: at)) }

    public func markRetry(_ id: Int64, error: String, at next: Date, now: Date) throws {
        try recordOne(.retry(id, error: error, next: next, now: now))
    }

    public func markDead(_ id: Int64, error: String, now: Date) throws { try recordOne(.dead(id, error: error, now: now)) }

    public func markCancelled(_ id: Int64, reason: String, now: Date) throws { try recordOne(.cancelled(id, reason: reason, now: now)) }

    /// One outcome, asked for by id: a change the machine forbids is an error.
    private func recordOne(_ outcome: OutboxOutcome) throws {
        try store.db.write { db in
            try Self.apply(outcome, in: db)
            try Self.refuseUnchanged(outcome.transition, outcome.id, in: db)
        }
    }

    /// Records what became of claimed messages, in order, in one transaction: one commit (one
    /// `fsync`) for a whole group of sends instead of one each. An outcome of a message no longer
    /// `sending` is stale (a later one was written, or a journal replays one already applied):
    /// the machine's guard leaves the message as it is.
    public func record(_ outcomes: [OutboxOutcome]) throws {
        guard !outcomes.isEmpty else { return }
        try store.db.write { db in
            for outcome in outcomes { try Self.apply(outcome, in: db) }
        }
    }

    private static func apply(_ outcome: OutboxOutcome, in db: Database) throws {
        let (set, args) = outcome.change
        try db.cachedStatement(sql: "UPDATE outbox SET \(set) WHERE id = ? AND \(outcome.transition.sourceCondition)")
            .execute(arguments: StatementArguments(args + [outcome.id]))
    }

    /// Switches a message still being sent to its next channel after a permanent failure on
    /// this one; false when it has none, or is no longer being sent (its customer was erased).
    public func fallBack(_ m: OutboxMessage, error: String, now: Date) throws -> Bool {
        guard let next = m.fallbacks.first else { return false }
        let rest = Rendering.storedJSON(Array(m.fallbacks.dropFirst()))
        let payload = next.storedJSON
        let why = "\(m.rendering.channel) failed: \(error); falling back to \(next.channel)"
        return try store.db.write { db in
            try db.execute(sql: """
                UPDATE outbox SET state = \(OutboxTransition.fallBack.targetSQL), channel = ?, recipient = ?, subject = ?, body = ?, payload = ?,
                    fallbacks = ?, last_error = ?, fallback_note = ?, attempts = 0, next_attempt_at = ?, updated_at = ?, sender = NULL
                WHERE id = ? AND \(OutboxTransition.fallBack.sourceCondition)
                """, arguments: [next.channel, next.to, next.subject, next.text, payload, rest, why, why,
                                 Int(now.timeIntervalSince1970), Int(now.timeIntervalSince1970), m.id])
            return db.changesCount == 1
        }
    }

    public func noteSender(_ id: Int64, sender: String) throws { try record([.sender(id, name: sender)]) }

    // MARK: - For people: outbox list, retry, drop

    public func list(state: OutboxState?, limit: Int = 1000) throws -> [OutboxMessage] {
        try store.db.read { db in
            let rows = state == nil
                ? try Row.fetchAll(db, sql: "SELECT * FROM outbox ORDER BY id DESC LIMIT ?", arguments: [limit])
                : try Row.fetchAll(db, sql: "SELECT * FROM outbox WHERE state = ? ORDER BY id DESC LIMIT ?", arguments: [state!.rawValue, limit])
            return try rows.map(Self.message)
        }
    }

    public func history(_ query: OutboxHistoryQuery) throws -> [OutboxMessage] {
        let q = OutboxHistorySQL(query, dialect: .sqlite)
        return try store.db.read { db in
            try Row.fetchAll(db, sql: q.sql, arguments: StatementArguments(q.arguments)).map(Self.message)
        }
    }

    public func planned(keys: [String]) throws -> [String: PlannedMessageState] {
        try store.db.read { db in
            var out: [String: PlannedMessageState] = [:]
            for chunk in keys.chunks(ofCount: 500) {
                let sql = "SELECT k.key, o.id, o.state FROM outbox_keys k JOIN outbox o ON o.id = k.outbox_id WHERE k.key IN (\(chunk.map { _ in "?" }.joined(separator: ",")))"
                for row in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(Array(chunk))) {
                    if let state = OutboxState(rawValue: row[2]) { out[row[0]] = PlannedMessageState(id: row[1], state: state) }
                }
            }
            return out
        }
    }

    public func message(_ id: Int64) throws -> OutboxMessage? {
        try store.db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM outbox WHERE id = ?", arguments: [id]).map(Self.message) }
    }

    /// Puts dead or failed messages back in line, now; returns how many.
    public func retry(ids: [Int64]?, now: Date) throws -> Int {
        try store.db.write { db in
            let scope = ids.map { "id IN (\($0.map(String.init).joined(separator: ",")))" } ?? OutboxState.sqlCondition([.dead])
            try db.execute(sql: """
                UPDATE outbox SET state = \(OutboxTransition.retryByHand.targetSQL), attempts = 0, next_attempt_at = ?, updated_at = ?
                WHERE \(scope) AND \(OutboxTransition.retryByHand.sourceCondition)
                """, arguments: [Int(now.timeIntervalSince1970), Int(now.timeIntervalSince1970)])
            return db.changesCount
        }
    }

    /// Gives up on a message that has not been sent: it becomes `cancelled`.
    public func drop(_ id: Int64, now: Date) throws -> Bool {
        try store.db.write { db in
            try db.execute(sql: """
                UPDATE outbox SET state = \(OutboxTransition.drop.targetSQL), last_error = 'dropped by hand', updated_at = ?
                WHERE id = ? AND \(OutboxTransition.drop.sourceCondition)
                """, arguments: [Int(now.timeIntervalSince1970), id])
            return db.changesCount == 1
        }
    }

    /// Messages by state, purged ones included (counted by triggers: a few rows to read).
    public func counts() throws -> [OutboxState: Int] {
        try store.db.read { try OutboxRetention.countsByState($0) }
    }

    /// Per job, its messages planned since `since` by state (the console's jobs page).
    public func countsByJob(since: Date) throws -> [String: [OutboxState: Int]] {
        try store.db.read { db in
            var out: [String: [OutboxState: Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT job, state, COUNT(*) AS n FROM outbox WHERE created_at >= ? GROUP BY job, state",
                                        arguments: [Int(since.timeIntervalSince1970)]) {
                if let s = OutboxState(rawValue: row["state"]) { out[row["job"], default: [:]][s] = row["n"] }
            }
            return out
        }
    }

    /// Per job, when its last message was planned and how many it planned in all (`status`).
    public func lastPlannedByJob() throws -> [String: (Date, Int)] {
        try store.db.read { try OutboxRetention.plannedByJob($0) }
    }

    /// The earliest instant a message is due, for the scheduler's sleep.
    public func nextDue() throws -> Date? {
        try store.db.read { db in
            try Int.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM outbox WHERE \(OutboxTransition.claim.sourceCondition)")
                .map { Date(timeIntervalSince1970: TimeInterval($0)) }
        }
    }

    static func message(_ row: Row) throws -> OutboxMessage {
        let payload: String? = row["payload"]
        let rendering = try payload.map { try decoder.decode(Rendering.self, from: Data($0.utf8)) }
            ?? Rendering(channel: row["channel"], to: row["recipient"], subject: row["subject"], text: row["body"], params: [:], templateId: nil)
        let fallbackJSON: String = row["fallbacks"]
        let fallbacks = try decoder.decode([Rendering].self, from: Data(fallbackJSON.utf8))
        func date(_ c: String) -> Date? { (row[c] as Int64?).map { Date(timeIntervalSince1970: TimeInterval($0)) } }
        let orderIds: String = row["order_ids"]
        var message = OutboxMessage(id: row["id"], key: row["idempotency_key"], job: row["job"], customerId: row["customer_id"],
                             orderIds: orderIds.isEmpty ? [] : orderIds.split(separator: ",").map(String.init),
                             reminder: row["reminder"], rendering: rendering, fallbacks: fallbacks,
                             state: OutboxState(rawValue: row["state"]) ?? .planned, attempts: row["attempts"],
                             dueAt: date("due_at")!, nextAttemptAt: date("next_attempt_at")!, lastError: row["last_error"],
                             providerMessageId: row["provider_message_id"], sentAt: date("sent_at"),
                             priority: row["priority"], campaign: row["campaign"], expiresAt: date("expires_at"), sender: row["sender"])
        message.delivery = (row["delivery"] as String?).flatMap(DeliveryReceipt.Status.init(rawValue:))
        message.deliveredAt = date("delivered_at")
        message.deliveryReason = row["delivery_reason"]
        message.fallbackNote = row["fallback_note"]
        return message
    }
}
