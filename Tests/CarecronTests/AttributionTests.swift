import CarecronConfig
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Hummingbird
import CarecronService
import Testing

/// Goals and attribution (issue 28, items 1 and 7): the worked example of
/// `Tests/fixtures/outcomes/worked-example.json`, reckoned by hand, asserted exactly.
@Suite("What each message achieved")
struct AttributionTests {
    struct Example {
        let messages: [MessageRecord]
        let orders: [OrderRecord]
        let expected: [Conversion]
        let holdFor: TimeSpan
    }

    static func example() throws -> Example {
        let url = TestSupport.packageRoot.appendingPathComponent("Tests/fixtures/outcomes/worked-example.json")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        func at(_ s: Any?) -> Date? { (s as? String).map { TestSupport.instant($0) } }
        let messages = (doc["messages"] as! [[String: Any]]).map { m in
            MessageRecord(id: Int64(m["id"] as! Int), job: m["job"] as! String, customerId: m["customer"] as! String, orderIds: m["orders"] as! [String],
                          channel: m["channel"] as! String, at: at(m["at"])!, delivered: m["delivered"] as? Bool ?? false,
                          heldOut: m["heldOut"] as? Bool ?? false)
        }
        let orders = (doc["orders"] as! [[String: Any]]).map { o in
            OrderRecord(id: o["id"] as! String, customerId: o["customer"] as! String, placedAt: at(o["placed"])!, amount: o["amount"] as! Int,
                        status: OrderStatus(rawValue: o["status"] as! String)!, paidAt: at(o["paid"]), deliveredAt: at(o["delivered"]))
        }
        let expected = (doc["conversions"] as! [[String: Any]]).filter { $0["job"] as? String != "-" }.map { c in
            let order = orders.first { $0.id == c["order"] as! String }!
            let message = messages.first { $0.id == Int64(c["message"] as! Int) }!
            let reached = message.job == "payment-reminder" ? order.paidAt! : order.placedAt
            return Conversion(job: c["job"] as! String, messageId: message.id, orderId: order.id, at: reached, revenue: c["revenue"] as! Int,
                              heldOut: c["heldOut"] as? Bool ?? false)
        }
        return Example(messages: messages, orders: orders, expected: expected, holdFor: TimeSpan(doc["holdFor"] as! String)!)
    }

    @Test func theWorkedExampleIsCreditedAsReckonedByHand() throws {
        let ex = try Self.example()
        let goals: [String: Goal] = ["payment-reminder": .orderPaid, "birthday": .newOrder(within: .days(14)), "win-back": .newOrder(within: .days(7))]
        let got = Attribution.conversions(messages: ex.messages, orders: ex.orders, goals: goals, holdFor: ex.holdFor)
        let order = { (c: Conversion) in "\(c.job) \(c.orderId)" }
        #expect(got.sorted { order($0) < order($1) } == ex.expected.sorted { order($0) < order($1) })
        #expect(got.filter { $0.orderId == "O4" }.count == 2, "one order, two jobs, once each")
    }

    @Test func eachJobTypeHasAGoalAndAFileMaySetItsWindow() {
        #expect(Goal.default(for: PaymentReminderRules.type) == .orderPaid)
        #expect(Goal.default(for: CodConfirmationRules.type) == .orderDelivered)
        #expect(Goal.default(for: BirthdayRules.type) == .newOrder(within: .days(14)))
        #expect(Goal.default(for: OrderExpiryRules.type) == nil, "bookkeeping has no goal")
    }

