import CarecronDomain
import CarecronStorage
import Foundation
import Testing

/// Issue 27 and 28's store parts on both stores (the SQLite file and PostgreSQL): an opt-out set
/// by hand, and what the outcomes report reads.
@Suite("Store contract: opt-outs and outcomes")
struct OutcomeStoreTests {
    let now = TestSupport.instant("2026-12-07T10:00:00+07:00")

    @Test(arguments: StoreUnderTest.implementations)
    func anOptOutSetByHandCancelsWhatItForbidsAndTheReportReadsTheRows(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        let store = try #require(s.full)
        _ = try await s.customers.upsert(.customers, ["id": "C1", "full_name": "Nguyễn Thị Lan", "phone": "0912345678"],
                                         clock: TestSupport.saigon, holdFor: .hours(24), now: now)
        let sms = Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "tin", params: [:], templateId: nil)
        var greeting = OutboxEntry(keys: ["birthday:C1:2026"], job: "birthday", customerId: "C1", orderIds: [], reminder: nil, renderings: [sms],
                                   dueAt: now.addingTimeInterval(3600))
        greeting.variant = 1
        var held = OutboxEntry(keys: ["win-back:C1:x"], job: "win-back", customerId: "C1", orderIds: [], reminder: nil, renderings: [sms],
                               dueAt: now.addingTimeInterval(60))
        held.heldOut = Holdout(share: 0.05).reason.description
        let reminder = OutboxEntry(keys: ["payment-reminder:O1:1"], job: "payment-reminder", customerId: "C1", orderIds: ["O1"], reminder: 1,
                                   renderings: [sms], dueAt: now.addingTimeInterval(120))
        #expect(try await s.outbox.enqueue([greeting, held, reminder], now: now) == [true, true, true])

        let data = try await store.outcomeData(from: now, to: now.addingTimeInterval(86_400), ordersUntil: now.addingTimeInterval(86_400))
        #expect(data.funnel.count == 3 && data.funnel.first { $0.job == "birthday" }?.variant == 1)
        #expect(data.funnel.filter(\.heldOut).map(\.job) == ["win-back"] && data.messages.map(\.job) == ["win-back"], "only the group's row is a message yet")

        let change = try await store.setOptOut(customerId: "C1", to: OptOutScope(.marketing, advertisingJobs: ["birthday"]), user: "lan", now: now)
        #expect(change == OptOutChange(previous: .none, cancelled: 1))
        #expect(try await s.outbox.planned(keys: ["birthday:C1:2026"])["birthday:C1:2026"]?.state == .cancelled)
        #expect(try await s.outbox.planned(keys: ["payment-reminder:O1:1"])["payment-reminder:O1:1"]?.state == .planned)
        #expect(try await store.sendingFacts(customerId: "C1", orderIds: [], sameJob: nil).optOut == .marketing)
        #expect(try await store.recent(limit: 3).contains { $0.action == "opt-out set" && $0.user == "lan" && $0.subject == "C1" })
        #expect(try await store.setOptOut(customerId: "C1", to: OptOutScope(.marketing, advertisingJobs: []), user: "lan", now: now)
                == OptOutChange(previous: .marketing, cancelled: 0), "the same again changes nothing")
        #expect(try await store.setOptOut(customerId: "nobody", to: OptOutScope(.all, advertisingJobs: []), user: "lan", now: now) == nil)
    }

    /// A survey's answers on both stores: one per job, customer and order (the page's link is
    /// single use), the open survey a reply answers, the low scores newest first; the last
    /// sending of a job, for its "at most every N days".
    @Test(arguments: StoreUnderTest.implementations)
    func surveyAnswersAreKeptOnceAndTheLowOnesListed(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        let store = try #require(s.full)
        for (id, phone) in [("C1", "0912345678"), ("C2", "0987654321")] {
            _ = try await s.customers.upsert(.customers, ["id": id, "full_name": "Nguyễn Thị Lan", "phone": phone], clock: TestSupport.saigon, holdFor: .hours(24), now: now)
        }
        let sent = now.addingTimeInterval(-3600)
        let survey = OutboxEntry(keys: ["survey-csat:O1"], job: "survey-csat", customerId: "C1", orderIds: ["O1"], reminder: nil,
                                 renderings: [Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "tin", params: [:], templateId: nil)], dueAt: sent)
        #expect(try await s.outbox.enqueue([survey], now: sent) == [true])
        let claimed = try #require(try await s.outbox.claimDue(now: sent, limit: 5).first)
        try await s.outbox.record([.sender(claimed.id, name: "gw"), .sent(claimed.id, providerId: "p1", at: sent)])
        #expect(try await store.sendingFacts(customerId: "C1", orderIds: [], sameJob: ("survey-csat", now.addingTimeInterval(-86_400))).lastSentOfJob == sent)
        #expect(try await store.sendingFacts(customerId: "C1", orderIds: [], sameJob: ("birthday", now.addingTimeInterval(-86_400))).lastSentOfJob == nil)
        #expect(try await store.openSurvey(customerId: "C1", jobs: ["survey-csat"], since: sent) == OpenSurvey(job: "survey-csat", orderId: "O1", sentAt: sent))
        #expect(try await store.openSurvey(customerId: "C2", jobs: ["survey-csat"], since: sent) == nil)

        let low = SurveyAnswer(job: "survey-csat", customerId: "C1", orderId: "O1", measure: .csat, score: 2, source: .reply, answeredAt: now)
        guard case .stored(let stored) = try await store.recordSurveyAnswer(low) else { Issue.record("not stored"); return }
        #expect(stored.id > 0 && stored.score == 2 && stored.phone == "+84912345678" && stored.customerName == "Nguyễn Thị Lan")
        guard case .alreadyAnswered(let first) = try await store.recordSurveyAnswer(SurveyAnswer(job: "survey-csat", customerId: "C1", orderId: "O1", measure: .csat,
                                                                                                     score: 5, source: .page, answeredAt: now)) else {
            Issue.record("answered twice"); return
        }
        #expect(first.score == 2, "the first answer stands")
        #expect(try await store.openSurvey(customerId: "C1", jobs: ["survey-csat"], since: sent) == nil, "answered: no longer open")
        _ = try await store.recordSurveyAnswer(SurveyAnswer(job: "nps", customerId: "C2", orderId: "", measure: .nps, score: 9, source: .page, answeredAt: now.addingTimeInterval(60)))
        _ = try await store.recordSurveyAnswer(SurveyAnswer(job: "nps", customerId: "C1", orderId: "", measure: .nps, score: 3, source: .page, answeredAt: now.addingTimeInterval(120)))
        #expect(try await store.lowScores(limit: 10).map { "\($0.job) \($0.customerId) \($0.score)" } == ["nps C1 3", "survey-csat C1 2"])
        #expect(try await store.surveyAnswers(from: now, to: now.addingTimeInterval(121)).map(\.score) == [2, 9, 3])
        #expect(try await store.surveyAnswer(job: "nps", customerId: "C2", orderId: "")?.score == 9)
    }
}
