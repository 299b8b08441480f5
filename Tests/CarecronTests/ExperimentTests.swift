import CarecronConfig
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A/B arms (issue 28, item 3, the assignment): each customer keeps one arm of a job's
/// experiment, in the split's proportions, recorded with every message; a winner ends it.
@Suite("A/B experiments")
struct ExperimentTests {
    @Test func armsFollowTheSplitAndStay() {
        let e = Experiment(split: [70, 30])
        let arms = (0..<20_000).map { e.arm(for: "C\($0)", job: "birthday") }
        #expect(abs(Double(arms.filter { $0 == 1 }.count) / 20_000 - 0.3) < 0.015, "about 30% in the second arm")
        #expect(arms == (0..<20_000).map { Experiment(split: [70, 30]).arm(for: "C\($0)", job: "birthday") }, "sticky")
        // Independent of the control group: about 30% of the held-out customers are in arm 2 too.
        let held = (0..<20_000).filter { Holdout(share: 0.2).holds("C\($0)", job: "birthday") }
        #expect(abs(Double(held.filter { arms[$0] == 1 }.count) / Double(held.count) - 0.3) < 0.04)
        #expect((0..<100).allSatisfy { Experiment(split: [50, 50], winner: 1).arm(for: "C\($0)", job: "birthday") == 1 }, "the winner for all")
        // Fixed across versions: C001…C004 fall at 0.030, 0.216, 0.738, 0.128 (FNV-1a of
        // "birthday\u{1}arm\0C00n" with splitmix's finaliser, as a reference in Python computes it).
        #expect(["C001", "C002", "C003", "C004"].map { Experiment(split: [20, 80]).arm(for: $0, job: "birthday") } == [0, 1, 1, 0])
    }

