import CarecronConfig
import CarecronDomain
@_spi(Bench) import CarecronSQLite
import CarecronStorage
import Foundation

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
        try Store(url: shop.database).fillWithSentMessages(rows, endingAt: Date())
        figures.record("outbox_\(size)_fill_seconds", Date().timeIntervalSince(started), "s")
        let full = try outboxFigures(shop, idleSeconds: idleSeconds)
        figures.record("outbox_empty_plan_instant_seconds", empty.plan, "s")
        figures.record("outbox_\(size)_plan_instant_seconds", full.plan, "s")
        figures.record("outbox_\(size)_plan_vs_empty", (full.plan / max(empty.plan, 0.001) * 100).rounded() - 100, "%")
        figures.record("outbox_empty_status_seconds", empty.status, "s")
        figures.record("outbox_\(size)_status_seconds", full.status, "s")
        figures.record("outbox_empty_idle_cpu_per_minute", empty.idle, "s")
        figures.record("outbox_\(size)_idle_cpu_per_minute", full.idle, "s")
        // Issue 30, item 5: after a clean stop the start-up check reads the header; after a
        // crash (here: the rows written by SQL while no service ran) the whole file.
        figures.record("outbox_\(size)_startup_integrity_check_seconds", full.sealedCheck, "s")
        figures.record("outbox_\(size)_startup_cpu_seconds_after_clean_stop", full.sealedCPU, "s")
        figures.record("outbox_\(size)_startup_integrity_check_unsealed_seconds", full.check, "s")
    }

    /// Planning one instant (`simulate`, a minute at 09:00), `status`, and a minute of idle `run`.
    func outboxFigures(_ shop: BenchShop, idleSeconds: Double) throws
        -> (plan: Double, status: Double, idle: Double, check: Double, sealedCheck: Double, sealedCPU: Double) {
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
        let (child, check) = try startAndCheck(shop)
        _ = settle(child)
        let before = child.cpuSeconds() ?? 0
        Thread.sleep(forTimeInterval: idleSeconds)
        let used = (child.cpuSeconds() ?? 0) - before
        try stopCleanly(child)
        // The same file again after that clean stop: sealed, so only its header is read.
        let (again, sealedCheck) = try startAndCheck(shop)
        let sealedCPU = again.cpuSeconds() ?? 0
        try stopCleanly(again)
        return (plan, status.wallSeconds, used * 60 / idleSeconds, check, sealedCheck, sealedCPU)
    }

    /// `carecron run` started, and the seconds from READY=1 to the start-up integrity check's
    /// verdict (nothing is sent before it).
    func startAndCheck(_ shop: BenchShop) throws -> (Child, Double) {
        let notify = try NotifySocket()
        let child = try Child(binary, ["run", "--config", shop.config.path], environment: ["NOTIFY_SOCKET": notify.path],
                              stderr: shop.folder.appendingPathComponent("run.log").path)
        guard let ready = notify.wait(for: "READY=1", timeout: 60) else { throw BenchError("carecron run never said READY=1") }
        let store = try Store(url: shop.database, readOnly: true)
        let deadline = Date().addingTimeInterval(900)
        while Date() < deadline, (try store.lastIntegrity()?.at ?? .distantPast) < child.started.addingTimeInterval(-1) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        return (child, Date().timeIntervalSince(ready))
    }

    func stopCleanly(_ child: Child) throws {
        child.signal(SIGTERM)
        guard let exit = child.wait(seconds: 30), exit.status == 0 else { throw BenchError("carecron run did not stop cleanly on SIGTERM") }
    }
}
