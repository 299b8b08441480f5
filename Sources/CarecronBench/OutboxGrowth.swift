import CarecronConfig
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation
import GRDB

/// Issue 14, figure 4: the outbox after months of sending. The same shop is measured with an
/// empty outbox and with `rows` sent messages of the last 90 days (generated in SQL, as the
/// retention rule would leave them, up to now): planning one instant, `carecron status`, and the idle CPU
/// of `carecron run`.
extension Performance {
    public func outboxGrowth(customers: Int, rows: Int, idleSeconds: Double = 60) throws {
        let (shop, data) = try self.shop(customers: customers)
        defer { shop.remove() }
        try importRate(shop, data: data, customers: customers, record: false)
        let size = Self.label(rows)
        let empty = try outboxFigures(shop, idleSeconds: idleSeconds)
        let started = Date()
        // Up to now, within the default keepFor: the retention rule leaves them all, as it would.
        try fillOutbox(shop.database, rows: rows, endingAt: Date())
        figures.record("outbox_\(size)_fill_seconds", Date().timeIntervalSince(started), "s")
        let full = try outboxFigures(shop, idleSeconds: idleSeconds)
        figures.record("outbox_empty_plan_instant_seconds", empty.plan, "s")
        figures.record("outbox_\(size)_plan_instant_seconds", full.plan, "s")
        figures.record("outbox_\(size)_plan_vs_empty", (full.plan / max(empty.plan, 0.001) * 100).rounded() - 100, "%")
        figures.record("outbox_empty_status_seconds", empty.status, "s")
        figures.record("outbox_\(size)_status_seconds", full.status, "s")
        figures.record("outbox_empty_idle_cpu_per_minute", empty.idle, "s")
        figures.record("outbox_\(size)_idle_cpu_per_minute", full.idle, "s")
        figures.record("outbox_\(size)_startup_integrity_check_seconds", full.check, "s")
    }

    /// Planning one instant (`simulate`, a minute at 09:00), `status`, and a minute of idle `run`.
    func outboxFigures(_ shop: BenchShop, idleSeconds: Double) throws -> (plan: Double, status: Double, idle: Double, check: Double) {
        // The best of three: the first read after generating ten million rows finds the file cold.
        var plan = Double.infinity
        for _ in 0..<3 {
            let (run, _, perr) = try runToEnd(binary, ["simulate", "--from", "\(day)T09:00:00+07:00", "--to", "\(day)T09:01:00+07:00",
                                                       "--format", "jsonl", "--config", shop.config.path])
            guard run.status == 0 else { throw BenchError("carecron simulate failed: \(perr)") }
            plan = min(plan, run.wallSeconds)
        }
        let (status, _, serr) = try runToEnd(binary, ["status", "--config", shop.config.path])
        guard status.status == 0 else { throw BenchError("carecron status failed: \(serr)") }
        let notify = try NotifySocket()
        let child = try Child(binary, ["run", "--config", shop.config.path], environment: ["NOTIFY_SOCKET": notify.path],
                              stderr: shop.folder.appendingPathComponent("run.log").path)
        guard let ready = notify.wait(for: "READY=1", timeout: 60) else { throw BenchError("carecron run never said READY=1") }
        // The start-up integrity check reads the whole file once, beside the work: it is not idle.
        let store = try Store(url: shop.database, readOnly: true)
        let deadline = Date().addingTimeInterval(900)
        while Date() < deadline, (try store.lastIntegrity()?.at ?? .distantPast) < child.started.addingTimeInterval(-1) {
            Thread.sleep(forTimeInterval: 0.2)
        }
        let check = Date().timeIntervalSince(ready)
        _ = settle(child)
        let before = child.cpuSeconds() ?? 0
        Thread.sleep(forTimeInterval: idleSeconds)
        let used = (child.cpuSeconds() ?? 0) - before
        child.signal(SIGTERM)
        guard let exit = child.wait(seconds: 30), exit.status == 0 else { throw BenchError("carecron run did not stop cleanly on SIGTERM") }
        return (plan, status.wallSeconds, used * 60 / idleSeconds, check)
    }

    /// `rows` sent messages spread over the 89 days before `end`, with their keys, a million to
    /// a transaction, through the same table, indexes, triggers and counts as the service's own.
    func fillOutbox(_ database: URL, rows: Int, endingAt end: Date) throws {
        let db = try DatabaseQueue(path: database.path)
        let last = Int(end.timeIntervalSince1970), span = 89 * 86_400
        var first = 0
        while first < rows {
            let upTo = min(rows, first + 1_000_000)
            try db.write { db in
                let firstId = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM outbox") ?? 0
                try db.execute(sql: """
                    WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                    INSERT INTO outbox (idempotency_key, job, channel, recipient, body, state, attempts, due_at, next_attempt_at,
                                        created_at, updated_at, sent_at, priority)
                    SELECT 'old:' || i, CASE i % 3 WHEN 0 THEN 'birthday' WHEN 1 THEN 'post-sale-checkin' ELSE 'cod-confirmation' END,
                           'sms', '+849' || printf('%08d', i % 100000000), 'Tin nhắn đã gửi tháng trước', 'sent', 1, t, t, t, t, t, 1
                    FROM (SELECT i, ? - (i * 7919) % ? AS t FROM n)
                    """, arguments: [first, upTo - 1, last, span])
                try db.execute(sql: """
                    INSERT INTO outbox_counts (job, state, messages, last_planned_at)
                    SELECT job, 'sent', COUNT(*), MAX(created_at) FROM outbox WHERE idempotency_key LIKE 'old:%' AND id > ? GROUP BY job
                    ON CONFLICT(job, state) DO UPDATE SET messages = messages + excluded.messages,
                        last_planned_at = MAX(last_planned_at, excluded.last_planned_at)
                    """, arguments: [firstId])
                try db.execute(sql: """
                    INSERT INTO outbox_keys (key, outbox_id, planned_at)
                    SELECT idempotency_key, id, created_at FROM outbox WHERE id > (SELECT COALESCE(MAX(outbox_id), 0) FROM outbox_keys)
                    """)
            }
            first = upTo
        }
    }
}
