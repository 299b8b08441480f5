import CarecronStorage
import Foundation
import PostgresNIO

// The outbox over time on PostgreSQL (`OutboxRetention` runs the rule): each batch is one
// statement, so that a purge never holds a lock a sender waits for, and rows another node holds
// are skipped, not waited for.

extension PostgresStore: OutboxRetentionStore {
    public func purgeFinished(before cutoff: Date, limit: Int) async throws -> Int {
        let rows = try await db.client.query("""
            WITH gone AS (
                DELETE FROM outbox WHERE id IN (
                    SELECT id FROM outbox WHERE \(unescaped: OutboxTransition.purge.sourceCondition) AND updated_at < \(Self.seconds(cutoff))
                    ORDER BY updated_at LIMIT \(Int64(limit)) FOR UPDATE SKIP LOCKED)
                RETURNING job, state, created_at, campaign),
            counted AS (
                INSERT INTO outbox_purged (job, state, messages, last_planned_at)
                SELECT job, state, count(*), max(created_at) FROM gone GROUP BY job, state
                ON CONFLICT (job, state) DO UPDATE SET messages = outbox_purged.messages + excluded.messages,
                    last_planned_at = GREATEST(outbox_purged.last_planned_at, excluded.last_planned_at)
                RETURNING 1),
            campaigns AS (
                INSERT INTO campaign_purged (campaign, state, messages)
                SELECT campaign, state, count(*) FROM gone WHERE campaign IS NOT NULL GROUP BY campaign, state
                ON CONFLICT (campaign, state) DO UPDATE SET messages = campaign_purged.messages + excluded.messages
                RETURNING 1)
            SELECT count(*) FROM gone
            """, logger: logger)
        for try await n in rows.decode(Int64.self) { return Int(n) }
        return 0
    }

    public func purgeDetachedKeys(before cutoff: Date, limit: Int) async throws -> Int {
        let rows = try await db.client.query("""
            DELETE FROM outbox_keys WHERE key IN (
                SELECT key FROM outbox_keys WHERE outbox_id IS NULL AND planned_at < \(Self.seconds(cutoff)) LIMIT \(Int64(limit)))
            RETURNING key
            """, logger: logger)
        var n = 0
        for try await _ in rows { n += 1 }
        return n
    }
}
