import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

extension OutboxRetention {
    /// The schema the rule needs: `outbox_keys` loses its cascade (a key outlives its message,
    /// its `outbox_id` set to NULL) and learns when it was planned; `outbox_purged` keeps the counts.
    static let migration = """
        CREATE TABLE outbox_keys_v9 (
            key TEXT PRIMARY KEY NOT NULL,
            -- NULL once the message is purged: the key still says "planned once"
            outbox_id INTEGER REFERENCES outbox(id) ON DELETE SET NULL,
            planned_at INTEGER NOT NULL
        );
        INSERT INTO outbox_keys_v9 (key, outbox_id, planned_at)
            SELECT k.key, k.outbox_id, o.created_at FROM outbox_keys k JOIN outbox o ON o.id = k.outbox_id;
        DROP TABLE outbox_keys;
        ALTER TABLE outbox_keys_v9 RENAME TO outbox_keys;
        CREATE INDEX outbox_keys_outbox ON outbox_keys(outbox_id);
        CREATE INDEX outbox_keys_detached ON outbox_keys(planned_at) WHERE outbox_id IS NULL;
        -- finished messages by age: what the retention rule takes, oldest first
        CREATE INDEX outbox_finished ON outbox(updated_at) WHERE state IN ('sent', 'cancelled', 'dead');
        -- the outbox's counts per job and state, kept by triggers and the insert: status and the metrics read a
        -- few rows, not ten million (the service reads them at every wake-up)
        CREATE TABLE outbox_counts (
            job TEXT NOT NULL,
            state TEXT NOT NULL,
            messages INTEGER NOT NULL,
            last_planned_at INTEGER NOT NULL,
            PRIMARY KEY (job, state)
        ) WITHOUT ROWID;
        INSERT INTO outbox_counts (job, state, messages, last_planned_at)
            SELECT job, state, COUNT(*), MAX(created_at) FROM outbox GROUP BY job, state;
        -- (inserts are counted by Outbox.insert, once a batch: a trigger a row costs a campaign a third of its speed)
        CREATE TRIGGER outbox_counts_update AFTER UPDATE OF state ON outbox WHEN OLD.state <> NEW.state BEGIN
            UPDATE outbox_counts SET messages = messages - 1 WHERE job = OLD.job AND state = OLD.state;
            INSERT INTO outbox_counts (job, state, messages, last_planned_at) VALUES (NEW.job, NEW.state, 1, NEW.created_at)
            ON CONFLICT(job, state) DO UPDATE SET messages = messages + 1, last_planned_at = MAX(last_planned_at, excluded.last_planned_at);
        END;
        CREATE TRIGGER outbox_counts_delete AFTER DELETE ON outbox BEGIN
            UPDATE outbox_counts SET messages = messages - 1 WHERE job = OLD.job AND state = OLD.state;
        END;
        -- the purged messages' counts, per job and state, for status and the metrics
        CREATE TABLE outbox_purged (
            job TEXT NOT NULL,
            state TEXT NOT NULL,
            messages INTEGER NOT NULL,
            last_planned_at INTEGER NOT NULL,
            PRIMARY KEY (job, state)
        ) WITHOUT ROWID;
        """

    /// A campaign occasion's purged messages by state: `campaign status` counts them with the
    /// outbox's, so an occasion's totals stay what they were once retention has run.
    static let campaignMigration = """
        CREATE TABLE campaign_purged (
            campaign TEXT NOT NULL,
            state TEXT NOT NULL,
            messages INTEGER NOT NULL,
            PRIMARY KEY (campaign, state)
        ) WITHOUT ROWID;
        """

    /// Adds messages to a counts table (`outbox_counts` for those just inserted, `outbox_purged`
    /// for those just purged), by state and job.
    static func add(_ counts: [String: [String: (n: Int, last: Int)]], to table: String, in db: Database) throws {
        let add = try db.cachedStatement(sql: """
            INSERT INTO \(table) (job, state, messages, last_planned_at) VALUES (?, ?, ?, ?)
            ON CONFLICT(job, state) DO UPDATE SET messages = messages + excluded.messages,
                last_planned_at = MAX(last_planned_at, excluded.last_planned_at)
            """)
        for (state, jobs) in counts {
            for (job, c) in jobs { try add.execute(arguments: [job, state, c.n, c.last]) }
        }
    }

