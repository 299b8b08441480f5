import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronPostgres
import CarecronService
import CarecronSQLite
import CarecronStorage
import Crypto
import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import HummingbirdBcrypt
import Logging
import Testing

/// The care team's conversations (issue 29): the handbook's times and measures as pure rules.
@Suite("Conversations' rules")
struct ConversationRuleTests {
    let clock = TestSupport.saigon
    let roster = AgentRoster([CallTests.mai, CallTests.hung])

    @Test func anAnswerIsDueByTheChannelsTimeCountedFromWhenTheTeamIsAtWork() {
        let policy = ConversationPolicy()
        let monday10 = TestSupport.instant("2026-12-07T10:00:00+07:00")
        #expect(policy.due(channel: "sms", openedAt: monday10, roster: roster, clock: clock) == monday10.addingTimeInterval(15 * 60))
        #expect(policy.due(channel: "email", openedAt: monday10, roster: roster, clock: clock) == monday10.addingTimeInterval(86_400))
        #expect(policy.due(channel: "hotline", openedAt: monday10, roster: roster, clock: clock) == monday10, "the phone: at once")
        #expect(policy.due(channel: "zalo", openedAt: TestSupport.instant("2026-12-07T22:30:00+07:00"), roster: roster, clock: clock)
                == TestSupport.instant("2026-12-08T08:15:00+07:00"), "at night: 15 minutes after the team starts")
        guard let config = ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config?.policy else {
            Issue.record("the shipped config.json")
            return
        }
        let late = TestSupport.instant("2026-12-07T22:00:00+07:00")
        #expect(policy.answerTime(now: late, lastFromCustomer: late.addingTimeInterval(-600), policy: config) == late,
                "the customer wrote ten minutes ago: the answer goes at once, quiet hours or not")
        #expect(policy.answerTime(now: late, lastFromCustomer: late.addingTimeInterval(-2 * 86_400), policy: config)
                == TestSupport.instant("2026-12-08T08:00:00+07:00"), "days later: after the quiet hours")
    }

    @Test func responseTimeAndFirstContactResolutionAsTheHandbookDefinesThem() {
        let t = TestSupport.instant("2026-12-07T10:00:00+07:00")
        let all = [
            ConversationFacts(openedAt: t, firstResponseAt: t.addingTimeInterval(300), resolvedAt: t.addingTimeInterval(600), contacts: 1, cameBack: false),
            ConversationFacts(openedAt: t, firstResponseAt: t.addingTimeInterval(900), resolvedAt: t.addingTimeInterval(3600), contacts: 2, cameBack: false),
            ConversationFacts(openedAt: t, firstResponseAt: t.addingTimeInterval(1800), resolvedAt: t.addingTimeInterval(7200), contacts: 1, cameBack: true),
            ConversationFacts(openedAt: t, firstResponseAt: nil, resolvedAt: nil, contacts: 1, cameBack: false),
        ]
        #expect(ResponseMeasures.averageResponse(all) == (1000, 3), "(5 + 15 + 30) minutes over the 3 answered")
        let fcr = ResponseMeasures.firstContactResolution(all)
        #expect(fcr.resolved == 3 && fcr.share == 1.0 / 3.0, "the one that wrote twice and the one that came back are not")
        #expect(ResponseMeasures.averageResponse([]).seconds == nil && ResponseMeasures.firstContactResolution([]).share == nil)
    }
}

/// Conversations on both stores: open, join, answer, resolve, reopen, count.
@Suite("Conversations in the store")
struct ConversationStoreTests {
    let t = TestSupport.instant("2026-12-07T10:00:00+07:00")

    func contact(_ customer: String?, _ text: String, at: Date, kind: ConversationKind = .reply, from: String = "+84912345678") -> NewContact {
        NewContact(customerId: customer, from: from, channel: "sms", sender: "esms", kind: kind, category: kind == .reply ? nil : .delivery,
                   text: text, at: at, agent: ("mai", .customer), dueAt: at.addingTimeInterval(900))
    }