    @Test func aJobFileSetsItsGoalsWindow() throws {
        let config = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
        func check(_ name: String, _ goal: Any) throws -> (job: JobDefinition?, diagnostics: [Diagnostic]) {
            var json = try JSONSerialization.jsonObject(with: Data(contentsOf: TestSupport.packageRoot.appendingPathComponent("jobs/\(name).json"))) as! [String: Any]
            json["goal"] = goal
            return JobLoader.check(text: String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self), name: name, config: config)
        }
        let birthday = try #require(try check("birthday", ["within": "10d"]).job)
        #expect(Goal.of(birthday) == .newOrder(within: .days(10)))
        #expect(try check("payment-reminder", ["within": "10d"]).diagnostics.contains { $0.sentence?.code == "check.goal_fixed" })
        #expect(try check("birthday", ["within": "2y"]).diagnostics.contains { $0.severity == .error })
        #expect(try check("birthday", ["within": "400d"]).diagnostics.contains { $0.sentence?.code == "check.goal_window" })
    }

    /// A COD confirmation worked when its order was delivered, not refused.
    @Test func aCODConfirmationCountsTheDeliveredOrder() {
        let t = TestSupport.instant("2026-12-01T09:00:00+07:00")
        let messages = [MessageRecord(id: 1, job: "cod", customerId: "C", orderIds: ["A"], channel: "sms", at: t),
                        MessageRecord(id: 2, job: "cod", customerId: "C", orderIds: ["B"], channel: "sms", at: t)]
        let orders = [OrderRecord(id: "A", customerId: "C", placedAt: t, amount: 100, status: .delivered, deliveredAt: t.addingTimeInterval(86_400)),
                      OrderRecord(id: "B", customerId: "C", placedAt: t, amount: 200, status: .returned)]
        let got = Attribution.conversions(messages: messages, orders: orders, goals: ["cod": .orderDelivered], holdFor: .hours(24))
        #expect(got.map(\.orderId) == ["A"] && got.first?.at == t.addingTimeInterval(86_400))
    }
}

/// The worked example through a real store and `carecron report`: the same credit as by hand.
@Suite("carecron report")
struct ReportCommandTests {
    @Test func theReportOfTheWorkedExampleIsWhatTheHandSays() async throws {
        let dir = try TestSupport.shopFolder()
        try await Self.storeWorkedExample(in: dir)
        try await check(dir)
    }

    /// The worked example's customers, orders and outbox rows (sent, delivered, held out) in the shop's store.
    static func storeWorkedExample(in dir: URL) async throws {
        let ex = try AttributionTests.example()
        let store = try Store(url: dir.appendingPathComponent("var/carecron.sqlite"))
        let clock = TestSupport.saigon
        let created = TestSupport.instant("2026-11-30T00:00:00+07:00")
        for c in Set(ex.messages.map(\.customerId)).sorted() {
            // C1 and C4 have tiers (the report's "by tier"); the rest none.
            let tier = ["C1": "Vàng", "C4": "Bạc"][c] ?? ""
            _ = try store.upsert(.customers, ["id": c, "full_name": "Khách \(c)", "phone": "091200000\(c.dropFirst())", "tier": tier], clock: clock, holdFor: .hours(24),
                                 now: created)
        }
        for o in ex.orders {
            var row = ["id": o.id, "customer_id": o.customerId, "placed_at": InstantFormat.format(o.placedAt, clock: clock), "amount": "\(o.amount)",
                       "status": o.status.rawValue]
            if let p = o.paidAt { row["paid_at"] = InstantFormat.format(p, clock: clock) }
            _ = try store.upsert(.orders, row, clock: clock, holdFor: .hours(24), now: created)
        }
        let outbox = Outbox(store: store)
        for m in ex.messages {
            var entry = OutboxEntry(keys: ["ex:\(m.id)"], job: m.job, customerId: m.customerId, orderIds: m.orderIds, reminder: nil,
                                    renderings: [Rendering(channel: m.channel, to: "+84912000000", subject: nil, text: "tin", params: [:], templateId: nil)],
                                    dueAt: m.at)
            if m.heldOut { entry.heldOut = Holdout(share: 0.05).reason.description }
            // The reminders alternate between the job's two wordings (ids 2 and 4 the first, 1 and 3 the second).
            if m.job == "payment-reminder" { entry.variant = Int(m.id % 2) }
            _ = try outbox.enqueue([entry], now: created)
            guard !m.heldOut, let claimed = try outbox.claimDue(now: m.at, limit: 10).first else { continue }
            try outbox.record([.sender(claimed.id, name: "gw"), .sent(claimed.id, providerId: "p\(m.id)", at: m.at)])
            if m.delivered {
                _ = try await outbox.record(DeliveryReceipt(sender: "gw", reference: .providerId("p\(m.id)"), status: .delivered, at: m.at), now: m.at)
            }
        }
    }

