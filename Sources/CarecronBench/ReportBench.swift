import CarecronConfig
import CarecronDomain
@_spi(Bench) import CarecronSQLite
import Foundation

/// Issue 28, item 8: the outcomes report over 90 days of a large shop (`rows` outbox rows, one
/// order a customer in those days), by job and by slot, its time and peak memory; and what
/// control groups and A/B arms cost planning: a day planned with the shipped jobs, and again with
/// a holdout on every job that may have one and an experiment on the birthday greeting.
extension Performance {
    public func reportFigures(customers: Int, rows: Int) throws {
        let (shop, data) = try self.shop(customers: customers)
        defer { shop.remove() }
        try importRate(shop, data: data, customers: customers, record: false)
        let size = Self.label(customers), history = Self.label(rows)
        let end = LocalDate(iso: day)!
        let started = Date()
        try Store(url: shop.database).fillWithOutcomeHistory(customers: customers, orders: customers, rows: rows,
                                                             endingAt: ShopClock(zoneIdentifier: "Asia/Ho_Chi_Minh")!.startOfDay(end))
        figures.record("report_\(history)_fill_seconds", Date().timeIntervalSince(started), "s")
        func report(by: String) throws -> Child.Exit {
            let (exit, _, err) = try runToEnd(binary, ["report", "--from", end.adding(days: -90).description, "--to", end.adding(days: -1).description,
                                                       "--by", by, "--format", "jsonl", "--config", shop.config.path])
            guard exit.status == 0 else { throw BenchError("carecron report failed: \(err)") }
            return exit
        }
        // The first report computes every customer's conversions (as after the upgrade, before the
        // service's minute-by-minute upkeep has done it); the next ones find the sums kept.
        let first = try report(by: "job")
        figures.record("report_90d_\(history)_first_seconds", first.wallSeconds, "s")
        figures.record("report_90d_\(history)_first_peak_memory", Double(first.peakBytes / 1_048_576), "MB")
        for by in ["job", "slot"] {
            let runs = try (0..<3).map { _ in try report(by: by) }
            figures.record("report_90d_\(history)_by_\(by)_seconds", runs.map(\.wallSeconds).min()!, "s")
            figures.record("report_90d_\(history)_by_\(by)_peak_memory", Double(runs.map(\.peakBytes).max()! / 1_048_576), "MB")
        }
        // A day's changes at a big shop: one order in a hundred paid since the last report.
        let changed = try Store(url: shop.database).touchOrders(every: 100)
        let after = try report(by: "job")
        figures.record("report_90d_\(history)_after_changes_customers", Double(changed), "customers")
        figures.record("report_90d_\(history)_after_changes_seconds", after.wallSeconds, "s")
        try armsAndHoldoutsPlanningCost(shop, size: size)
    }

    /// A day planned (best of three) with the shipped jobs, then with every job that may have one
    /// holding out 5% and the birthday greeting an experiment of two arms.
    func armsAndHoldoutsPlanningCost(_ shop: BenchShop, size: String) throws {
        let from = "\(day)T00:00:00+07:00", to = "\(LocalDate(iso: day)!.adding(days: 1))T00:00:00+07:00"
        let plain = try Self.simulateBestOfThree(shop, from: from, to: to)
        let jobs = shop.folder.appendingPathComponent("measured-jobs")
        try FileManager.default.createDirectory(at: jobs, withIntermediateDirectories: true)
        let shipped = ConfigLoader.load(shop.config).config!.jobsFolder
        for file in try FileManager.default.contentsOfDirectory(atPath: shipped.path) where file.hasSuffix(".json") {
            var json = try JSONSerialization.jsonObject(with: Data(contentsOf: shipped.appendingPathComponent(file))) as! [String: Any]
            switch json["type"] as? String {
            case "payment-reminder": json["holdout"] = ["share": 0.05, "fromReminder": 2]
            case "birthday":
                json["holdout"] = 0.05
                var templates = json["templates"] as! [[String: Any]]
                templates.append(templates[0])
                json["templates"] = templates
                json["experiment"] = ["split": [50, 50]]
            case "post-sale-checkin", "tier-upgrade", "campaign": json["holdout"] = 0.05
            default: break
            }
            try JSONSerialization.data(withJSONObject: json).write(to: jobs.appendingPathComponent(file))
        }
        try shop.setJobs(jobs)
        let measured = try Self.simulateBestOfThree(shop, from: from, to: to)
        figures.record("plan_day_\(size)_seconds_plain", plain.fastest.wallSeconds, "s")
        figures.record("plan_day_\(size)_seconds_with_holdouts_and_arms", measured.fastest.wallSeconds, "s")
        figures.record("plan_day_\(size)_holdouts_and_arms_cost", (measured.fastest.wallSeconds / plain.fastest.wallSeconds * 100).rounded() - 100, "%")
        figures.record("plan_day_\(size)_events_plain", Double(plain.output.split(separator: "\n").count), "events")
        figures.record("plan_day_\(size)_events_with_holdouts_and_arms", Double(measured.output.split(separator: "\n").count), "events")
    }
}
