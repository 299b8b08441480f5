import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronService
import CarecronSQLite
import CarecronStorage
import Crypto
import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import Logging
import Testing

/// Surveys (issue 28, item 4): a score read from a short reply, the signed single-use page,
/// the survey job's cadence, and a low score raised for a call back; on a real SQLite file,
/// the follow-up hook a real HTTP server on 127.0.0.1.
@Suite("Surveys: CSAT, CES, NPS")
struct SurveyTests {
    @Test func aShortReplyGivesItsScore() {
        let csat: [(String, Int?)] = [("5", 5), ("5 sao", 5), ("5/5", 5), ("Chấm 4 nhé shop", 4), ("năm", 5), ("Năm sao ạ", 5), ("1", 1), ("4 trên 5", 4),
                                      ("6", nil), ("5 ngày rồi chưa nhận được hàng", nil), ("3 hay 4", nil), ("ok", nil), ("", nil), ("cho 2 sao thôi", 2)]
        for (text, score) in csat { #expect(SurveyMeasure.csat.score(in: text) == score, "\"\(text)\"") }
        #expect(SurveyMeasure.nps.score(in: "10 điểm") == 10 && SurveyMeasure.nps.score(in: "mười") == 10 && SurveyMeasure.nps.score(in: "0") == 0)
        #expect(SurveyMeasure.ces.score(in: "7") == 7 && SurveyMeasure.ces.score(in: "8") == nil)
        #expect(SurveyMeasure.csat.isLow(2) && !SurveyMeasure.csat.isLow(3) && SurveyMeasure.nps.isLow(6) && !SurveyMeasure.nps.isLow(7))
        #expect(SurveySummary(.nps, [10, 9, 8, 6, 0]).value == 0, "2 promoters − 2 detractors of 5")
        #expect(SurveySummary(.csat, [5, 4, 3, 1]).value == 0.5 && SurveySummary(.csat, [5, 4, 3, 1]).low == 1)
        #expect(SurveySummary(.ces, [7, 5, 6]).value == 6)
    }

    @Test func aLinkIsSignedForOneCustomerAndOrder() {
        let links = SurveyLinks(base: "https://cskh.hoasen.vn/", secret: "s3cret")
        let subject = SurveyLinks.Subject(job: "survey-csat", customerId: "C1", orderId: "DH1001")
        let link = links.link(subject)
        #expect(link.hasPrefix("https://cskh.hoasen.vn/s/") && link.count < 100, "short enough for an SMS: \(link)")
        let token = Substring(link.split(separator: "/").last!)
        #expect(links.subject(of: token) == subject)
        #expect(SurveyLinks(base: "x", secret: "other").subject(of: token) == nil, "another shop's secret")
        let forged = SurveyLinks.base64url(Data("survey-csat\nC2\nDH1001".utf8)) + "." + token.split(separator: ".")[1]
        #expect(links.subject(of: Substring(forged)) == nil, "another customer with the first one's signature")
        #expect(links.subject(of: "garbage") == nil && links.subject(of: "a.b") == nil)
    }

    /// The shop's survey job, enabled, with links and a follow-up hook.
    struct Shop {
        let api: HTTPAPI
        let store: Store
        let config: ShopConfig
        let job: JobDefinition
        let dispatcher: Dispatcher
        let jobs: [JobDefinition]
    }

    static let now = TestSupport.instant("2026-12-07T10:00:00+07:00")

    func shop(hook: String? = nil, atMostEveryDays: Int = 30) async throws -> Shop {
        let dir = try TestSupport.shopFolder()
        try TestSupport.editConfig(dir) { c in
            var surveys: [String: Any] = ["linkBase": "https://cskh.hoasen.vn", "secret": ["env": "SURVEY_SECRET"]]
            if let hook { surveys["followUpWebhook"] = hook }
            c["surveys"] = surveys
            var senders = c["senders"] as? [String: Any] ?? [:]
            senders["hook"] = ["type": "webhook", "url": "http://127.0.0.1:9/hook", "secret": ["env": "HOOK_SECRET"]]
            senders["zalo"] = ["type": "zalo-zns", "accessToken": ["env": "ZALO_TOKEN"], "appId": ReplyRouteTests.appId, "oaSecretKey": ["env": "ZALO_OA_SECRET"]]
            c["senders"] = senders
        }
        let file = dir.appendingPathComponent("jobs/survey-csat.json")
        var job = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
        job["enabled"] = true
        job["rules"] = ["measure": "csat", "afterDays": 5, "atMostEveryDays": atMostEveryDays]
        try JSONSerialization.data(withJSONObject: job).write(to: file)
        let environment = ["SURVEY_SECRET": "s3cret", "HOOK_SECRET": "h00k", "ZALO_TOKEN": "zt", "ZALO_OA_SECRET": "oas3cret"]
        let loaded = ConfigLoader.load(dir.appendingPathComponent("config.json"), environment: environment)
        let config = try #require(loaded.config, "\(loaded.errors)")
        #expect(loaded.isValid, "\(loaded.diagnostics)")
        let store = try Store(url: dir.appendingPathComponent("var/carecron.sqlite"))
        for (id, name, phone) in [("C1", "Nguyễn Thị Lan", "0912345678"), ("C2", "Trần Văn Minh", "0987654321")] {
            _ = try store.upsert(.customers, ["id": id, "full_name": name, "phone": phone], clock: config.clock, holdFor: .hours(24), now: Self.now)
        }
        let built = SenderFactory.build(config, environment: environment)
        let dispatcher = DeliveryAssembly.dispatcher(config, loaded.jobs, store: store, built: built, log: Logger(label: "test"))
        let api = HTTPAPI(store: store, runtime: RuntimeBox(Runtime(config: config, jobs: loaded.jobs, dispatcher: dispatcher)), wakeup: Wakeup(),
                          token: "t0k3n", maxBody: 64 * 1024, clock: WallClock { Self.now })
        return Shop(api: api, store: store, config: config, job: try #require(loaded.jobs.first { $0.name == "survey-csat" }), dispatcher: dispatcher, jobs: loaded.jobs)
    }

    func order(_ shop: Shop, _ id: String, customer: String, deliveredOn day: String) throws {
        _ = try shop.store.upsert(.orders, ["id": id, "customer_id": customer, "placed_at": "\(day)T08:00:00+07:00", "amount": "350000", "status": "delivered",
                                            "payment_method": "cod", "delivered_at": "\(day)T15:00:00+07:00", "items": "Áo dài lụa"],
                                  clock: shop.config.clock, holdFor: .hours(24), now: Self.now)
    }

    func plan(_ shop: Shop, from: String, to: String) async throws -> [PlannedEvent] {
        let (a, b) = (TestSupport.instant(from), TestSupport.instant(to))
        let planner = CarePlanner(policy: shop.config.policy, jobs: [shop.job])
        return planner.plan(try await shop.store.planningInput(for: planner, from: a, to: b), from: a, to: b).filter { $0.kind == .message }
    }

    @Test func eachDeliveredOrderIsAskedAboutWithItsOwnLink() async throws {
        let shop = try await shop()
        try order(shop, "DH1", customer: "C1", deliveredOn: "2026-11-01")
        try order(shop, "DH2", customer: "C1", deliveredOn: "2026-11-03")
        try order(shop, "DH3", customer: "C2", deliveredOn: "2026-11-02")
        let events = try await plan(shop, from: "2026-11-01T00:00:00+07:00", to: "2026-11-20T00:00:00+07:00")
        #expect(events.map(\.keys) == [["survey-csat:DH1"], ["survey-csat:DH3"], ["survey-csat:DH2"]], "five days after each, at the 10:00 run")
        let lan = try #require(events.first)
        #expect(lan.at == TestSupport.instant("2026-11-06T10:00:00+07:00"))
        let link = try #require(lan.text?.split(separator: " ").first { $0.hasPrefix("https://cskh.hoasen.vn/s/") })
        let token = link.split(separator: "/").last!.trimmingCharacters(in: .punctuationCharacters.subtracting(["-", "_"]))
        #expect(shop.config.surveyLinks?.subject(of: Substring(token)) == SurveyLinks.Subject(job: "survey-csat", customerId: "C1", orderId: "DH1"))
        // Replayed from further back, the same plan.
        var wide = CarePlanner(policy: shop.config.policy, jobs: [shop.job])
        wide.lookbackAtLeast = 5 * 86_400
        let (a, b) = (TestSupport.instant("2026-11-08T10:00:00+07:00"), TestSupport.instant("2026-11-08T10:01:00+07:00"))
        #expect(wide.plan(try await shop.store.planningInput(for: wide, from: a, to: b), from: a, to: b).filter { $0.kind == .message }.map(\.keys)
            == [["survey-csat:DH2"]])
        // Beside the check-in, three days after delivery: the planner reads the orders both delays need.
        let both = CarePlanner(policy: shop.config.policy, jobs: shop.jobs.filter { ["post-sale-checkin", "survey-csat"].contains($0.name) })
        let (c, d) = (TestSupport.instant("2026-11-06T10:00:00+07:00"), TestSupport.instant("2026-11-06T10:01:00+07:00"))
        #expect(both.plan(try await shop.store.planningInput(for: both, from: c, to: d), from: c, to: d).filter { $0.kind == .message }.map(\.keys).sorted { $0[0] < $1[0] }
            == [["post-sale-checkin:DH2"], ["survey-csat:DH1"]], "DH2's check-in and DH1's survey, the same morning")
    }

