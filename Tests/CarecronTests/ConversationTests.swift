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