    /// The shop's birthday greeting with a second wording.
    func check(_ experiment: Any, job name: String = "birthday") throws -> (job: JobDefinition?, diagnostics: [Diagnostic]) {
        let config = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: TestSupport.packageRoot.appendingPathComponent("jobs/\(name).json"))) as! [String: Any]
        var templates = json["templates"] as! [[String: Any]]
        if templates.count == 1 {
            var second = templates[0]
            second["text"] = (second["text"] as! String) + " 🎂"
            if var sms = second["sms"] as? [String: Any], let text = sms["text"] as? String {
                sms["text"] = text.replacingOccurrences(of: "chuc mung sinh nhat", with: "chuc mung sinh nhat vui ve")
                second["sms"] = sms
            }
            templates.append(second)
        }
        json["templates"] = templates
        json["experiment"] = experiment
        return JobLoader.check(text: String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self), name: name, config: config)
    }

    @Test func aJobFileDeclaresItsArms() throws {
        #expect(try check(["split": [50, 50]]).job?.experiment == Experiment(split: [50, 50]))
        #expect(try check(["split": [50, 50], "minimumPerArm": 1000, "winner": 2]).job?.experiment == Experiment(split: [50, 50], minimumPerArm: 1000, winner: 1))
        #expect(try check(["split": [60, 50]]).diagnostics.contains { $0.sentence?.code == "check.experiment_split" })
        #expect(try check(["split": [100]]).diagnostics.contains { $0.severity == .error })
        #expect(try check(["split": [50, 50]], job: "payment-reminder").diagnostics.contains { $0.sentence?.code == "check.experiment_in_turns" })
    }

    @Test func thePlanGivesEachCustomerTheirArm() async throws {
        let shop = try DeliveryShop(senders: [:], channels: [:])
        let csv = TestSupport.temporaryFolder("arms").appendingPathComponent("c.csv")
        try ("id,full_name,gender,phone,birthday,opt_out\n" + (10..<40).map { "A\($0),Lê Thị Hoa,female,09120000\($0),1990-12-01,none" }.joined(separator: "\n") + "\n")
            .write(to: csv, atomically: true, encoding: .utf8)
        _ = try Importer(store: shop.store, clock: shop.config.clock).run(.customers, file: csv)
        var job = try #require(try check(["split": [50, 50]]).job)
        let day = TestSupport.instant("2026-12-01T00:00:00+07:00"), next = day.addingTimeInterval(86_400)
        let planner = CarePlanner(policy: shop.config.policy, jobs: [job])
        let events = planner.plan(try await shop.store.planningInput(for: planner, from: day, to: next), from: day, to: next).filter { $0.kind == .message }
        #expect(events.count >= 20)
        #expect(events.allSatisfy { $0.variant == job.experiment!.arm(for: $0.customerId, job: "birthday") })
        #expect(Set(events.map(\.variant)) == [0, 1], "both arms in use")
        #expect(events.allSatisfy { ($0.text?.contains("sinh nhat vui ve") == true) == ($0.variant == 1) }, "each arm's own words")
        job.experiment?.winner = 0
        let ended = CarePlanner(policy: shop.config.policy, jobs: [job])
        #expect(ended.plan(try await shop.store.planningInput(for: ended, from: day, to: next), from: day, to: next)
            .filter { $0.kind == .message }.allSatisfy { $0.variant == 0 }, "ended: the chosen arm for everyone")
    }

    /// Kết quả shows each arm's rate with its interval and says "not enough data yet" below the minimum.
    @Test func theResultsPageShowsTheArms() async throws {
        var folder: URL?
        let router = try ConsoleRouteTests.router(edit: { dir in
            folder = dir
            let file = dir.appendingPathComponent("jobs/birthday.json")
            var json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
            var templates = json["templates"] as! [[String: Any]]
            templates.append(templates[0])
            json["templates"] = templates
            json["experiment"] = ["split": [50, 50], "minimumPerArm": 500]
            try JSONSerialization.data(withJSONObject: json).write(to: file)
        })
        let dir = try #require(folder)
        let store = try Store(url: dir.appendingPathComponent("var/carecron.sqlite"))
        let outbox = Outbox(store: store)
        let at = TestSupport.instant("2026-12-01T09:00:00+07:00")
        for (i, customer) in ["C001", "C002", "C003"].enumerated() {
            var entry = OutboxEntry(keys: ["birthday:\(customer):x"], job: "birthday", customerId: customer, orderIds: [], reminder: nil,
                                    renderings: [Rendering(channel: "sms", to: "+84912000000", subject: nil, text: "tin", params: [:], templateId: nil)], dueAt: at)
            entry.variant = i % 2
            _ = try outbox.enqueue([entry], now: at)
        }
        for claimed in try outbox.claimDue(now: at, limit: 10) {
            try outbox.record([.sender(claimed.id, name: "gw"), .sent(claimed.id, providerId: "p\(claimed.id)", at: at)])
        }
        try await Application(router: router).test(.router) { client in
            let user = try await ConsoleRouteTests.logIn(client, "lan", "mat-khau-lan")
            let page = try await client.execute(uri: "/console/results?from=2026-12-01&to=2026-12-01", method: .get, headers: user) { ConsoleRouteTests.text($0.body) }
            #expect(page.contains("<h2>Thử nghiệm A/B: birthday</h2>") && page.contains("<svg class=\"funnel intervals\""), "\(page)")
            // The scenario's customers order after their greeting: each arm converts (the birthday's goal, a new order within 14 days).
            #expect(page.contains("<tr data-variant=\"variant 1\" data-sent=\"2\" data-converted=\"1\">") && page.contains("<tr data-variant=\"variant 2\" data-sent=\"1\" data-converted=\"1\">"), "\(page)")
            #expect(page.components(separatedBy: "chưa đủ dữ liệu (cần ít nhất 500 tin mỗi nhánh)").count == 3 && page.contains("<td class=\"nowrap\">9,5% – 90,5%</td>"))
        }
    }
}
