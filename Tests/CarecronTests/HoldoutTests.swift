import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation
import Testing

/// Control groups (issue 28, item 2): a share of a job's eligible customers planned and
/// recorded but never sent, the same customers every time, never a transactional duty unless
/// the file says so.
@Suite("Control groups")
struct HoldoutTests {
    @Test func theGroupIsTheSameEveryTimeAndAboutItsShare() {
        let h = Holdout(share: 0.05)
        let ids = (0..<100_000).map { "C\($0)" }
        let held = ids.filter { h.holds($0, job: "birthday") }
        #expect(abs(Double(held.count) / 100_000 - 0.05) < 0.004, "\(held.count) of 100,000")
        #expect(held == ids.filter { Holdout(share: 0.05).holds($0, job: "birthday") }, "the same customers, every time")
        let other = Set(ids.filter { h.holds($0, job: "win-back") })
        #expect(Double(other.intersection(held).count) < 0.05 * 0.05 * 100_000 * 2, "each job its own group")
        #expect(Holdout.position("C1", job: "birthday") == Holdout.position("C1", job: "birthday"))
        // A fixed hash, not Swift's per-process one: this value is the same in every process and on every node.
        #expect(String(format: "%.6f", Holdout.position("C001", job: "birthday")) == "0.593847")
    }

    func check(_ name: String, _ change: [String: Any]) throws -> (job: JobDefinition?, diagnostics: [Diagnostic]) {
        let config = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: TestSupport.packageRoot.appendingPathComponent("jobs/\(name).json"))) as! [String: Any]
        for (k, v) in change { json[k] = v }
        return JobLoader.check(text: String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self), name: name, config: config)
    }

    @Test func aTransactionalDutyIsHeldOutOnlyWhenTheFileSaysSo() throws {
        let refused = try check("payment-reminder", ["holdout": 0.05]).diagnostics.first { $0.severity == .error }
        #expect(refused?.sentence?.code == "check.holdout_required" && refused?.path.hasSuffix("holdout") == true, "\(String(describing: refused))")
        #expect(refused?.sentence?.text(.vi).contains("“fromReminder”: 2") == true)
        let second = try #require(try check("payment-reminder", ["holdout": ["share": 0.05, "fromReminder": 2]]).job)
        #expect(second.holdout == Holdout(share: 0.05, fromReminder: 2))
        #expect(try check("payment-reminder", ["holdout": ["share": 0.05, "includesRequired": true]]).job?.holdout?.includesRequired == true)
        #expect(try check("cod-confirmation", ["holdout": ["share": 0.05, "fromReminder": 2]]).diagnostics.contains { $0.sentence?.code == "check.holdout_required" },
                "a COD confirmation has one message: its first is the duty")
        #expect(try check("birthday", ["holdout": 0.1]).job?.holdout == Holdout(share: 0.1))
        for bad in [0.0, 0.7, -0.1] {
            #expect(try check("birthday", ["holdout": bad]).diagnostics.contains { $0.sentence?.code == "check.holdout_share" }, "\(bad)")
        }
    }

    /// The birthday greetings of the scenario's shop with half the customers held out: `--explain`
    /// says who and why; without it they are not shown; the service records them, cancelled.
    @Test func theGroupIsPlannedExplainedRecordedAndNeverSent() async throws {
        let shop = try DeliveryShop(senders: [:], channels: [:])
        // Twenty more customers born on 1 December, with phones.
        let csv = TestSupport.temporaryFolder("holdout").appendingPathComponent("c.csv")
        try ("id,full_name,gender,phone,birthday,opt_out\n" + (10..<30).map { "H\($0),Lê Thị Hoa,female,09120000\($0),1990-12-01,none" }.joined(separator: "\n") + "\n")
            .write(to: csv, atomically: true, encoding: .utf8)
        _ = try Importer(store: shop.store, clock: shop.config.clock).run(.customers, file: csv)
        var jobs = shop.jobs
        let i = try #require(jobs.firstIndex { $0.name == "birthday" })
        jobs[i].holdout = Holdout(share: 0.5)
        let day = TestSupport.instant("2026-12-01T00:00:00+07:00"), next = day.addingTimeInterval(86_400)
        var planner = CarePlanner(policy: shop.config.policy, jobs: [jobs[i]])
        let input = try await shop.store.planningInput(for: planner, from: day, to: next)
        let plain = planner.plan(input, from: day, to: next)
        planner.explain = true
        let explained = planner.plan(input, from: day, to: next)
        let held = explained.filter { $0.because?.code == "skip.holdout" }
        let customers = Set(plain.filter { $0.kind == .message }.map(\.customerId))
        #expect(!held.isEmpty && !customers.isEmpty, "some held out, some greeted: \(customers)")
        #expect(held.allSatisfy { Holdout(share: 0.5).holds($0.customerId, job: "birthday") })
        #expect(held.first?.because?.text(.vi) == "Nhóm đối chứng (50% khách của công việc không nhận tin, để đo hiệu quả)")
        #expect(plain.filter { $0.heldOut != nil }.map(\.customerId).sorted() == held.map(\.customerId).sorted(), "the same customers either way")

        let outbox = OutboxPlanner(store: shop.store, config: shop.config, jobs: jobs)
        var memo: PlanMemo?
        let nine = TestSupport.instant("2026-12-01T09:05:00+07:00")
        _ = try await outbox.step(now: nine, upSince: nine, lastSeen: nil, memo: &memo, fresh: true)
        for e in held {
            let key = "birthday:\(e.customerId):2026"
            let m = try #require(try shop.outbox.list(state: nil).first { $0.key == key }, "\(key) recorded")
            #expect(m.state == .cancelled && m.lastError == "control group (holdout 50%: planned, not sent, to measure the job)")
        }
        #expect(try shop.outbox.list(state: .planned).allSatisfy { !held.map(\.customerId).contains($0.customerId ?? "") })
        let recorded = try await shop.store.outcomeBuckets(from: day, to: next, time: .none, byTier: false).filter { $0.job == "birthday" }
        #expect(!recorded.isEmpty && recorded.allSatisfy { $0.variant != nil }, "every message records the variant that wrote it")
        let report = try await shop.dispatcher().drain()
        let sent = try shop.outbox.list(state: .sent)
        #expect(report.sent == sent.count && report.sent > 0 && sent.allSatisfy { !Holdout(share: 0.5).holds($0.customerId ?? "", job: "birthday") })
    }
}
