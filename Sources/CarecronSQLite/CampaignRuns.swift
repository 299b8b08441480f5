import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

/// The SQLite implementation: `campaign_runs` beside the outbox, one write transaction per page.
struct CampaignRuns {
    let store: Store

    func run(_ id: String) throws -> CampaignRun? {
        try store.db.read { try Self.read(id, $0) }
    }

    static func read(_ id: String, _ db: Database) throws -> CampaignRun? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM campaign_runs WHERE id = ?", arguments: [id]) else { return nil }
        func date(_ c: String) -> Date? { (row[c] as Int64?).map { Date(timeIntervalSince1970: TimeInterval($0)) } }
        var r = CampaignRun(id: row["id"], job: row["job"], occasion: row["occasion"], state: CampaignRun.State(rawValue: row["state"]) ?? .writing)
        r.complete = row["complete"] != 0
        r.baseAt = date("base_at")
        r.deadlineAt = date("deadline_at")
        r.audience = row["audience"]
        r.optedOut = row["opted_out"]
        r.cursor = row["cursor"]
        r.written = row["written"]
        r.planned = row["planned"]
        r.skipped = (try? JSONDecoder().decode([String: Int].self, from: Data((row["skipped"] as String).utf8))) ?? [:]
        r.pausedAt = date("paused_at")
        return r
    }

    static func save(_ r: CampaignRun, now: Date, _ db: Database) throws {
        func secs(_ d: Date?) -> Int? { d.map { Int($0.timeIntervalSince1970) } }
        let skipped = String(decoding: try JSONEncoder().encode(r.skipped), as: UTF8.self)
        try db.execute(sql: """
            INSERT INTO campaign_runs (id, job, occasion, state, complete, base_at, deadline_at, audience, opted_out, cursor,
                                       written, planned, skipped, paused_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET state = excluded.state, complete = excluded.complete, base_at = excluded.base_at,
                deadline_at = excluded.deadline_at, audience = excluded.audience, opted_out = excluded.opted_out,
                cursor = excluded.cursor, written = excluded.written, planned = excluded.planned, skipped = excluded.skipped,
                paused_at = excluded.paused_at, updated_at = excluded.updated_at
            """, arguments: [r.id, r.job, r.occasion, r.state.rawValue, r.complete ? 1 : 0, secs(r.baseAt), secs(r.deadlineAt),
                             r.audience, r.optedOut, r.cursor, r.written, r.planned, skipped, secs(r.pausedAt), secs(now)])
    }

    func begin(_ run: CampaignRun, now: Date) throws -> CampaignRun {
        try store.db.write { db in
            if let stored = try Self.read(run.id, db) { return stored }
            try Self.save(run, now: now, db)
            return run
        }
    }

    func writePage(_ entries: [OutboxEntry], run: CampaignRun, now: Date) throws -> Int? {
        try store.db.write { db in
            guard try Self.read(run.id, db)?.state == .writing else { return nil }
            let added = try Outbox.insert(entries, now: now, in: db).filter { $0 }.count
            var r = run
            r.planned += added
            try Self.save(r, now: now, db)
            return added
        }
    }

    func pause(_ run: CampaignRun, now: Date) throws -> CampaignRun {
        try store.db.write { db in
            var r = try Self.read(run.id, db) ?? run
            guard r.state == .writing else { return r }
            try db.execute(sql: "UPDATE outbox SET state = \(OutboxTransition.pause.targetSQL), updated_at = ? WHERE campaign = ? AND \(OutboxTransition.pause.sourceCondition)",
                           arguments: [Int(now.timeIntervalSince1970), r.id])
            r.state = .paused
            r.pausedAt = now
            try Self.save(r, now: now, db)
            return r
        }
    }

    func resume(_ id: String, now: Date) throws -> CampaignRun? {
        try store.db.write { db in
            guard var r = try Self.read(id, db), r.state == .paused else { return try Self.read(id, db) }
            let shift = max(0, Int(now.timeIntervalSince1970) - Int((r.pausedAt ?? now).timeIntervalSince1970))
            try db.execute(sql: """
                UPDATE outbox SET state = \(OutboxTransition.resume.targetSQL), next_attempt_at = next_attempt_at + ?, updated_at = ?
                WHERE campaign = ? AND \(OutboxTransition.resume.sourceCondition)
                """, arguments: [shift, Int(now.timeIntervalSince1970), id])
            if r.baseAt == nil {
                // Paused before it began: it begins as if never paused.
                try db.execute(sql: "DELETE FROM campaign_runs WHERE id = ?", arguments: [id])
                return nil
            }
            // The part of the audience not yet written is paced later by as much.
            r.baseAt = r.baseAt.map { $0.addingTimeInterval(TimeInterval(shift)) }
            r.state = .writing
            r.pausedAt = nil
            try Self.save(r, now: now, db)
            return r
        }
    }

    func cancel(_ run: CampaignRun, now: Date) throws -> Int {
        try store.db.write { db in
            var r = try Self.read(run.id, db) ?? run
            try db.execute(sql: """
                UPDATE outbox SET state = \(OutboxTransition.cancelWithCampaign.targetSQL), last_error = 'campaign cancelled', updated_at = ?
                WHERE campaign = ? AND \(OutboxTransition.cancelWithCampaign.sourceCondition)
                """, arguments: [Int(now.timeIntervalSince1970), r.id])
            let dropped = db.changesCount
            r.state = .cancelled
            try Self.save(r, now: now, db)
            return dropped
        }
    }

    func status(_ id: String) throws -> CampaignStatus {
        try store.db.read { db in
            var counts: [OutboxState: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT state, SUM(n) FROM (SELECT state, COUNT(*) AS n FROM outbox WHERE campaign = ? GROUP BY state
                                           UNION ALL SELECT state, messages FROM campaign_purged WHERE campaign = ?)
                GROUP BY state
                """, arguments: [id, id]) {
                if let s = OutboxState(rawValue: row[0]) { counts[s] = row[1] }
            }
            return CampaignStatus(run: try Self.read(id, db), messages: counts)
        }
    }

    /// One query for the whole page (`outbox_customer_sent` finds each customer's rows).
    func advertisingTimes(customerIds: [String], from: Date, to: Date, excluding campaign: String) throws -> [String: [Date]] {
        guard !customerIds.isEmpty else { return [:] }
        let ids = String(decoding: try JSONEncoder().encode(customerIds), as: UTF8.self)
        return try store.db.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT customer_id, COALESCE(sent_at, next_attempt_at) AS at FROM outbox
                WHERE customer_id IN (SELECT value FROM json_each(?)) AND priority = 2 AND \(OutboxState.reachingCustomerCondition)
                  AND (campaign IS NULL OR campaign <> ?) AND at >= ? AND at < ?
                """, arguments: [ids, campaign, Int(from.timeIntervalSince1970), Int(to.timeIntervalSince1970)])
            var out: [String: [Date]] = [:]
            while let row = try rows.next() {
                out[row[0], default: []].append(Date(timeIntervalSince1970: TimeInterval(row[1] as Int64)))
            }
            return out
        }
    }
}