    /// "At most once in 30 days" is the record's: Lan's survey about DH1 went out two days ago, so
    /// the one about DH2 is cancelled at sending, whatever the plan said.
    @Test func aSecondSurveyWithinTheGapIsCancelledAtSending() async throws {
        let shop = try await shop()
        let now = Date(), sent = now.addingTimeInterval(-2 * 86_400)
        for (key, orderId, due) in [("survey-csat:DH1", "DH1", sent), ("survey-csat:DH2", "DH2", now.addingTimeInterval(-60))] {
            _ = try await shop.store.outbox.enqueue([OutboxEntry(keys: [key], job: "survey-csat", customerId: "C1", orderIds: [orderId], reminder: nil,
                                                                 renderings: [Rendering(channel: "webhook", to: "C1", subject: nil, text: "chấm giúp shop", params: [:], templateId: nil)],
                                                                 dueAt: due)], now: sent)
        }
        let first = try #require(try await shop.store.outbox.claimDue(now: sent, limit: 1).first)
        try await shop.store.outbox.record([.sender(first.id, name: "hook"), .sent(first.id, providerId: "p1", at: sent)])
        let report = try await shop.dispatcher.drain()
        #expect(report.cancelled == 1 && report.sent == 0)
        let second = try #require(try await shop.store.outbox.planned(keys: ["survey-csat:DH2"])["survey-csat:DH2"])
        #expect(second.state == .cancelled)
        #expect(try await shop.store.outbox.message(second.id)?.lastError == "the customer had a message of this job within 30d")
    }

