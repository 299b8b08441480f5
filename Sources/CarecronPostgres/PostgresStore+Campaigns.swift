import CarecronDomain
import CarecronStorage
import Foundation
import PostgresNIO

// Campaign runs on PostgreSQL: how far each occasion's audience has reached the outbox, written
// with its page in one transaction, the run's row locked while it changes (several nodes may
// pause, resume or write it).

extension PostgresStore: CampaignStore {
    public func campaignRun(_ id: String) async throws -> CampaignRun? {
        try await db.transaction { conn in try await Self.readRun(id, on: conn, lock: false, logger: self.logger) }
    }

    public func beginCampaignRun(_ run: CampaignRun, now: Date) async throws -> CampaignRun {
        try await db.transaction { conn in
            // A row that exists already (paused or cancelled ahead of time, or begun by another node) wins.
            let created = try await self.returnsRow("""
                INSERT INTO campaign_runs (id, job, occasion, state, updated_at) VALUES (\(run.id), \(run.job), \(run.occasion),
                    \(run.state.rawValue), \(Self.seconds(now))) ON CONFLICT (id) DO NOTHING RETURNING id
                """, on: conn)
            if created {
                try await Self.saveRun(run, now: now, on: conn, logger: self.logger)
                return run
            }
            return try await Self.readRun(run.id, on: conn, lock: true, logger: self.logger) ?? run
        }
    }

    public func writeCampaignPage(_ entries: [OutboxEntry], run: CampaignRun, now: Date) async throws -> Int? {
        try await db.transaction { conn in
            guard try await Self.readRun(run.id, on: conn, lock: true, logger: self.logger)?.state == .writing else { return nil }
            let added = try await LeasedOutbox.insert(entries, now: now, on: conn, logger: self.logger).filter { $0 }.count
            var r = run
            r.planned += added
            try await Self.saveRun(r, now: now, on: conn, logger: self.logger)
            return added
        }
    }

    public func pauseCampaign(_ run: CampaignRun, now: Date) async throws -> CampaignRun {
        try await db.transaction { conn in
            var r = try await Self.readRun(run.id, on: conn, lock: true, logger: self.logger) ?? run
            guard r.state == .writing else { return r }
            try await conn.query("""
                UPDATE outbox SET state = \(unescaped: OutboxTransition.pause.targetSQL), updated_at = \(Self.seconds(now))
                WHERE campaign = \(r.id) AND \(unescaped: OutboxTransition.pause.sourceCondition)
                """, logger: self.logger)
            r.state = .paused
            r.pausedAt = now
            try await Self.saveRun(r, now: now, on: conn, logger: self.logger)
            return r
        }
    }

    public func resumeCampaign(_ id: String, now: Date) async throws -> CampaignRun? {
        try await db.transaction { conn in
            guard var r = try await Self.readRun(id, on: conn, lock: true, logger: self.logger), r.state == .paused else {
                return try await Self.readRun(id, on: conn, lock: false, logger: self.logger)
            }
            let shift = Int64(max(0, Int(now.timeIntervalSince1970) - Int((r.pausedAt ?? now).timeIntervalSince1970)))
            try await conn.query("""
                UPDATE outbox SET state = \(unescaped: OutboxTransition.resume.targetSQL), next_attempt_at = next_attempt_at + \(shift),
                    updated_at = \(Self.seconds(now))
                WHERE campaign = \(id) AND \(unescaped: OutboxTransition.resume.sourceCondition)
                """, logger: self.logger)
            if r.baseAt == nil {
                // Paused before it began: it begins as if never paused.
                try await conn.query("DELETE FROM campaign_runs WHERE id = \(id)", logger: self.logger)
                return nil
            }
            // The part of the audience not yet written is paced later by as much.
            r.baseAt = r.baseAt.map { $0.addingTimeInterval(TimeInterval(shift)) }
            r.state = .writing
            r.pausedAt = nil
            try await Self.saveRun(r, now: now, on: conn, logger: self.logger)
            return r
        }
    }

    public func cancelCampaign(_ run: CampaignRun, now: Date) async throws -> Int {
        try await db.transaction { conn in
            var r = try await Self.readRun(run.id, on: conn, lock: true, logger: self.logger) ?? run
            let rows = try await conn.query("""
                UPDATE outbox SET state = \(unescaped: OutboxTransition.cancelWithCampaign.targetSQL), last_error = 'campaign cancelled',
                    updated_at = \(Self.seconds(now))
                WHERE campaign = \(r.id) AND \(unescaped: OutboxTransition.cancelWithCampaign.sourceCondition) RETURNING id
                """, logger: self.logger)
            var dropped = 0
            for try await _ in rows { dropped += 1 }
            r.state = .cancelled
            try await Self.saveRun(r, now: now, on: conn, logger: self.logger)
            return dropped
        }
    }