    func check(_ dir: URL) async throws {
        // The shop's jobs plus a win-back campaign: its goal, a new order within 7 days.
        let winBack = try String(contentsOf: dir.appendingPathComponent("jobs/win-back.json"), encoding: .utf8)
        #expect(winBack.contains("\"type\": \"campaign\""))
        let run = try TestSupport.carecron(["report", "--from", "2026-12-01", "--to", "2026-12-03", "--format", "jsonl"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let rows = Dictionary(uniqueKeysWithValues: run.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }.map { ($0["job"] as! String, $0) })
        let reminder = try #require(rows["payment-reminder"], "\(run.stdout)")
        #expect(reminder["planned"] as? Int == 4 && reminder["sent"] as? Int == 3 && reminder["delivered"] as? Int == 3 && reminder["held_out"] as? Int == 1)
        #expect(reminder["converted"] as? Int == 1 && reminder["revenue"] as? Int == 450_000, "O1, by the second reminder; O2 late")
        #expect(reminder["control_converted"] as? Int == 1 && reminder["control_rate"] as? Double == 1, "C3 paid anyway")
        let birthday = try #require(rows["birthday"])
        #expect(birthday["sent"] as? Int == 2 && birthday["converted"] as? Int == 1 && birthday["revenue"] as? Int == 1_250_000)
        #expect(birthday["lift"] is NSNull, "no control group, no lift")
        let campaign = try #require(rows["win-back"])
        #expect(campaign["converted"] as? Int == 1 && campaign["revenue"] as? Int == 1_250_000, "O4 counts for both jobs")

        let table = try TestSupport.carecron(["report", "--from", "2026-12-01", "--to", "2026-12-03"], in: dir).stdout
        #expect(table.contains("payment-reminder: planned 4, sent 3, delivered 3, converted 1 (33.3%), revenue 450.000₫; control group 1, converted 1 (100.0%), lift -66.7 points (95%: -93.9 to +25.0)"), "\(table)")
        let csv = try TestSupport.carecron(["report", "--from", "2026-12-01", "--to", "2026-12-03", "--format", "csv"], in: dir).stdout
        #expect(csv.hasPrefix("job,group,planned,sent,delivered,held_out,converted,rate,control_converted,control_rate,lift,lift_low,lift_high,conversions,revenue,rate_low,rate_high,beats_other,p_value,verdict\n"))
        #expect(try TestSupport.carecron(["report", "--from", "2026-12-05", "--to", "2026-12-01"], in: dir).status != 0)

        // By the time of day the reminders were due: the 16:00 one has O1; the 12:00 ones none, their control group O3.
        let slots = try TestSupport.carecron(["report", "--from", "2026-12-01", "--to", "2026-12-03", "--by", "slot", "--format", "jsonl"], in: dir).stdout
            .split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
            .filter { $0["job"] as? String == "payment-reminder" }
        #expect(slots.map { $0["group"] as? String } == ["12:00", "16:00"], "\(slots)")
        #expect(slots.first?["sent"] as? Int == 2 && slots.first?["converted"] as? Int == 0 && slots.first?["held_out"] as? Int == 1
                && slots.first?["control_converted"] as? Int == 1)
        #expect(slots.last?["sent"] as? Int == 1 && slots.last?["converted"] as? Int == 1 && slots.last?["revenue"] as? Int == 450_000)
        let channels = try TestSupport.carecron(["report", "--from", "2026-12-01", "--to", "2026-12-03", "--by", "channel"], in: dir).stdout
        #expect(channels.contains("payment-reminder sms: planned 3, sent 2, delivered 2, converted 1 (50.0%)")
                && channels.contains("payment-reminder zalo: planned 1, sent 1, delivered 1, converted 0 (0.0%)"), "\(channels)")
        let variants = try TestSupport.carecron(["report", "--from", "2026-12-01", "--to", "2026-12-03", "--by", "variant"], in: dir).stdout
        #expect(variants.contains("payment-reminder variant 1: planned 2, sent 1, delivered 1, converted 1 (100.0%) [95%: 20.7% to 100.0%], revenue 450.000₫; control group 1, converted 1")
                && variants.contains("payment-reminder variant 2: planned 2, sent 2, delivered 2, converted 0 (0.0%) [95%: 0.0% to 65.8%]"), "\(variants)")
        let tiers = try TestSupport.carecron(["report", "--from", "2026-12-01", "--to", "2026-12-03", "--by", "tier"], in: dir).stdout
        #expect(tiers.contains("payment-reminder Vàng: planned 2, sent 2, delivered 2, converted 1 (50.0%)")
                && tiers.contains("payment-reminder no tier: planned 2, sent 1, delivered 1, converted 0 (0.0%)")
                && tiers.contains("birthday Bạc: planned 1, sent 1, delivered 1, converted 1"), "\(tiers)")
        let weeks = try TestSupport.carecron(["report", "--from", "2026-12-01", "--to", "2026-12-03", "--by", "week"], in: dir).stdout
        #expect(weeks.contains("birthday 2026-11-30: planned 2"), "1 December 2026 is a Tuesday: its week's Monday is 30 November. \(weeks)")
    }
}