    @Test(arguments: StoreUnderTest.implementations)
    func aConversationOpensJoinsIsAnsweredOnceResolvedAndReopened(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        let store = try #require(s.full)
        _ = try await store.upsert(.customers, ["id": "C1", "full_name": "Nguyễn Thị Lan", "phone": "0912345678"], clock: TestSupport.saigon, holdFor: .hours(24), now: t)
        let week = TimeSpan.days(7)
        let (opened, c) = try await store.addContact(contact("C1", "Shop giao giúp em buổi chiều nhé", at: t), reopenWithin: week)
        #expect(opened == .opened && c.state == .open && c.agent == "mai" && c.contacts == 1 && c.lastText == "Shop giao giúp em buổi chiều nhé")
        let (joined, again) = try await store.addContact(contact("C1", "Sau 17h ạ", at: t.addingTimeInterval(120)), reopenWithin: week)
        #expect(joined == .appended && again.id == c.id && again.contacts == 2 && again.lastText == "Sau 17h ạ" && again.dueAt == t.addingTimeInterval(1020))
        #expect(try await store.conversationCounts(now: t.addingTimeInterval(1021)) == (1, 1), "past its time: overdue")

        let sms = Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "Dạ shop giao sau 17h ạ", params: [:], templateId: nil)
        let entry = OutboxEntry(keys: ["conversation:\(c.id):tok1"], job: "conversation", customerId: "C1", orderIds: [], reminder: nil,
                                renderings: [sms], dueAt: t.addingTimeInterval(600))
        let outboxId = try #require(try await store.answer(c.id, text: "Dạ shop giao sau 17h ạ", by: "mai", entry: entry, at: t.addingTimeInterval(600)))
        #expect(try await store.answer(c.id, text: "Dạ shop giao sau 17h ạ", by: "mai", entry: entry, at: t.addingTimeInterval(601)) == nil,
                "the same form twice: one message")
        #expect(try await store.outbox.message(outboxId)?.rendering.text == "Dạ shop giao sau 17h ạ")
        #expect(try await store.conversationCounts(now: t.addingTimeInterval(2000)) == (0, 0), "answered: nobody waits")
        #expect(try await store.resolve(c.id, resolution: "Đã dời giờ giao", by: "mai", at: t.addingTimeInterval(900)))
        #expect(try await !store.resolve(c.id, resolution: "again", by: "mai", at: t.addingTimeInterval(901)))
        let (_, events) = try #require(try await store.conversation(c.id))
        #expect(events.map(\.direction) == [.inbound, .inbound, .outbound, .note] && events[2].outboxId == outboxId)

        // Two days later she writes again: reopened, no longer resolved at the first contact.
        let (reopened, back) = try await store.addContact(contact("C1", "Chưa nhận được hàng", at: t.addingTimeInterval(2 * 86_400)), reopenWithin: week)
        #expect(reopened == .reopened && back.id == c.id && back.cameBack && back.state == .open && back.resolvedAt == nil)
        // A complaint opens its own and pauses her advertising; resolving it lets it go again.
        let (_, complaint) = try await store.addContact(contact("C1", "Hàng bị móp", at: t.addingTimeInterval(3 * 86_400), kind: .complaint), reopenWithin: week)
        #expect(complaint.id != c.id && complaint.kind == .complaint && complaint.category == .delivery)
        #expect(try await store.openComplaints() == ["C1"])
        #expect(try await store.sendingFacts(customerId: "C1", orderIds: [], sameJob: nil).complaintOpen)
        #expect(try await store.resolve(complaint.id, resolution: "Đổi hàng mới", by: "mai", at: t.addingTimeInterval(3 * 86_400 + 60)))
        #expect(try await store.openComplaints().isEmpty)
        let facts = try await store.conversationFacts(openedFrom: t, to: t.addingTimeInterval(7 * 86_400))
        #expect(facts.count == 2 && facts.filter(\.resolvedAtFirstContact).count == 1, "the complaint at the first contact; the reply came back")
        // Nobody has this phone: kept by its address.
        let (_, unmatched) = try await store.addContact(contact(nil, "Ai đấy?", at: t, from: "+84909000111"), reopenWithin: week)
        let (joinedToo, same) = try await store.addContact(contact(nil, "Alo", at: t.addingTimeInterval(60), from: "+84909000111"), reopenWithin: week)
        #expect(unmatched.customerId == nil && joinedToo == .appended && same.id == unmatched.id)
    }

    /// Two nodes hear the same customer at once: one conversation, both messages in it.
    @Test func twoNodesJoinOneCustomersRepliesIntoOneConversation() async throws {
        let settings = try await TestPostgres.freshDatabase()
        let nodes = [PostgresStore(try await TestPostgres.open(settings)), PostgresStore(try await TestPostgres.open(settings))]
        _ = try await nodes[0].upsert(.customers, ["id": "C1", "full_name": "Nguyễn Thị Lan", "phone": "0912345678"], clock: TestSupport.saigon, holdFor: .hours(24), now: t)
        for round in 0..<5 {
            async let a = nodes[0].addContact(contact("C1", "a\(round)", at: t), reopenWithin: .days(7))
            async let b = nodes[1].addContact(contact("C1", "b\(round)", at: t), reopenWithin: .days(7))
            _ = try await (a, b)
        }
        let all = try await nodes[1].conversations(ConversationQuery())
        #expect(all.count == 1 && all[0].contacts == 10, "\(all.map(\.contacts))")
    }
}