    public func campaignStatus(_ id: String) async throws -> CampaignStatus {
        try await db.transaction { conn in
            var counts: [OutboxState: Int] = [:]
            for try await (state, n) in try await conn.query("""
                SELECT state, sum(n)::bigint FROM (SELECT state, count(*) AS n FROM outbox WHERE campaign = \(id) GROUP BY state
                                                   UNION ALL SELECT state, messages FROM campaign_purged WHERE campaign = \(id)) counted
                GROUP BY state
                """, logger: self.logger).decode((String, Int64).self) {
                if let s = OutboxState(rawValue: state) { counts[s] = Int(n) }
            }
            return CampaignStatus(run: try await Self.readRun(id, on: conn, lock: false, logger: self.logger), messages: counts)
        }
    }

    /// The customers' other advertising in [from, to), sent or due, one query for the page.
    public func advertisingTimes(customerIds: [String], from: Date, to: Date, excluding campaign: String) async throws -> [String: [Date]] {
        guard !customerIds.isEmpty else { return [:] }
        let rows = try await db.client.query("""
            SELECT customer_id, at FROM (
                SELECT customer_id, COALESCE(sent_at, next_attempt_at) AS at FROM outbox
                WHERE customer_id = ANY(\(customerIds)) AND priority = 2 AND \(unescaped: OutboxState.reachingCustomerCondition)
                  AND (campaign IS NULL OR campaign <> \(campaign))) t
            WHERE at >= \(Self.seconds(from)) AND at < \(Self.seconds(to))
            """, logger: logger)
        var out: [String: [Date]] = [:]
        for try await (customer, at) in rows.decode((String, Int64).self) {
            out[customer, default: []].append(Date(timeIntervalSince1970: TimeInterval(at)))
        }
        return out
    }

    static func readRun(_ id: String, on conn: PostgresConnection, lock: Bool, logger: Logger) async throws -> CampaignRun? {
        let rows = try await conn.query("""
            SELECT id, job, occasion, state, complete, base_at, deadline_at, audience, opted_out, cursor, written, planned, skipped, paused_at
            FROM campaign_runs WHERE id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger)
        for try await row in rows {
            let (rid, job, occasion, state, complete, base, deadline, audience, optedOut, cursor, written, planned, skipped, paused) = try row.decode(
                (String, String, String, String, Int32, Int64?, Int64?, Int32, Int32, String?, Int32, Int32, String, Int64?).self)
            var r = CampaignRun(id: rid, job: job, occasion: occasion, state: CampaignRun.State(rawValue: state) ?? .writing)
            r.complete = complete != 0
            r.baseAt = date(base)
            r.deadlineAt = date(deadline)
            r.audience = Int(audience)
            r.optedOut = Int(optedOut)
            r.cursor = cursor
            r.written = Int(written)
            r.planned = Int(planned)
            r.skipped = (try? JSONDecoder().decode([String: Int].self, from: Data(skipped.utf8))) ?? [:]
            r.pausedAt = date(paused)
            return r
        }
        return nil
    }

    static func saveRun(_ r: CampaignRun, now: Date, on conn: PostgresConnection, logger: Logger) async throws {
        let skipped = String(decoding: try JSONEncoder().encode(r.skipped), as: UTF8.self)
        try await conn.query("""
            INSERT INTO campaign_runs (id, job, occasion, state, complete, base_at, deadline_at, audience, opted_out, cursor,
                                       written, planned, skipped, paused_at, updated_at)
            VALUES (\(r.id), \(r.job), \(r.occasion), \(r.state.rawValue), \(Int32(r.complete ? 1 : 0)), \(r.baseAt.map(seconds)),
                    \(r.deadlineAt.map(seconds)), \(Int32(r.audience)), \(Int32(r.optedOut)), \(r.cursor), \(Int32(r.written)),
                    \(Int32(r.planned)), \(skipped), \(r.pausedAt.map(seconds)), \(seconds(now)))
            ON CONFLICT (id) DO UPDATE SET state = excluded.state, complete = excluded.complete, base_at = excluded.base_at,
                deadline_at = excluded.deadline_at, audience = excluded.audience, opted_out = excluded.opted_out,
                cursor = excluded.cursor, written = excluded.written, planned = excluded.planned, skipped = excluded.skipped,
                paused_at = excluded.paused_at, updated_at = excluded.updated_at
            """, logger: logger)
    }
}

extension PostgresStore: CareStore {
    /// Where the data lives, for logs and messages (never the password).
    public var location: String { db.settings.description }

    public func explain(_ error: any Error) -> String {
        "database \(location): \(PostgresErrors.sentence(error))"
    }

    /// PostgreSQL reports damage in its own log; what reaches carecron is an error, not a damaged file.
    public func isDamage(_ error: any Error) -> Bool { false }
}