extension ReportCommandTests {
    /// The same figures on the console's Kết quả page and from `/v1/report` as from the CLI.
    @Test func theConsoleAndTheAPISayWhatTheCLISays() async throws {
        var folder: URL?
        let router = try ConsoleRouteTests.router(edit: { folder = $0 })
        let dir = try #require(folder)
        try await Self.storeWorkedExample(in: dir)
        let printed = try TestSupport.carecron(["report", "--from", "2026-12-01", "--to", "2026-12-03", "--format", "jsonl"], in: dir).stdout
        @Sendable func rows() -> [[String: Any]] {
            printed.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        }
        #expect(rows().count >= 3)
        let keys = [("planned", "planned"), ("sent", "sent"), ("delivered", "delivered"), ("held_out", "held-out"), ("converted", "converted"),
                    ("control_converted", "control-converted"), ("revenue", "revenue")]
        try await Application(router: router).test(.router) { client in
            let user = try await ConsoleRouteTests.logIn(client, "lan", "mat-khau-lan")
            let page = try await client.execute(uri: "/console/results?from=2026-12-01&to=2026-12-03", method: .get, headers: user) { ConsoleRouteTests.text($0.body) }
            #expect(page.contains("<h1>Kết quả: mỗi công việc đạt được gì</h1>") && page.contains("<svg class=\"funnel\""))
            for row in rows() {
                let job = row["job"] as! String
                let tr = try #require(page.components(separatedBy: "<tr data-job=\"\(job)\"").dropFirst().first, "\(job) on the page")
                for (cliKey, attribute) in keys {
                    #expect(tr.contains("data-\(attribute)=\"\(row[cliKey] as! Int)\""), "\(job) \(cliKey): \(row[cliKey]!)")
                }
            }
            #expect(page.contains("chênh lệch -66,7 điểm (95%: -93,9 đến +25,0)"), "the lift, in Vietnamese")
            // The reminders by slot, as `carecron report --by slot`: 12:00 two sent none paid in the hold, 16:00 one sent one paid.
            #expect(page.contains("<h2>Tỉ lệ đạt theo giờ gửi: payment-reminder</h2>"))
            #expect(page.contains("<tr data-slot=\"12:00\" data-sent=\"2\" data-converted=\"0\">") && page.contains("<tr data-slot=\"16:00\" data-sent=\"1\" data-converted=\"1\">"))
        }
        let loaded = ConfigLoader.load(dir.appendingPathComponent("config.json"))
        let config = try #require(loaded.config)
        let store = try Store(url: dir.appendingPathComponent("var/carecron.sqlite"))
        let api = HTTPAPI(store: store, runtime: RuntimeBox(Runtime(config: config, jobs: loaded.jobs, dispatcher: nil)), wakeup: Wakeup(),
                          token: "t0k3n", webhookSecret: nil, maxBody: 64 * 1024, clock: WallClock { TestSupport.instant("2026-12-07T10:00:00+07:00") })
        try await Application(router: api.router()).test(.router) { client in
            try await client.execute(uri: "/v1/report?from=2026-12-01&to=2026-12-03", method: .get, headers: [.authorization: "Bearer t0k3n"]) { r in
                let body = (try? JSONSerialization.jsonObject(with: Data(buffer: r.body))) as? [String: Any]
                let jobs = body?["jobs"] as? [[String: Any]] ?? []
                #expect(r.status == .ok && body?["from"] as? String == "2026-12-01" && body?["to"] as? String == "2026-12-03", "\(String(buffer: r.body))")
                #expect(jobs.count == rows().count)
                for (a, b) in zip(jobs, rows()) { #expect(NSDictionary(dictionary: a).isEqual(to: b), "\(a) against \(b)") }
            }
            try await client.execute(uri: "/v1/report?from=yesterday", method: .get, headers: [.authorization: "Bearer t0k3n"]) { r in
                #expect(r.status == .badRequest && String(buffer: r.body).contains("from"))
            }
            try await client.execute(uri: "/v1/report", method: .get) { r in #expect(r.status == .unauthorized) }
        }
    }
}

/// The lift's interval against statsmodels (Newcombe's hybrid score interval of a difference of
/// two proportions), as the cron tests check against croniter: small and large groups, rates of
/// 0 and 1 included.
@Suite("The outcomes' statistics")
struct ProportionsTests {
    @Test func theLiftsIntervalIsStatsmodels() throws {
        var generator = SystemRandomNumberGenerator()
        var cases: [(Int, Int, Int, Int)] = [(1, 3, 1, 1), (0, 10, 0, 10), (10, 10, 0, 10), (120, 1000, 40, 50), (5000, 95000, 230, 5000)]
        for _ in 0..<200 {
            let n1 = Int.random(in: 1...5000, using: &generator), n2 = Int.random(in: 1...500, using: &generator)
            cases.append((Int.random(in: 0...n1, using: &generator), n1, Int.random(in: 0...n2, using: &generator), n2))
        }
        let input = cases.enumerated().map { "{\"id\":\($0),\"k1\":\($1.0),\"n1\":\($1.1),\"k2\":\($1.2),\"n2\":\($1.3)}\n" }.joined()
        let (status, data) = try TestSupport.oracle("proportions_oracle.py", input: input)
        #expect(status == 0, "python3 with statsmodels is needed (pip install statsmodels); .ci/run installs it")
        let answers = data.split(separator: 0x0A).compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
        #expect(answers.count == cases.count)
        for a in answers {
            let c = cases[a["id"] as! Int]
            let ours = Proportions.difference(c.0, of: c.1, minus: c.2, of: c.3)
            #expect(abs(ours.low - (a["low"] as! Double)) < 1e-9 && abs(ours.high - (a["high"] as! Double)) < 1e-9, "\(c): \(ours) against \(a)")
        }
    }

    /// An arm's chance of beating the other (Evan Miller's closed form) against scipy's numerical
    /// integration, and the two-proportion test against statsmodels' `proportions_ztest`.
    @Test func theArmsStatisticsAreScipyAndStatsmodels() throws {
        var generator = SystemRandomNumberGenerator()
        var cases: [(Int, Int, Int, Int)] = [(0, 10, 0, 10), (10, 10, 0, 10), (60, 500, 45, 500), (6000, 50000, 5800, 50000), (3, 7, 250, 1000)]
        for _ in 0..<150 {
            let n1 = Int.random(in: 1...3000, using: &generator), n2 = Int.random(in: 1...3000, using: &generator)
            cases.append((Int.random(in: 0...n1 / 3, using: &generator), n1, Int.random(in: 0...n2 / 3, using: &generator), n2))
        }
        let input = cases.enumerated().flatMap { i, c in
            ["beats", "ztest"].map { "{\"id\":\(i),\"kind\":\"\($0)\",\"k1\":\(c.0),\"n1\":\(c.1),\"k2\":\(c.2),\"n2\":\(c.3)}\n" }
        }.joined()
        let (status, data) = try TestSupport.oracle("proportions_oracle.py", input: input)
        #expect(status == 0, "python3 with scipy and statsmodels is needed; .ci/run installs them")
        let answers = data.split(separator: 0x0A).compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
        #expect(answers.count == cases.count * 2)
        for a in answers {
            let c = cases[a["id"] as! Int], theirs = a["p"] as? Double
            if a["kind"] as? String == "beats" {
                let ours = Proportions.probabilityBeats(c.0, of: c.1, c.2, of: c.3)
                #expect(abs(ours - theirs!) < 1e-6, "P(beats) \(c): \(ours) against \(theirs!)")
            } else if let ours = Proportions.twoProportionPValue(c.0, of: c.1, c.2, of: c.3) {
                #expect(theirs.map { abs(ours - $0) < 1e-9 } == true, "p-value \(c): \(ours) against \(String(describing: theirs))")
            } else {
                #expect(theirs == nil, "no test where nobody or everybody converted: \(c)")
            }
        }
    }

    /// "not enough data yet" below the minimum, however far ahead an arm looks; a leader once
    /// both arms have it; the chosen arm once the experiment ends.
    @Test func armsSayNotEnoughDataBeforeTheMinimum() {
        func arm(_ name: String, _ sent: Int, _ converted: Int) -> JobOutcome {
            var o = JobOutcome(job: "birthday", group: name)
            o.sent = sent
            o.converted = converted
            return o
        }
        let early = OutcomeReport.compareArms([arm("variant 1", 100, 30), arm("variant 2", 100, 5)], experiments: ["birthday": Experiment(split: [50, 50])])
        #expect(early.map(\.comparison?.verdict) == [.notEnoughData, .notEnoughData])
        #expect(early[0].comparison!.probabilityBeats > 0.99, "the probability is still given")
        let later = OutcomeReport.compareArms([arm("variant 1", 600, 90), arm("variant 2", 600, 50)], experiments: ["birthday": Experiment(split: [50, 50])])
        #expect(later.map(\.comparison?.verdict) == [.leads, .trails])
        // The README's example: 90 of 600 against 50 of 600.
        #expect(abs(later[0].comparison!.pValue! - 0.000322) < 1e-6 && later[0].comparison!.probabilityBeats > 0.9998)
        let even = OutcomeReport.compareArms([arm("variant 1", 600, 50), arm("variant 2", 600, 52)], experiments: ["birthday": Experiment(split: [50, 50])])
        #expect(even.map(\.comparison?.verdict) == [.noClearDifference, .noClearDifference])
        let ended = OutcomeReport.compareArms([arm("variant 1", 100, 30), arm("variant 2", 100, 5)], experiments: ["birthday": Experiment(split: [50, 50], winner: 1)])
        #expect(ended.map(\.comparison?.verdict) == [.notChosen, .chosen])
        #expect(JobOutcome.columns.suffix(5) == ["rate_low", "rate_high", "beats_other", "p_value", "verdict"])
        #expect(early[0].fields.last?.1 == .string("not enough data yet (at least 500 sends per arm needed)"))
    }
}

/// How the stores' sums are keyed (issue 28, item 8): the local day and time of day computed in
/// SQL for a zone with one offset over the span, minute by minute in Swift for one that changes.
@Suite("The report's sums")
struct BucketTimeTests {
    @Test func theSQLKeysAreTheShopsDayAndTimeOfDay() throws {
        let db = try DatabaseQueue()
        for zone in ["Asia/Ho_Chi_Minh", "America/Bogota", "Asia/Kathmandu"] {
            let clock = try #require(ShopClock(zoneIdentifier: zone))
            let from = TestSupport.instant("2026-12-01T00:00:00Z"), to = from.addingTimeInterval(10 * 86_400)
            guard case .localDay = BucketTime.of(.day, from: from, to: to, clock: clock), case .localMinute = BucketTime.of(.slot, from: from, to: to, clock: clock)
            else { Issue.record("\(zone) has one offset in December"); continue }
            for minute in stride(from: Int64(from.timeIntervalSince1970) / 60, to: Int64(to.timeIntervalSince1970) / 60, by: 97) {
                let at = Date(timeIntervalSince1970: TimeInterval(minute) * 60)
                func key(_ by: OutcomeGrouping) throws -> Int {
                    try db.read { try Int.fetchOne($0, sql: "SELECT \(BucketTime.of(by, from: from, to: to, clock: clock).sql(minutes: "?"))", arguments: [minute])! }
                }
                let (day, time) = (try key(.day), try key(.slot))
                #expect(LocalDate(daysSinceEpoch: day) == clock.localDate(of: at) && TimeOfDay(minutes: time) == clock.timeOfDay(of: at), "\(zone) \(at)")
            }
        }
    }

    @Test func aZoneWhoseOffsetChangesIsKeyedByTheMinute() throws {
        let berlin = try #require(ShopClock(zoneIdentifier: "Europe/Berlin"))
        let from = TestSupport.instant("2026-10-20T00:00:00+02:00"), to = TestSupport.instant("2026-11-03T00:00:00+01:00")
        #expect(BucketTime.of(.day, from: from, to: to, clock: berlin) == .minute)
        #expect(BucketTime.of(.job, from: from, to: to, clock: berlin) == BucketTime.none)
        // 09:00 in Berlin on either side of the change: the same slot, each on its own day.
        var before = OutcomeBucket(job: "birthday", channel: "sms", variant: nil, key: Int64(TestSupport.instant("2026-10-24T09:00:00+02:00").timeIntervalSince1970) / 60)
        var after = OutcomeBucket(job: "birthday", channel: "sms", variant: nil, key: Int64(TestSupport.instant("2026-10-26T09:00:00+01:00").timeIntervalSince1970) / 60)
        before.sent = 3
        after.sent = 2
        let slots = OutcomeReport.grouped(buckets: [before, after], time: .minute, by: .slot, clock: berlin)
        #expect(slots.map(\.group) == ["09:00"] && slots.first?.sent == 5)
        let days = OutcomeReport.grouped(buckets: [before, after], time: .minute, by: .day, clock: berlin)
        #expect(days.map(\.group) == ["2026-10-24", "2026-10-26"])
    }
}