/// Replies and complaints through the API's routes, in process, on a real SQLite file.
@Suite("Conversations over HTTP, in process")
struct ConversationRouteTests {
    let now = TestSupport.instant("2026-12-07T10:00:00+07:00")

    func shop() async throws -> (api: HTTPAPI, store: Store, config: ShopConfig, jobs: [JobDefinition]) {
        let dir = try TestSupport.shopFolder()
        try TestSupport.editConfig(dir) { c in
            var senders = c["senders"] as? [String: Any] ?? [:]
            senders["esms"] = ["type": "sms-http", "url": "http://127.0.0.1:9/send", "apiKey": ["env": "ESMS_KEY"], "cpid": "CP01",
                               "moPrivateKey": ["env": "ESMS_MO"], "body": "{\"Phone\": \"{{to}}\", \"Content\": \"{{text}}\"}"]
            c["senders"] = senders
            c["channels"] = ["sms": "esms", "email": "console", "zalo": "console"]
            c["console"] = ["users": ["mai": ["role": "agent", "passwordHash": Bcrypt.hash("x", cost: 4), "displayName": "Nguyễn Thị Mai"],
                                      "hung": ["role": "agent", "passwordHash": Bcrypt.hash("x", cost: 4), "displayName": "Trần Văn Hùng"]]]
        }
        let environment = ["ESMS_KEY": "k", "ESMS_MO": "m0k3y"]
        let loaded = ConfigLoader.load(dir.appendingPathComponent("config.json"), environment: environment)
        let config = try #require(loaded.config, "\(loaded.errors)")
        let store = try Store(url: dir.appendingPathComponent("var/carecron.sqlite"))
        for (id, name, phone) in [("C1", "Nguyễn Thị Lan", "0912345678"), ("C2", "Trần Văn Minh", "0987654321")] {
            _ = try store.upsert(.customers, ["id": id, "full_name": name, "phone": phone, "birthday": "1990-12-07"], clock: config.clock, holdFor: .hours(24), now: now)
        }
        _ = try store.upsert(.orders, ["id": "D1", "customer_id": "C1", "placed_at": "2026-12-01T09:00:00+07:00", "amount": "450000", "agent": "Hùng"],
                             clock: config.clock, holdFor: .hours(24), now: now)
        let built = SenderFactory.build(config, environment: environment)
        let dispatcher = DeliveryAssembly.dispatcher(config, loaded.jobs, store: store, built: built, log: Logger(label: "test"))
        let api = HTTPAPI(store: store, runtime: RuntimeBox(Runtime(config: config, jobs: loaded.jobs, dispatcher: dispatcher)), wakeup: Wakeup(),
                          token: "t0k3n", webhookSecret: nil, maxBody: 64 * 1024, clock: WallClock { [now] in now })
        return (api, store, config, loaded.jobs)
    }

    static let auth: HTTPFields = [.authorization: "Bearer t0k3n", .contentType: "application/json"]

