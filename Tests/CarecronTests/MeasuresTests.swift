import CarecronConfig
import CarecronDomain
import CarecronService
import CarecronSQLite
import CarecronStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The handbook's measures (issue 28, item 5) on a small shop worked out by hand, on both
/// stores, and the same figures from `carecron report --measures` and `/v1/measures`.
@Suite("The handbook's measures")
struct MeasuresTests {
    static let now = TestSupport.instant("2026-12-07T10:00:00+07:00")

    /// November 2026. Buyers: C1 (O1, then O2 18 days later: retained), C2 (O3; O4 cancelled),
    /// C3 (O5; O6 returned). C4 only a pending order in November (no buyer) and one paid in
    /// October (its CLTV counts it). Surveys: CSAT 5 and 2 in the week of 2 November, 4 in the
    /// next; NPS 10, 9, 6 on 5 November.
    static func seed(_ customers: any CustomerOrderStore, _ surveys: any SurveyStore) async throws {
        for (id, tier) in [("C1", "Vàng"), ("C2", "Vàng"), ("C3", ""), ("C4", "Bạc")] {
            _ = try await customers.upsert(.customers, ["id": id, "full_name": "Khách \(id)", "phone": "091234567\(id.dropFirst())", "tier": tier],
                                           clock: TestSupport.saigon, holdFor: .hours(24), now: now)
        }
        for (id, customer, day, amount, status) in [("O1", "C1", "02", 500_000, "paid"), ("O2", "C1", "20", 300_000, "delivered"), ("O3", "C2", "05", 1_000_000, "delivered"),
                                                    ("O4", "C2", "10", 250_000, "cancelled"), ("O5", "C3", "10", 200_000, "paid"), ("O6", "C3", "12", 150_000, "returned"),
                                                    ("O7", "C4", "15", 90_000, "pending")] {
            _ = try await customers.upsert(.orders, ["id": id, "customer_id": customer, "placed_at": "2026-11-\(day)T09:00:00+07:00", "amount": "\(amount)", "status": status],
                                           clock: TestSupport.saigon, holdFor: .hours(24), now: now)
        }
        _ = try await customers.upsert(.orders, ["id": "O8", "customer_id": "C4", "placed_at": "2026-10-01T09:00:00+07:00", "amount": "400000", "status": "paid"],
                                       clock: TestSupport.saigon, holdFor: .hours(24), now: now)
        for (job, customer, order, measure, score, day) in [("survey-csat", "C1", "O1", SurveyMeasure.csat, 5, "03"), ("survey-csat", "C2", "O3", .csat, 2, "04"),
                                                            ("survey-csat", "C3", "O5", .csat, 4, "10"), ("nps", "C1", "", .nps, 10, "05"), ("nps", "C2", "", .nps, 9, "05"),
                                                            ("nps", "C3", "", .nps, 6, "05")] {
            _ = try await surveys.recordSurveyAnswer(SurveyAnswer(job: job, customerId: customer, orderId: order, measure: measure, score: score, source: .page,
                                                                  answeredAt: TestSupport.instant("2026-11-\(day)T20:00:00+07:00")))
        }
    }

    /// What the hand says, as the JSON Lines rows read.
    static var expected: [[String: Any]] { [
        ["measure": "nps", "job": "nps", "period": "2026-11-02", "count": 3, "value": 33.33, "low": 1],
        ["measure": "csat", "job": "survey-csat", "period": "2026-11-02", "count": 2, "value": 0.5, "low": 1],
        ["measure": "csat", "job": "survey-csat", "period": "2026-11-09", "count": 1, "value": 1, "low": 0],
        ["measure": "retention", "period": "2026-11-01..2026-11-30", "count": 3, "value": 0.3333, "low": 1],
        ["measure": "cltv", "tier": "Bạc", "count": 1, "value": 400_000, "revenue": 400_000],
        ["measure": "cltv", "tier": "Vàng", "count": 2, "value": 900_000, "revenue": 1_800_000],
        ["measure": "cltv", "tier": "no tier", "count": 1, "value": 200_000, "revenue": 200_000],
        ["measure": "response_time", "count": 0],
        ["measure": "fcr", "count": 0],
    ] }

    static func check(_ rows: [[String: Any]], _ context: String) {
        #expect(rows.count == expected.count, "\(context): \(rows)")
        for (row, want) in zip(rows, expected) {
            for (key, value) in want {
                #expect(row[key].map { "\($0)" } == "\(value)", "\(context) \(key): \(row) against \(want)")
            }
        }
    }

    static func json(_ rows: [MeasureRow]) -> [[String: Any]] {
        rows.map { r in (try? JSONSerialization.jsonObject(with: Data(JSONValue.ordered(r.fields).encoded.utf8))) as? [String: Any] ?? [:] }
    }

    @Test(arguments: StoreUnderTest.implementations)
    func theMeasuresAreWhatTheHandSays(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        let store = try #require(s.full)
        try await Self.seed(s.customers, store)
        let rows = try await OutcomeQuery.measures(store, jobs: [], from: TestSupport.instant("2026-11-01T00:00:00+07:00"), to: TestSupport.instant("2026-12-01T00:00:00+07:00"),
                                                   clock: TestSupport.saigon)
        Self.check(Self.json(rows), name)
        let short = try await store.retention(from: TestSupport.instant("2026-11-01T00:00:00+07:00"), to: TestSupport.instant("2026-12-01T00:00:00+07:00"), within: .days(10))
        #expect(short == RetentionCount(buyers: 3, returned: 0), "O2 came 18 days after O1")
    }