    @Test func theRecordIsCheckedAgainAtSending() {
        let rules = SurveyRules(measure: .nps, afterDays: 2)
        #expect(rules.atMostEveryDays == 90)
        let facts = SendingFacts(optOut: OptOut.none, orders: [], lastSentOfJob: Self.now.addingTimeInterval(-30 * 86_400))
        #expect(StillWanted.reasonToCancel(customerId: "C1", orderIds: [], facts: facts, rules: rules, purpose: .care, now: Self.now)
            == "the customer had a message of this job within 90d")
        #expect(StillWanted.reasonToCancel(customerId: "C1", orderIds: [], facts: SendingFacts(optOut: OptOut.none, orders: []), rules: rules, purpose: .care, now: Self.now) == nil)
    }

    /// A survey sent to Lan; her reply "2 sao" answers it, a second reply changes nothing; the
    /// page's link for Minh's order takes one answer; a forged link is not found; the low score
    /// reaches the hook, signed, and the API's follow-ups.
    @Test func answersByReplyAndByThePageAndALowScoreIsRaised() async throws {
        let hook = try TestServer("http_server.py")
        let shop = try await shop(hook: hook.url + "/followups")
        let sent = Self.now.addingTimeInterval(-86_400)
        for (key, customer, orderId) in [("survey-csat:DH1", "C1", "DH1"), ("survey-csat:DH3", "C2", "DH3")] {
            try order(shop, orderId, customer: customer, deliveredOn: "2026-12-01")
            _ = try await shop.store.outbox.enqueue([OutboxEntry(keys: [key], job: "survey-csat", customerId: customer, orderIds: [orderId], reminder: nil,
                                                                 renderings: [Rendering(channel: "webhook", to: customer, subject: nil, text: "chấm giúp shop", params: [:], templateId: nil)],
                                                                 dueAt: sent)], now: sent)
        }
        for claimed in try await shop.store.outbox.claimDue(now: sent, limit: 10) {
            try await shop.store.outbox.record([.sender(claimed.id, name: "hook"), .sent(claimed.id, providerId: "p\(claimed.id)", at: sent)])
        }
        @Sendable func reply(_ text: String, id: String) -> (HTTPFields, ByteBuffer) {
            let body = Data("{\"from\":\"C1\",\"phone\":\"+84912345678\",\"text\":\"\(text)\",\"id\":\"\(id)\"}".utf8)
            return ([HTTPField.Name("X-Carecron-Signature")!: WebhookSender.signature(body, secret: "h00k"), .contentType: "application/json"], ByteBuffer(data: body))
        }
        let links = try #require(shop.config.surveyLinks)
        let minh = links.token(SurveyLinks.Subject(job: "survey-csat", customerId: "C2", orderId: "DH3"))
        try await Application(router: shop.api.router()).test(.router) { client in
            let first = reply("2 sao", id: "r1"), again = reply("5", id: "r2")
            try await client.execute(uri: "/webhooks/inbound/hook", method: .post, headers: first.0, body: first.1) { r in
                #expect(r.status == .ok && ReplyRouteTests.answer(r.body)["surveyAnswers"] as? Int == 1, "\(String(buffer: r.body))")
            }
            try await client.execute(uri: "/webhooks/inbound/hook", method: .post, headers: again.0, body: again.1) { r in
                #expect(r.status == .ok && ReplyRouteTests.answer(r.body)["surveyAnswers"] as? Int == 0, "answered already: \(String(buffer: r.body))")
            }
            try await client.execute(uri: "/s/\(minh)", method: .get) { r in
                let page = String(buffer: r.body)
                #expect(r.status == .ok && page.contains("<html lang=\"vi\">") && page.contains("Bạn hài lòng thế nào với đơn hàng <b>DH3</b>")
                        && page.contains("value=\"5\"") && !page.contains("<script"), "\(page)")
            }
            try await client.execute(uri: "/s/\(minh)", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "score=9")) { r in
                #expect(r.status == .badRequest && String(buffer: r.body).contains("Bạn chọn giúp shop một điểm"))
            }
            try await client.execute(uri: "/s/\(minh)", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "score=5")) { r in
                #expect(r.status == .ok && String(buffer: r.body).contains("đã nhận điểm <b>5 sao</b>"))
            }
            try await client.execute(uri: "/s/\(minh)", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "score=1")) { r in
                #expect(r.status == .ok && String(buffer: r.body).contains("Bạn đã trả lời khảo sát này rồi"), "single use: the first answer stands")
            }
            let forged = SurveyLinks(base: "x", secret: "guess").token(SurveyLinks.Subject(job: "survey-csat", customerId: "C2", orderId: "DH3"))
            try await client.execute(uri: "/s/\(forged)", method: .get) { r in #expect(r.status == .notFound && String(buffer: r.body).contains("Không tìm thấy khảo sát")) }
            try await client.execute(uri: "/v1/surveys/follow-ups", method: .get, headers: [.authorization: "Bearer t0k3n"]) { r in
                let list = ReplyRouteTests.answer(r.body)["followUps"] as? [[String: Any]] ?? []
                #expect(list.count == 1 && list[0]["customer_id"] as? String == "C1" && list[0]["score"] as? Int == 2 && list[0]["phone"] as? String == "+84912345678"
                        && list[0]["order_id"] as? String == "DH1" && list[0]["source"] as? String == "reply", "\(list)")
            }
            try await client.execute(uri: "/v1/surveys/follow-ups", method: .get) { r in #expect(r.status == .unauthorized) }
        }
        let answers = try await shop.store.surveyAnswers(from: sent, to: Self.now.addingTimeInterval(1))
        #expect(answers.map(\.score) == [2, 5] && answers.map(\.source) == [.reply, .page])
        // The hook is called from a task of its own: wait for it (a real server, not a schedule).
        var calls: [[String: Any]] = []
        for _ in 0..<100 where calls.isEmpty {
            calls = try hook.requests()
            if calls.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        let call = try #require(calls.first)
        let body = call["body"] as? String ?? ""
        #expect(call["path"] as? String == "/followups" && body.contains("\"event\":\"survey.low_score\"") && body.contains("\"score\":2"), "\(call)")
        let signature = (call["headers"] as? [String: Any])?.first { $0.key.lowercased() == "x-carecron-signature" }?.value as? String
        #expect(signature == WebhookSender.signature(Data(body.utf8), secret: "s3cret"), "signed with the survey secret")
    }

    /// Zalo's rating template: `user_feedback` names the rated message by its msg_id (no user):
    /// the stars are a CSAT answer of that message's job, for its customer and order; once.
    @Test func aZaloRatingIsACSATAnswerOfTheRatedMessage() async throws {
        let shop = try await shop()
        let sent = Self.now.addingTimeInterval(-3600)
        try order(shop, "DH7", customer: "C1", deliveredOn: "2026-12-01")
        _ = try await shop.store.outbox.enqueue([OutboxEntry(keys: ["cod-confirmation:DH7"], job: "cod-confirmation", customerId: "C1", orderIds: ["DH7"], reminder: nil,
                                                             renderings: [Rendering(channel: "zalo", to: "+84912345678", subject: nil, text: "xác nhận", params: [:], templateId: "2412")],
                                                             dueAt: sent)], now: sent)
        let claimed = try #require(try await shop.store.outbox.claimDue(now: sent, limit: 1).first)
        try await shop.store.outbox.record([.sender(claimed.id, name: "zalo"), .sent(claimed.id, providerId: "7e4c33cfc20b05575c18", at: sent)])
        @Sendable func event(_ msgId: String, rate: String) -> (HTTPFields, ByteBuffer) {
            let json = #"{"app_id":"\#(ReplyRouteTests.appId)","oa_id":"579745863508352884","event_name":"user_feedback","message":{"note":"Giao hơi chậm","rate":\#(rate),"submit_time":"1796612700000","msg_id":"\#(msgId)","feedbacks":["Giao hàng chậm"],"tracking_id":"1956"},"timestamp":"1796612700000"}"#
            let mac = SHA256.hash(data: Data((ReplyRouteTests.appId + json + "1796612700000" + "oas3cret").utf8)).map { String(format: "%02x", $0) }.joined()
            return ([HTTPField.Name("X-ZEvent-Signature")!: "mac=\(mac)"], ByteBuffer(string: json))
        }
        try await Application(router: shop.api.router()).test(.router) { client in
            let rated = event("7e4c33cfc20b05575c18", rate: "2")
            try await client.execute(uri: "/webhooks/receipts/zalo", method: .post, headers: rated.0, body: rated.1) { r in
                #expect(r.status == .ok && ReplyRouteTests.answer(r.body)["surveyAnswers"] as? Int == 1, "\(String(buffer: r.body))")
            }
            try await client.execute(uri: "/webhooks/receipts/zalo", method: .post, headers: rated.0, body: rated.1) { r in
                #expect(r.status == .ok && ReplyRouteTests.answer(r.body)["unchanged"] as? Int == 1, "Zalo's retry: once")
            }
            let unknown = event("nobody-knows", rate: "5")
            try await client.execute(uri: "/webhooks/receipts/zalo", method: .post, headers: unknown.0, body: unknown.1) { r in
                #expect(r.status == .ok && ReplyRouteTests.answer(r.body)["unknown"] as? Int == 1)
            }
            let bad = event("7e4c33cfc20b05575c18", rate: "9")
            try await client.execute(uri: "/webhooks/receipts/zalo", method: .post, headers: bad.0, body: bad.1) { r in
                #expect(r.status == .badRequest && String(buffer: r.body).contains("message.rate"))
            }
        }
        let answer = try #require(try await shop.store.surveyAnswer(job: "cod-confirmation", customerId: "C1", orderId: "DH7"))
        #expect(answer.score == 2 && answer.measure == .csat && answer.source == .rating && answer.isLow
                && answer.answeredAt == Date(timeIntervalSince1970: 1_796_612_700))
    }
}