    @Test func aReplyOpensAConversationForTheCustomersAgentAndAComplaintPausesAdvertising() async throws {
        let (api, store, config, jobs) = try await shop()
        try await Application(router: api.router()).test(.router) { client in
            for (smsid, text) in [("mo-1", "Shop ơi giao giúp em buổi chiều"), ("mo-2", "TC QC")] {
                try await client.execute(uri: ReplyRouteTests.mo(text, smsid: smsid), method: .get) { r in #expect(r.status == .ok) }
            }
            try await client.execute(uri: "/v1/customers/C2/feedback", method: .post, headers: Self.auth,
                                     body: ByteBuffer(string: #"{"kind":"complaint","text":"Hàng giao thiếu"}"#)) { r in
                #expect(r.status == .badRequest && String(buffer: r.body).contains("category"), "\(String(buffer: r.body))")
            }
            try await client.execute(uri: "/v1/customers/C2/feedback", method: .post, headers: Self.auth,
                                     body: ByteBuffer(string: #"{"category":"delivery","text":"Hàng giao thiếu","order_id":"D1"}"#)) { r in
                #expect(r.status == .badRequest && String(buffer: r.body).contains("order_id"), "D1 is Lan's")
            }
            try await client.execute(uri: "/v1/customers/NOBODY/feedback", method: .post, headers: Self.auth,
                                     body: ByteBuffer(string: #"{"category":"delivery","text":"x"}"#)) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/v1/customers/C2/feedback", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"category":"delivery","text":"x"}"#)) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/v1/customers/C2/feedback", method: .post, headers: Self.auth,
                                     body: ByteBuffer(string: #"{"category":"delivery","text":"Hàng giao thiếu một hộp","by":"tổng đài"}"#)) { r in
                let a = ReplyRouteTests.answer(r.body)
                #expect(r.status == .created && a["kind"] as? String == "complaint" && a["agent"] as? String == "mai" && a["outcome"] as? String == "opened",
                        "nobody named: the least loaded (Hùng has Lan's): \(a)")
            }
            try await client.execute(uri: "/v1/conversations", method: .get, headers: Self.auth) { r in
                let list = ReplyRouteTests.answer(r.body)["conversations"] as? [[String: Any]] ?? []
                #expect(list.count == 2 && list.contains { $0["customer_id"] as? String == "C1" && $0["agent"] as? String == "hung" && $0["kind"] as? String == "reply" },
                        "the opt-out opened nothing; Lan's question went to Hùng, her order's agent: \(list)")
            }
        }
        let lan = try #require(try await store.conversations(ConversationQuery(customerId: "C1")).first)
        #expect(lan.rule == .customer && lan.openedAt == now && lan.dueAt == now.addingTimeInterval(15 * 60),
                "eSMS says 10:05, the service's clock 10:00: opened at 10:00, never after now; an SMS, due 15 minutes later")
        #expect(try store.sendingFacts(customerId: "C2", orderIds: [], sameJob: nil).complaintOpen)

        // The plan: Minh's birthday greeting (advertising) waits, with the reason; Lan's does not go either (she refused advertising).
        var planner = CarePlanner(policy: config.policy, jobs: jobs.filter { $0.name == "birthday" })
        planner.explain = true
        let from = TestSupport.instant("2026-12-07T00:00:00+07:00"), to = from.addingTimeInterval(86_400)
        let events = planner.plan(try await store.planningInput(for: planner, from: from, to: to), from: from, to: to)
        let minh = events.filter { $0.customerId == "C2" }
        #expect(minh.count == 1 && minh[0].kind == .skip && minh[0].because?.code == "skip.complaint_open", "\(minh.map { $0.reason ?? "-" })")
        #expect(minh.first?.because?.text(.vi) == "khách đang có khiếu nại chưa giải quyết: tạm dừng tin quảng cáo")

        // Hùng answers Lan's question through the desk: an SMS at once (she wrote minutes ago), the conversation answered.
        let desk = ConversationDesk(store: store, config: config)
        let at = now.addingTimeInterval(8 * 60)
        let outboxId = try #require(try await desk.answer(lan, text: "Dạ shop giao sau 14h chị nhé", by: "hung", token: "f1", now: at))
        let sms = try #require(try await store.outbox.message(outboxId))
        #expect(sms.rendering.channel == "sms" && sms.rendering.to == "+84912345678" && sms.dueAt == at && sms.job == "conversation")
        let measured = try await OutcomeQuery.measures(store, jobs: jobs, from: from, to: to, clock: config.clock)
        let response = try #require(measured.first { $0.measure == .responseTime })
        #expect(response.count == 1 && response.value == 8 * 60, "answered 8 minutes after 10:00")
    }
}