    @Test func theCLIAndTheAPISayTheSame() async throws {
        let dir = try TestSupport.shopFolder()
        let store = try Store(url: dir.appendingPathComponent("var/carecron.sqlite"))
        try await Self.seed(store, store)
        let run = try TestSupport.carecron(["report", "--measures", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "jsonl"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        Self.check(run.stdout.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }, "CLI")
        let table = try TestSupport.carecron(["report", "--measures", "--from", "2026-11-01", "--to", "2026-11-30"], in: dir).stdout
        #expect(table.contains("CSAT survey-csat 2026-11-02: 50.0% satisfied (4–5 of 5) of 2 answers, 1 low") && table.contains("retention 2026-11-01..2026-11-30: 1 of 3 buyers bought again (33.3%)")
                && table.contains("CLTV Vàng: 900.000₫ a buyer over 2 buyers (1.800.000₫ in all)") && table.contains("NPS nps 2026-11-02: +33 over 3 answers, 1 detractors"), "\(table)")
        let loaded = ConfigLoader.load(dir.appendingPathComponent("config.json"))
        let api = HTTPAPI(store: store, runtime: RuntimeBox(Runtime(config: try #require(loaded.config), jobs: loaded.jobs, dispatcher: nil)), wakeup: Wakeup(),
                          token: "t0k3n", clock: WallClock { Self.now })
        try await Application(router: api.router()).test(.router) { client in
            try await client.execute(uri: "/v1/measures?from=2026-11-01&to=2026-11-30", method: .get, headers: [.authorization: "Bearer t0k3n"]) { r in
                let body = (try? JSONSerialization.jsonObject(with: Data(buffer: r.body))) as? [String: Any]
                Self.check(body?["measures"] as? [[String: Any]] ?? [], "API")
            }
            try await client.execute(uri: "/v1/measures?retentionWithin=soon", method: .get, headers: [.authorization: "Bearer t0k3n"]) { r in
                #expect(r.status == .badRequest && String(buffer: r.body).contains("retentionWithin"))
            }
        }
    }

    /// The Kết quả page's measures are the CLI's; the replies page lists the low scores to call back.
    @Test func theConsoleShowsTheMeasuresAndTheCallBacks() async throws {
        var folder: URL?
        let router = try ConsoleRouteTests.router(edit: { folder = $0 })
        let dir = try #require(folder)
        let store = try Store(url: dir.appendingPathComponent("var/carecron.sqlite"))
        try await Self.seed(store, store)
        let stdout = try TestSupport.carecron(["report", "--measures", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "jsonl"], in: dir).stdout
        @Sendable func rows() -> [[String: Any]] { stdout.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] } }
        try await Application(router: router).test(.router) { client in
            let user = try await ConsoleRouteTests.logIn(client, "lan", "mat-khau-lan")
            let page = try await client.execute(uri: "/console/results?from=2026-11-01&to=2026-11-30", method: .get, headers: user) { ConsoleRouteTests.text($0.body) }
            #expect(page.contains("<h2>Chỉ số chăm sóc khách hàng</h2>") && page.contains("<h3>CSAT: survey-csat</h3>") && page.contains("<h3>NPS: nps</h3>"))
            let printed = rows()
            for row in printed where ["csat", "nps"].contains(row["measure"] as? String) {
                #expect(page.contains("<tr data-period=\"\(row["period"]!)\" data-count=\"\(row["count"]!)\" data-low=\"\(row["low"]!)\">"), "\(row)")
            }
            #expect(page.contains("<td>02/11/2026</td><td>2</td><td>50,0%</td>") && page.contains("<td>+33</td>"), "CSAT and NPS as Vietnamese writes them")
            let retention = try #require(printed.first { $0["measure"] as? String == "retention" })
            #expect(page.contains("data-buyers=\"\(retention["count"]!)\" data-returned=\"\(retention["low"]!)\"")
                    && page.contains("1 trong 3 khách mua trong những ngày này đã mua lại trong vòng 90 ngày (33,3%)"))
            for row in printed where row["measure"] as? String == "cltv" {
                let tier = row["tier"] as! String == "no tier" ? "chưa có hạng" : row["tier"] as! String
                #expect(page.contains("<tr data-tier=\"\(tier)\" data-buyers=\"\(row["count"]!)\">"), "\(row)")
            }
            #expect(page.contains("<td class=\"nowrap\">900.000₫</td>"))
            let replies = try await client.execute(uri: "/console/replies", method: .get, headers: user) { ConsoleRouteTests.text($0.body) }
            #expect(replies.contains("<h2>Khách chấm điểm thấp: cần gọi lại</h2>"))
            #expect(replies.components(separatedBy: "<tr class=\"followup\"").count - 1 == 2 && replies.contains("<strong>NPS 6/10</strong>")
                    && replies.contains("<strong>CSAT 2/5</strong><br><small>Đơn O3</small>"), "\(replies)")
        }
    }
}