extension Store: CampaignStore {
    public func audience(_ request: AudienceRequest, after cursor: String?, limit: Int) throws -> [CustomerSnapshot] {
        try AudienceQueries(store: self).members(request, after: cursor, limit: limit)
    }
    public func audienceCount(_ request: AudienceRequest) throws -> AudienceCount {
        try AudienceQueries(store: self).count(request)
    }
    public func campaignRun(_ id: String) throws -> CampaignRun? { try CampaignRuns(store: self).run(id) }
    public func beginCampaignRun(_ run: CampaignRun, now: Date) throws -> CampaignRun { try CampaignRuns(store: self).begin(run, now: now) }
    public func writeCampaignPage(_ entries: [OutboxEntry], run: CampaignRun, now: Date) throws -> Int? {
        try CampaignRuns(store: self).writePage(entries, run: run, now: now)
    }
    public func pauseCampaign(_ run: CampaignRun, now: Date) throws -> CampaignRun { try CampaignRuns(store: self).pause(run, now: now) }
    public func resumeCampaign(_ id: String, now: Date) throws -> CampaignRun? { try CampaignRuns(store: self).resume(id, now: now) }
    public func cancelCampaign(_ run: CampaignRun, now: Date) throws -> Int { try CampaignRuns(store: self).cancel(run, now: now) }
    public func campaignStatus(_ id: String) throws -> CampaignStatus { try CampaignRuns(store: self).status(id) }
    public func advertisingTimes(customerIds: [String], from: Date, to: Date, excluding campaign: String) throws -> [String: [Date]] {
        try CampaignRuns(store: self).advertisingTimes(customerIds: customerIds, from: from, to: to, excluding: campaign)
    }
}