    static func purgeFinished(before cutoff: Date, limit: Int, in db: Database) throws -> Int {
        let rows = try Row.fetchAll(db, sql: """
            SELECT id, job, state, created_at, campaign FROM outbox INDEXED BY outbox_finished
            WHERE \(OutboxTransition.purge.sourceCondition) AND updated_at < ? ORDER BY updated_at LIMIT ?
            """, arguments: [Int(cutoff.timeIntervalSince1970), limit])
        guard !rows.isEmpty else { return 0 }
        var counts: [String: [String: (n: Int, last: Int)]] = [:]
        var campaigns: [String: [String: Int]] = [:]
        for row in rows {
            let job: String = row["job"], state: String = row["state"], at: Int = row["created_at"]
            let old = counts[state]?[job] ?? (0, 0)
            counts[state, default: [:]][job] = (old.n + 1, max(old.last, at))
            if let campaign = row["campaign"] as String? { campaigns[campaign, default: [:]][state, default: 0] += 1 }
        }
        try add(counts, to: "outbox_purged", in: db)
        let addCampaign = try db.cachedStatement(sql: """
            INSERT INTO campaign_purged (campaign, state, messages) VALUES (?, ?, ?)
            ON CONFLICT(campaign, state) DO UPDATE SET messages = messages + excluded.messages
            """)
        for (campaign, states) in campaigns {
            for (state, n) in states { try addCampaign.execute(arguments: [campaign, state, n]) }
        }
        let ids = rows.map { $0["id"] as Int64 }
        try db.execute(sql: "DELETE FROM outbox WHERE id IN (\(ids.map(String.init).joined(separator: ",")))")
        return ids.count
    }

    static func purgeDetachedKeys(before cutoff: Date, limit: Int, in db: Database) throws -> Int {
        try db.execute(sql: """
            DELETE FROM outbox_keys WHERE key IN (SELECT key FROM outbox_keys INDEXED BY outbox_keys_detached
                                                  WHERE outbox_id IS NULL AND planned_at < ? LIMIT ?)
            """, arguments: [Int(cutoff.timeIntervalSince1970), limit])
        return db.changesCount
    }

    /// Messages by state, purged ones included: what `status` and the metrics show.
    static func countsByState(_ db: Database) throws -> [OutboxState: Int] {
        var out: [OutboxState: Int] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT state, SUM(messages) FROM (SELECT state, messages FROM outbox_counts UNION ALL SELECT state, messages FROM outbox_purged)
            GROUP BY state
            """) {
            if let s = OutboxState(rawValue: row[0]), let n = row[1] as Int?, n > 0 { out[s] = n }
        }
        return out
    }

    /// Per job: when its last message was planned, and how many it planned in all, purged ones included.
    static func plannedByJob(_ db: Database) throws -> [String: (Date, Int)] {
        var out: [String: (Date, Int)] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT job, MAX(last_planned_at), SUM(messages) FROM
                (SELECT job, last_planned_at, messages FROM outbox_counts UNION ALL SELECT job, last_planned_at, messages FROM outbox_purged)
            GROUP BY job HAVING SUM(messages) > 0
            """) {
            out[row[0]] = (Date(timeIntervalSince1970: TimeInterval(row[1] as Int)), row[2])
        }
        return out
    }
}

extension Store: OutboxRetentionStore {
    public func purgeFinished(before cutoff: Date, limit: Int) throws -> Int {
        try db.write { try OutboxRetention.purgeFinished(before: cutoff, limit: limit, in: $0) }
    }

    public func purgeDetachedKeys(before cutoff: Date, limit: Int) throws -> Int {
        try db.write { try OutboxRetention.purgeDetachedKeys(before: cutoff, limit: limit, in: $0) }
    }
}
